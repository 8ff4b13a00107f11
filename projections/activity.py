"""Channel activity per neighbourhood: how many events each channel brought, and when.

The fold is pure. Delivery is at-least-once and, with faust, not even gap-free: a message can be
skipped and read again after later ones (see ``streams/stalls.py``). So each row remembers which
log positions it has applied (``TrackedRow.applied``): every offset at or above the partition's
committed offset, below which nothing is ever read again. A position already applied changes
nothing; a position read late is still applied once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import AwareDatetime, Field

from events import Channel, Envelope, Frozen


class ActivityRow(Frozen):
    """One row of ``activity_current``: the state of one (neighbourhood, channel)."""

    neighbourhood_id: str
    channel: Channel
    events: Annotated[int, Field(ge=0)] = 0
    """Reports represented: aggregate partner feeds add their count, everything else adds one."""
    first_event_time: AwareDatetime | None = None
    last_event_time: AwareDatetime | None = None
    source_partition: int = -1
    applied_offset: int = -1
    """Highest offset folded in, on ``source_partition`` of the events topic (for reference)."""

    @property
    def key(self) -> str:
        return row_key(self.neighbourhood_id, self.channel)


def row_key(neighbourhood_id: str, channel: Channel) -> str:
    return f"{neighbourhood_id}|{channel.value}"


def weight(event: Envelope) -> int:
    return int(getattr(event.payload, "count", 1))


def evolve(row: ActivityRow | None, event: Envelope) -> ActivityRow:
    """The row after one more event; ``row`` is None for a row never seen."""
    current = row or ActivityRow(neighbourhood_id=event.neighbourhood_id, channel=event.channel)
    first = current.first_event_time
    last = current.last_event_time
    return current.model_copy(
        update={
            "events": current.events + weight(event),
            "first_event_time": event.event_time if first is None else min(first, event.event_time),
            "last_event_time": event.event_time if last is None else max(last, event.event_time),
        }
    )


class TrackedRow(Frozen):
    """A row with the log positions behind it: the worker's table value."""

    row: ActivityRow
    applied: tuple[int, ...] = ()
    """Offsets on ``row.source_partition`` applied at or above the last known committed offset."""


def admit(
    previous: tuple[int, tuple[int, ...]] | None, partition: int, offset: int, committed: int
) -> tuple[int, ...] | None:
    """The applied offsets after taking ``(partition, offset)``, or None when it is already in.

    ``previous`` is the value's ``(source_partition, applied)``, None for a value never seen.
    ``committed`` is the partition's committed offset: every position below it has been processed
    (commits advance over acknowledged offsets only, see ``streams/transport.py``), so such a
    position is skipped if it comes again, and forgotten.
    """
    same_partition = previous is not None and previous[0] == partition
    if offset < committed or (previous is not None and same_partition and offset in previous[1]):
        return None
    kept = previous[1] if previous is not None and same_partition else ()
    return tuple(sorted({o for o in kept if o >= committed} | {offset}))


def apply_at(
    tracked: TrackedRow | None, event: Envelope, partition: int, offset: int, committed: int
) -> TrackedRow | None:
    """Fold ``event`` read at ``(partition, offset)``, or None when that position is already in."""
    previous = (tracked.row.source_partition, tracked.applied) if tracked is not None else None
    applied = admit(previous, partition, offset, committed)
    if applied is None:
        return None
    return TrackedRow(
        row=evolve_at(tracked.row if tracked is not None else None, event, partition, offset),
        applied=applied,
    )


def evolve_at(row: ActivityRow | None, event: Envelope, partition: int, offset: int) -> ActivityRow:
    """``evolve``, noting the log position the event was read at."""
    evolved = evolve(row, event)
    return evolved.model_copy(
        update={"source_partition": partition, "applied_offset": max(offset, evolved.applied_offset)}
    )


def fold(events: Iterable[Envelope]) -> dict[str, ActivityRow]:
    """Every row from a sequence of distinct events: the rebuild, and the law the live path obeys."""
    rows: dict[str, ActivityRow] = {}
    for event in events:
        key = row_key(event.neighbourhood_id, event.channel)
        rows[key] = evolve(rows.get(key), event)
    return rows
