"""Coverage: who has been heard in a neighbourhood over the last twelve months, and who has not.

The College of Policing's engagement guidance asks forces to reach every part of a community, not
only those who come to meetings. This model shows, per neighbourhood, which channels and groups were
heard in a rolling window, how meeting turnout is moving, which issues meetings raise again and
again, and which seldom-heard groups were not heard at all.

The state counts voice events per channel and UTC day, keeps meetings by event id and groups by their
latest time, and merges by sums and maxima, so it does not depend on the order of events (repeated
events are dropped by id before any fold). What falls out of the window behind the latest event is
dropped, so a state stays the same size however many events a neighbourhood has; the window is
counted in whole days. The reading is taken for an ``as_of`` time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AwareDatetime, Field

from events import (
    Channel,
    Envelope,
    Frozen,
    MeetingHeld,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)
from projections.columns import EPOCH
from projections.priority import SELDOM_HEARD_GROUPS

VOICE_CHANNELS: tuple[Channel, ...] = (Channel.MEETING, Channel.SURVEY, Channel.PARTNER_CALL, Channel.SOCIAL)
"""Channels that carry what residents say (recorded crime, police responses and analysts do not)."""


class CoverageParams(Frozen):
    window: timedelta = timedelta(days=365)
    """The rolling window: twelve months, the period neighbourhood engagement plans are reviewed over."""
    trend_meetings: Annotated[int, Field(ge=1)] = 3
    """Turnout trend: mean attendance of the latest this-many meetings against the this-many before."""
    recurring_meetings: Annotated[int, Field(ge=2)] = 6
    recurring_min: Annotated[int, Field(ge=2)] = 3
    """A theme raised at ``recurring_min`` or more of the latest ``recurring_meetings`` meetings recurs."""
    seldom_heard_groups: frozenset[str] = SELDOM_HEARD_GROUPS


DEFAULT_PARAMS = CoverageParams()
ONE_DAY = timedelta(days=1)


class Meeting(Frozen):
    time: AwareDatetime
    attendance: int | None
    themes: tuple[Theme, ...]


class CoverageState(Frozen):
    neighbourhood_id: str
    heard: Mapping[Channel, Mapping[int, int]] = Field(default_factory=dict)
    """Per voice channel, per UTC day (days since ``EPOCH``), the voice events heard that day."""
    groups: Mapping[str, AwareDatetime] = Field(default_factory=dict)
    """Per group label, the latest time someone from it was heard."""
    meetings: Mapping[str, Meeting] = Field(default_factory=dict)
    latest: AwareDatetime | None = None
    """The latest voice event's time: days and meetings a window behind it can never be read again."""


class CoverageRow(Frozen):
    """One row of ``coverage_current``."""

    channels_heard: tuple[Channel, ...]
    channels_missing: tuple[Channel, ...]
    voices_12m: int
    """Voice events heard in the window's days, ``as_of``'s day included (a partner feed's count is one
    event here)."""
    groups_heard: tuple[str, ...]
    seldom_heard_gaps: tuple[str, ...]
    """Seldom-heard groups nobody from whom was heard in the window: whom to engage next."""
    meetings_12m: int
    mean_attendance_12m: float | None
    attendance_trend: float | None
    """Mean attendance of the latest meetings minus that of the ones before (None: too few)."""
    recurring_issues: tuple[Theme, ...]


def day_of(when: datetime) -> int:
    """The UTC day holding ``when``, counted from ``EPOCH``."""
    return (when - EPOCH) // ONE_DAY


