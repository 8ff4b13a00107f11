"""Everything the intelligence projections know about one neighbourhood, folded from its events.

One state per neighbourhood holds the four models (priority, tension, coverage, feedback). A
``NeighbourhoodView`` is every read model's rows for one neighbourhood, as of the latest event time
heard there (its *watermark*), numbered by ``version`` (events applied).

History is kept per *period* of event time (an hour by default): the view of record for a period is
the last state whose watermark lay in it. ``step`` hands that view back when an event moves the
watermark into a later period, so every period's view of record is emitted exactly when the log
says, however the worker batches its work. The worker also emits the newest view of each
neighbourhood it touched, for ``*_current``; the sink keeps, per period, the highest version it saw.

``replay`` is the whole path without faust: the rebuild runs it over the retained log, and the live
worker makes the same calls, so the same log gives the same tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta

from pydantic import AwareDatetime, Field

from events import Envelope, Frozen, RecordWithdrawn
from projections import coverage as coverage_model
from projections import feedback as feedback_model
from projections import priority as priority_model
from projections import tension as tension_model
from projections.activity import admit
from projections.columns import EPOCH
from projections.coverage import CoverageRow
from projections.feedback import FeedbackRow
from projections.tension import Period, TensionReading


class Params(Frozen):
    """The parameters of every model; defaults are those ``docs/models.md`` justifies."""

    priority: priority_model.PriorityParams = Field(default_factory=priority_model.PriorityParams)
    tension: tension_model.TensionParams = Field(default_factory=tension_model.TensionParams)
    coverage: coverage_model.CoverageParams = Field(default_factory=coverage_model.CoverageParams)
    history_period: timedelta = timedelta(hours=1)
    """The resolution of ``*_history``: as-of questions are answered to the last event of a period."""


DEFAULT_PARAMS = Params()


class NeighbourhoodState(Frozen):
    neighbourhood_id: str
    version: int = 0
    """Events applied: the number of the view the state gives."""
    as_of: AwareDatetime | None = None
    """The watermark: the latest event time heard in the neighbourhood."""
    recorded_at: AwareDatetime | None = None
    """The latest time one of its events was taken in: processing time, kept beside event time."""
    priority: priority_model.PriorityState
    tension: tension_model.TensionState
    coverage: coverage_model.CoverageState
    feedback: feedback_model.FeedbackState
    alerted_through: AwareDatetime | None = None
    """The latest rise of tension already sent as an alert."""
    source_partition: int = -1
    applied: tuple[int, ...] = ()
    """Offsets on ``source_partition`` applied at or above its committed offset (see ``admit``)."""
    unconfirmed: tuple[Unconfirmed, ...] = ()
    """Views of record made by events not yet committed: a crash may have lost their send, so they
    are sent again with the state until a commit shows they were delivered."""
    withdrawn: tuple[str, ...] = ()
    """Ids of the neighbourhood's records withdrawn (``RecordWithdrawn``): never folded, even when
    one arrives after its tombstone (``projections/erasure.py``)."""


class Unconfirmed(Frozen):
    offset: int
    view: NeighbourhoodView


class PriorityLine(Frozen):
    """One row of ``priority_current``: a ranked theme with its score's parts and its context."""

    row: priority_model.PriorityRow
    voice_share: float
    """Share of the neighbourhood's voices that raised the theme."""
    crime_share: float | None
    """Share of the neighbourhood's recorded crime in the theme (None: no recorded crime folded in)."""
    concern_crime_gap: float | None
    """``voice_share - crime_share``: positive where concern runs ahead of recorded crime."""
    in_top_elsewhere: bool
    """Among the top themes from surveys, partners and social media (divergence from the PACT)."""


class TensionAlert(Frozen):
    """A rise in the level in force, with the events behind it: what the alerts topic carries."""

    neighbourhood_id: str
    raised_at: AwareDatetime
    """Event time of the rise (the start of the bucket that crossed the threshold, or the override)."""
    from_level: int
    to_level: int
    label: str
    cause: str
    score: float
    evidence_ids: tuple[str, ...]
    version: int
    """The view that first showed it."""


class NeighbourhoodView(Frozen):
    """Every read model's rows for one neighbourhood after ``version`` events."""

    neighbourhood_id: str
    version: int
    as_of: AwareDatetime
    period_start: AwareDatetime
    """Start of the history period holding ``as_of``: the key of the view's rows in ``*_history``."""
    recorded_at: AwareDatetime
    priorities: tuple[PriorityLine, ...]
    tension: TensionReading
    tension_timeline: tuple[Period, ...]
    coverage: CoverageRow
    feedback: tuple[FeedbackRow, ...]
    alerts: tuple[TensionAlert, ...] = ()


