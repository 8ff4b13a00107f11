"""A record's withdrawal (``RecordWithdrawn``): the neighbourhood is folded again from its own log,
without the records withdrawn from it.

The models keep aggregates (decayed tallies, sealed tension buckets), not the events behind them, so
an event's part cannot be subtracted. Withdrawals are rare, and a neighbourhood's events are few
beside the log's, so the worker reads the neighbourhood's events back from the retained log (the
shell does that: ``engage.event_log``) and ``refold`` folds them again. The rebuild calls the same
function at the same tombstone, so a withdrawal gives the same tables live and rebuilt.

Pure: the history comes in as ``(offset, event)`` pairs of one partition, in log order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from events import Envelope, RecordWithdrawn
from projections.activity import ActivityRow, TrackedRow, evolve_at, row_key
from projections.neighbourhood import (
    DEFAULT_PARAMS,
    HistoryErased,
    NeighbourhoodState,
    NeighbourhoodView,
    Params,
    initial,
    step,
)

History = Sequence[tuple[int, Envelope]]
"""A neighbourhood's events on its partition, ``(offset, event)`` in log order, before a tombstone."""


@dataclass(frozen=True)
class Refolded:
    """A neighbourhood after a tombstone, folded again without every record withdrawn from it."""

    state: NeighbourhoodState
    views: tuple[NeighbourhoodView, ...]
    """Its views of record, every period, oldest first (the newest view comes from ``state``)."""
    activity: dict[str, TrackedRow]
    """Its activity rows, one per channel it was ever heard on (a channel left with no event reads 0)."""

    def announced(self) -> tuple[HistoryErased | NeighbourhoodView, ...]:
        """What goes to the views topic, in order: the erasure, then every view of record."""
        erased = HistoryErased(
            neighbourhood_id=self.state.neighbourhood_id, withdrawn_event_ids=self.state.withdrawn
        )
        return (erased, *self.views)


def is_tombstone(event: Envelope) -> bool:
    return isinstance(event.payload, RecordWithdrawn)


def withdrawn_by(tombstone: Envelope, history: History) -> tuple[str, ...]:
    """Every record withdrawn from the neighbourhood by this tombstone and the ones before it."""
    ids = {e.payload.withdrawn_event_id for _, e in history if isinstance(e.payload, RecordWithdrawn)}
    if isinstance(tombstone.payload, RecordWithdrawn):
        ids.add(tombstone.payload.withdrawn_event_id)
    return tuple(sorted(ids))


def refold(
    tombstone: Envelope,
    previous: NeighbourhoodState | None,
    history: History,
    partition: int,
    offset: int,
    committed: int,
    params: Params = DEFAULT_PARAMS,
) -> Refolded:
    """The neighbourhood as if its withdrawn records had never been sent, as of the tombstone at
    ``(partition, offset)``; ``history`` is its log before that offset, ``previous`` its state now.

    An id seen before in the history is a re-sent record and is dropped, as ``seen-events`` drops it.
    Every position in the history at or above ``committed`` counts as applied, so an event read
    again after the tombstone is not folded twice (``projections.activity.admit``).
    """
    nid = tombstone.neighbourhood_id
    withdrawn = withdrawn_by(tombstone, history)
    state: NeighbourhoodState | None = None
    closed_views: list[NeighbourhoodView] = []
    rows: dict[str, ActivityRow] = {}
    row_applied: dict[str, list[int]] = {}
    seen: set[str] = set()
    for at, event in history:
        if is_tombstone(event) or event.neighbourhood_id != nid:
            continue
        key = row_key(nid, event.channel)
        if key not in rows:
            rows[key] = ActivityRow(neighbourhood_id=nid, channel=event.channel, source_partition=partition)
        if at >= committed:
            row_applied.setdefault(key, []).append(at)
        if event.event_id in seen or event.event_id in withdrawn:
            continue
        seen.add(event.event_id)
        rows[key] = evolve_at(rows[key], event, partition, at)
        state, closed = step(state, event, params)
        if closed is not None:
            closed_views.append(closed)
    applied = tuple(sorted({at for at, _ in history if at >= committed} | {offset}))
    after = (state or initial(nid)).model_copy(
        update={
            "source_partition": partition,
            "applied": applied,
            "unconfirmed": (),
            "withdrawn": withdrawn,
            "alerted_through": previous.alerted_through if previous is not None else None,
        }
    )
    return Refolded(
        state=after,
        views=tuple(closed_views),
        activity={k: TrackedRow(row=r, applied=tuple(row_applied.get(k, ()))) for k, r in rows.items()},
    )
