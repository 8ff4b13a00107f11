"""What the dashboard shows, as read from the tables for one as-of time. Pure data."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime

from events import Frozen
from projections.dashboard.movement import Movement, movement

MOVEMENT_DAYS = 14
"""Priorities' movement compares their rank with that many days before the as-of time."""
TIMELINE_DAYS = 28
"""The changes of tension listed (with their evidence) are those of that many days up to the as-of time."""
CHART_DAYS = 7
"""The tension chart spans that many days: tension builds in hours, which a longer axis hides."""
TOP_PRIORITIES = 5


class Evidence(Frozen):
    """An event behind a change of tension: the redacted record an officer reads."""

    event_id: str
    event_time: AwareDatetime
    event_type: str
    channel: str
    theme: str | None
    source: str
    marking: str
    text: str


class TensionPeriod(Frozen):
    """One row of ``tension_history``: the level in force from ``valid_from`` to ``valid_to``."""

    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    level: int
    label: str
    modelled_level: int
    cause: str
    score: float
    analyst: str
    evidence_ids: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    """The events of ``evidence_ids`` found in the evidence store, largest contribution first."""


class Priority(Frozen):
    theme: str
    rank: int
    score: float
    voices: int
    channels: tuple[str, ...]
    agreed: bool
    in_top_elsewhere: bool
    concern_crime_gap: float | None
    rank_before: int | None
    """Its rank ``MOVEMENT_DAYS`` before the as-of time; None when it was not ranked then."""

    @property
    def movement(self) -> Movement:
        return movement(self.rank, self.rank_before, MOVEMENT_DAYS)


class Coverage(Frozen):
    channels_heard: tuple[str, ...]
    channels_missing: tuple[str, ...]
    voices_12m: int
    groups_heard: tuple[str, ...]
    seldom_heard_gaps: tuple[str, ...]
    meetings_12m: int
    mean_attendance_12m: float | None
    attendance_trend: float | None
    recurring_issues: tuple[str, ...]


class Feedback(Frozen):
    theme: str
    status: str
    priority_set_at: AwareDatetime | None
    actions: int
    first_action_at: AwareDatetime | None
    last_action_at: AwareDatetime | None
    days_to_action: float | None
    reported_back: bool
    reason: str


class Area(Frozen):
    """One neighbourhood as of the dashboard's time."""

    neighbourhood_id: str
    name: str
    level: int | None
    """Tension in force (1..5); None when nothing had been heard from it by then."""
    label: str
    since: AwareDatetime | None
    cause: str
    analyst: str
    priorities: tuple[Priority, ...]
    """Its ranked themes, top first (all of them; the page shows the top ``TOP_PRIORITIES``)."""
    timeline: tuple[TensionPeriod, ...]
    """Changes of the level in force that overlap the timeline window, oldest first."""
    coverage: Coverage | None
    feedback: tuple[Feedback, ...]


class Dashboard(Frozen):
    as_of: AwareDatetime | None
    """The time every table is read at; None when the database holds nothing yet."""
    requested: AwareDatetime | None
    """The as-of time asked for; None for the latest, which links then keep following."""
    latest: AwareDatetime | None
    """The latest event time any neighbourhood's view reflects."""
    marking: str
    """The highest protective marking of the events behind what is shown."""
    selected: str | None
    """The neighbourhood whose detail alone is shown; None for every neighbourhood."""
    areas: tuple[Area, ...]
    """Every neighbourhood of the boundaries, in their order."""

    @property
    def compared_with(self) -> datetime | None:
        return None if self.as_of is None else self.as_of - timedelta(days=MOVEMENT_DAYS)

    @property
    def timeline_from(self) -> datetime | None:
        return None if self.as_of is None else self.as_of - timedelta(days=TIMELINE_DAYS)

    @property
    def chart_from(self) -> datetime | None:
        return None if self.as_of is None else self.as_of - timedelta(days=CHART_DAYS)