def initial(nid: str) -> NeighbourhoodState:
    """The state of a neighbourhood before any event."""
    return NeighbourhoodState(
        neighbourhood_id=nid,
        priority=priority_model.PriorityState(neighbourhood_id=nid),
        tension=tension_model.TensionState(neighbourhood_id=nid),
        coverage=coverage_model.CoverageState(neighbourhood_id=nid),
        feedback=feedback_model.FeedbackState(neighbourhood_id=nid),
    )


def evolve(
    state: NeighbourhoodState | None, event: Envelope, params: Params = DEFAULT_PARAMS
) -> NeighbourhoodState:
    """The state after one more (distinct) event."""
    if state is None:
        state = initial(event.neighbourhood_id)
    return state.model_copy(
        update={
            "version": state.version + 1,
            "as_of": event.event_time if state.as_of is None else max(state.as_of, event.event_time),
            "recorded_at": event.recorded_time
            if state.recorded_at is None
            else max(state.recorded_at, event.recorded_time),
            "priority": priority_model.evolve(state.priority, event, params.priority),
            "tension": tension_model.evolve(state.tension, event, params.tension),
            "coverage": coverage_model.evolve(state.coverage, event, params.coverage),
            "feedback": feedback_model.evolve(state.feedback, event),
        }
    )


def _priority_lines(state: NeighbourhoodState, as_of: datetime, params: Params) -> tuple[PriorityLine, ...]:
    rows, divergence = priority_model.score_and_divergence(state.priority, as_of, params.priority)
    elsewhere = set(divergence.top_elsewhere)
    crimes = state.priority.recorded_crimes
    total_crimes = sum(crimes.values())
    lines = []
    for row in rows:
        voice_share = row.voices / row.neighbourhood_voices if row.neighbourhood_voices else 0.0
        crime_share = crimes.get(row.theme, 0) / total_crimes if total_crimes else None
        lines.append(
            PriorityLine(
                row=row,
                voice_share=voice_share,
                crime_share=crime_share,
                concern_crime_gap=None if crime_share is None else voice_share - crime_share,
                in_top_elsewhere=row.theme in elsewhere,
            )
        )
    return tuple(lines)


def view(state: NeighbourhoodState, params: Params = DEFAULT_PARAMS) -> NeighbourhoodView:
    """Every read model's rows for the state, as of its watermark."""
    if state.as_of is None or state.recorded_at is None:
        raise ValueError("a neighbourhood with no events has no view; fold an event first")
    as_of = state.as_of
    modelled = tension_model.history(state.tension, as_of, params.tension)
    return NeighbourhoodView(
        neighbourhood_id=state.neighbourhood_id,
        version=state.version,
        as_of=as_of,
        period_start=period_start(as_of, params),
        recorded_at=state.recorded_at,
        priorities=_priority_lines(state, as_of, params),
        tension=tension_model.level(state.tension, as_of, params.tension, modelled).model_copy(
            update={"velocity": tension_model.velocity(state.tension, as_of, params.tension)}
        ),
        tension_timeline=tension_model.timeline(state.tension, as_of, params.tension, modelled),
        coverage=coverage_model.read(state.coverage, as_of, params.coverage),
        feedback=tuple(feedback_model.read(state.feedback, as_of)),
    )