def _window_days(params: CoverageParams) -> int:
    return max(1, params.window // ONE_DAY)


def evolve(
    state: CoverageState | None, event: Envelope, params: CoverageParams | None = None
) -> CoverageState:
    params = params or DEFAULT_PARAMS
    current = state or CoverageState(neighbourhood_id=event.neighbourhood_id)
    if event.channel not in VOICE_CHANNELS:
        return current
    latest = event.event_time if current.latest is None else max(current.latest, event.event_time)
    # A view is taken as of the neighbourhood's watermark, never before this event: days at or before
    # ``oldest_day`` (and meetings a window behind) are outside every window it can still ask for.
    oldest_day = day_of(latest) - _window_days(params)
    # A channel's days are copied only when the window has left one of them, or this event adds to
    # them: the rest are shared with the state before, which nothing changes.
    heard: dict[Channel, Mapping[int, int]] = {
        channel: by_day
        if min(by_day, default=oldest_day + 1) > oldest_day
        else {day: n for day, n in by_day.items() if day > oldest_day}
        for channel, by_day in current.heard.items()
    }
    day = day_of(event.event_time)
    if day > oldest_day:
        counts = dict(heard.get(event.channel, {}))
        counts[day] = counts.get(day, 0) + 1
        heard[event.channel] = counts
    update: dict[str, object] = {
        "heard": {channel: by_day for channel, by_day in heard.items() if by_day},
        "latest": latest,
    }
    cutoff = latest - params.window
    meetings = current.meetings
    if any(m.time <= cutoff for m in meetings.values()):
        meetings = {k: m for k, m in meetings.items() if m.time > cutoff}
    payload = event.payload
    labels: Iterable[str] = ()
    if isinstance(payload, MeetingHeld):
        labels = [g.group for g in payload.attendee_groups if g.count > 0]
        if event.event_time > cutoff:
            held = Meeting(
                time=event.event_time,
                attendance=payload.attendance,
                themes=tuple(dict.fromkeys(i.theme for i in payload.issues_raised)),
            )
            meetings = {**meetings, event.event_id: held}
    elif isinstance(payload, SurveyResponseReceived):
        labels = payload.respondent_groups
    elif isinstance(payload, SocialSignalObserved):
        labels = ()
    if len(meetings) != len(current.meetings) or isinstance(payload, MeetingHeld):
        update["meetings"] = meetings
    if labels:
        groups = dict(current.groups)
        for label in labels:
            key = label.strip().lower()
            groups[key] = max(groups.get(key, event.event_time), event.event_time)
        if groups != current.groups:
            update["groups"] = groups
    return current.model_copy(update=update)


def fold(events: Iterable[Envelope], params: CoverageParams | None = None) -> dict[str, CoverageState]:
    """Every neighbourhood's state from a sequence of events; an event id seen before is dropped."""
    states: dict[str, CoverageState] = {}
    seen: set[str] = set()
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event, params)
    return states


def _mean(values: list[int]) -> float:
    return math.fsum(values) / len(values)


def read(state: CoverageState, as_of: datetime, params: CoverageParams | None = None) -> CoverageRow:
    params = params or DEFAULT_PARAMS
    start = as_of - params.window

    def inside(when: datetime) -> bool:
        return start < when <= as_of

    last_day = day_of(as_of)
    first_day = last_day - _window_days(params)
    heard = {
        channel: sum(n for day, n in by_day.items() if first_day < day <= last_day)
        for channel, by_day in state.heard.items()
    }
    channels = tuple(c for c in VOICE_CHANNELS if heard.get(c, 0))
    groups = tuple(sorted(g for g, when in state.groups.items() if inside(when)))
    # Meetings at the same time are ordered by all they hold, so the order they arrived in never shows.
    meetings = sorted(
        (m for m in state.meetings.values() if inside(m.time)),
        key=lambda m: (m.time, m.themes, -1 if m.attendance is None else m.attendance),
    )
    counted = [m.attendance for m in meetings if m.attendance is not None]
    n = params.trend_meetings
    trend = _mean(counted[-n:]) - _mean(counted[-2 * n : -n]) if len(counted) >= 2 * n else None
    latest = meetings[-params.recurring_meetings :]
    raised: dict[Theme, int] = {}
    for meeting in latest:
        for theme in meeting.themes:
            raised[theme] = raised.get(theme, 0) + 1
    return CoverageRow(
        channels_heard=channels,
        channels_missing=tuple(c for c in VOICE_CHANNELS if c not in channels),
        voices_12m=sum(heard.values()),
        groups_heard=groups,
        seldom_heard_gaps=tuple(sorted(params.seldom_heard_groups - set(groups))),
        meetings_12m=len(meetings),
        mean_attendance_12m=_mean(counted) if counted else None,
        attendance_trend=trend,
        recurring_issues=tuple(
            sorted((t for t, k in raised.items() if k >= params.recurring_min), key=lambda t: t.value)
        ),
    )
