"""The shapes of the API's JSON answers, as the OpenAPI document publishes them.

Each row model has exactly the columns of its view (``views.*_COLUMNS``; a test keeps them equal).
A column withheld from a role (``policy.POLICY``) is left out of that role's rows, so it is optional
here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field

from events import Frozen, ProtectiveMarking

Row = TypeVar("Row", bound=Frozen)


class ErrorBody(Frozen):
    """Why the request was not answered, and what to do instead."""

    error: str


class Answer(Frozen, Generic[Row]):
    """A view's rows, with what they are and how they may be handled."""

    view: str
    as_of: datetime | None
    """The time asked for (``as_of``); null: the tables as they are now."""
    marking: ProtectiveMarking
    """The protective marking of the answer: handle it accordingly."""
    withheld: list[str]
    """Columns of the view left out for the caller's role."""
    count: int
    rows: list[Row]


class NeighbourhoodRow(Frozen):
    neighbourhood_id: str
    name: str


class PriorityRow(Frozen):
    """One theme's place in a neighbourhood's priorities (docs/models.md, section 1)."""

    neighbourhood_id: str
    name: str | None
    theme: str
    rank: int
    """1 is the top priority."""
    score: float
    voices: int
    neighbourhood_voices: int
    breadth: float
    harm: float
    recency: float
    channels: list[str]
    channel_factor: float
    seldom_heard_share: float
    uplift: float
    recorded_crimes: int
    voice_share: float
    crime_share: float | None
    concern_crime_gap: float | None
    agreed: bool
    in_top_elsewhere: bool
    as_of: datetime
    """Event time of the view the row belongs to."""
    version: int
    recorded_at: datetime


class CoverageRow(Frozen):
    """Who has been heard in a neighbourhood, and who has not (docs/models.md, section 3)."""

    neighbourhood_id: str
    name: str | None
    channels_heard: list[str]
    channels_missing: list[str]
    voices_12m: int
    groups_heard: list[str]
    seldom_heard_gaps: list[str]
    meetings_12m: int
    mean_attendance_12m: float | None
    attendance_trend: float | None
    recurring_issues: list[str]
    as_of: datetime
    version: int
    recorded_at: datetime


class FeedbackRow(Frozen):
    """You said, we did: what became of a priority (docs/models.md, section 4)."""

    neighbourhood_id: str
    name: str | None
    theme: str
    status: str
    priority_set_at: datetime | None
    actions: int
    first_action_at: datetime | None
    last_action_at: datetime | None
    days_to_action: float | None
    reported_back: bool
    reason: str | None = None
    """Why no action was taken (redacted free text); withheld from the public."""
    as_of: datetime
    version: int
    recorded_at: datetime


class TensionRow(Frozen):
    """A neighbourhood's community tension level (docs/models.md, section 2)."""

    neighbourhood_id: str
    name: str | None
    level: int
    label: str
    modelled_level: int
    score: float
    since: datetime | None
    """Since when the level has been in force."""
    cause: str | None
    """What set the level: start, model, override, override_ended, confirm or clear."""
    evidence_ids: list[str] | None = None
    """The events behind a modelled rise (GET /api/v1/evidence?event_id=...); withheld from partners."""
    overridden: bool | None
    """Whether an analyst's override is in force; null in an answer as of a past time."""
    confirmed: bool | None
    """Whether an analyst confirmed the level; null in an answer as of a past time."""
    assessed_by: str
    """The analyst's role or collar number when an analyst set the level; empty otherwise."""
    as_of: datetime


class TimelineRow(Frozen):
    """One stretch of a neighbourhood's tension: the level in force from ``valid_from`` to ``valid_to``."""

    neighbourhood_id: str
    name: str | None
    seq: int
    valid_from: datetime
    valid_to: datetime | None
    level: int
    label: str
    modelled_level: int
    cause: str
    score: float
    evidence_ids: list[str] | None = None
    """Withheld from partners."""
    assessed_by: str


class AlertRow(Frozen):
    """A rise of tension as it was raised."""

    neighbourhood_id: str
    name: str | None
    raised_at: datetime
    from_level: int
    to_level: int
    label: str
    cause: str
    score: float
    evidence_ids: list[str] | None = None
    """Withheld from partners."""
    version: int


class EvidenceRow(Frozen):
    """An event as the connectors redacted it: what lies behind a score."""

    event_id: str
    neighbourhood_id: str
    name: str | None
    event_type: str
    channel: str
    theme: str | None
    event_time: datetime
    recorded_time: datetime
    source: str
    marking: ProtectiveMarking
    text: str
    """The event's free text, redacted of personal data."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """The event's payload as published (JSON; a string in CSV and Parquet)."""


class StatusBody(Frozen):
    """The sink's positions and counters."""

    running: bool
    positions: dict[str, dict[str, int]]
    batches: int
    rows_written: int
    updates_read: int
    undecodable: int


class HealthBody(Frozen):
    status: str