def period_start(when: datetime, params: Params = DEFAULT_PARAMS) -> datetime:
    return EPOCH + ((when - EPOCH) // params.history_period) * params.history_period


def step(
    state: NeighbourhoodState | None, event: Envelope, params: Params = DEFAULT_PARAMS
) -> tuple[NeighbourhoodState, NeighbourhoodView | None]:
    """Fold one event; when it moves the watermark into a later period, also the view of record of
    the period it leaves (the state before it)."""
    closed = None
    if (
        state is not None
        and state.as_of is not None
        and period_start(event.event_time, params) > period_start(state.as_of, params)
    ):
        closed = view(state, params)
    return evolve(state, event, params), closed


def apply_at(
    state: NeighbourhoodState | None,
    event: Envelope,
    partition: int,
    offset: int,
    committed: int,
    params: Params = DEFAULT_PARAMS,
) -> tuple[NeighbourhoodState, NeighbourhoodView | None] | None:
    """``step`` for an event read at ``(partition, offset)``, or None when that position is already in."""
    previous = (state.source_partition, state.applied) if state is not None else None
    applied = admit(previous, partition, offset, committed)
    if applied is None:
        return None
    after, closed = step(state, event, params)
    kept = tuple(u for u in after.unconfirmed if u.offset >= committed)
    if closed is not None:
        kept += (Unconfirmed(offset=offset, view=closed),)
    return after.model_copy(
        update={"source_partition": partition, "applied": applied, "unconfirmed": kept}
    ), closed


def to_send(
    state: NeighbourhoodState, committed: int, params: Params = DEFAULT_PARAMS
) -> tuple[NeighbourhoodState, tuple[NeighbourhoodView, ...]]:
    """What the worker sends for a state it touched: the views of record not yet known delivered, and
    the newest view (with any new alerts); and the state to store."""
    kept = tuple(u for u in state.unconfirmed if u.offset >= committed)
    state = state.model_copy(update={"unconfirmed": kept})
    if state.as_of is None:
        return state, ()  # every record it had was withdrawn: nothing left to show
    state, head = with_alerts(state, view(state, params))
    return state, (*(u.view for u in kept), head)


def with_alerts(
    state: NeighbourhoodState, seen: NeighbourhoodView
) -> tuple[NeighbourhoodState, NeighbourhoodView]:
    """Attach to ``seen`` every rise of the level in force not alerted before, and remember them."""
    alerts: list[TensionAlert] = []
    previous = 1
    for period in seen.tension_timeline:
        rose = period.level > previous and period.cause != "start"
        previous = period.level
        if not rose or (state.alerted_through is not None and period.valid_from <= state.alerted_through):
            continue
        alerts.append(
            TensionAlert(
                neighbourhood_id=seen.neighbourhood_id,
                raised_at=period.valid_from,
                from_level=_level_before(seen, period),
                to_level=period.level,
                label=period.label,
                cause=period.cause,
                score=period.score,
                evidence_ids=period.evidence_ids,
                version=seen.version,
            )
        )
    if not alerts:
        return state, seen
    return (
        state.model_copy(update={"alerted_through": alerts[-1].raised_at}),
        seen.model_copy(update={"alerts": tuple(alerts)}),
    )


def _level_before(seen: NeighbourhoodView, period: Period) -> int:
    index = seen.tension_timeline.index(period)
    return seen.tension_timeline[index - 1].level if index else 1


class HistoryErased(Frozen):
    """Sent on the views topic before the views of a neighbourhood folded again without the records
    withdrawn from it: the sink drops every row it holds for the neighbourhood, then takes the views
    that follow (the neighbourhood's whole history, as if the records had never been sent)."""

    neighbourhood_id: str
    withdrawn_event_ids: tuple[str, ...]
    """Every record withdrawn from the neighbourhood so far: the sink strikes them from the alerts."""


Withdrawal = Callable[
    [Envelope, NeighbourhoodState | None],
    tuple[NeighbourhoodState, tuple[HistoryErased | NeighbourhoodView, ...]],
]
"""Folds a neighbourhood again for a tombstone: its state before, to its state after and what that
sends (``projections.erasure.refold`` over the neighbourhood's log up to the tombstone, then
``Refolded.announced``)."""


def replay(
    events: Iterable[Envelope], params: Params = DEFAULT_PARAMS, withdraw: Withdrawal | None = None
) -> Iterator[NeighbourhoodView | HistoryErased]:
    """Every view of record a log gives, in log order, then each neighbourhood's newest view.

    An event id seen before is dropped, as the live worker's ``seen-events`` table drops it. A
    tombstone (``RecordWithdrawn``) gives a ``HistoryErased`` and the neighbourhood's views folded
    again by ``withdraw``, as the live worker sends them.
    """
    states: dict[str, NeighbourhoodState] = {}
    seen_ids: set[str] = set()
    for event in events:
        if event.event_id in seen_ids:
            continue
        seen_ids.add(event.event_id)
        nid = event.neighbourhood_id
        state = states.get(nid)
        if isinstance(event.payload, RecordWithdrawn):
            if withdraw is None:
                raise ValueError("a log with withdrawals replays only with `withdraw` (projections.erasure)")
            states[nid], announced = withdraw(event, state)
            yield from announced
            continue
        if state is not None and event.event_id in state.withdrawn:
            continue
        states[nid], closed = step(state, event, params)
        if closed is not None:
            yield closed
    for state in states.values():
        if state.as_of is not None:
            yield view(state, params)


NeighbourhoodState.model_rebuild()
