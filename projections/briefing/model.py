"""What a TT&CG pack holds: frozen rows, one model per table of the pack and of its exports.

Pure: no DuckDB, no pyarrow, no rendering. ``read.py`` fills a ``Snapshot`` from the database,
``assess.py`` turns it into a ``Pack`` by the rules in ``docs/briefing.md``, and the renderers and
exporters only format what the pack holds, so the HTML, the PDF and the CSV files cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from events import Frozen, ProtectiveMarking, Theme

THEME_LABELS: dict[str, str] = {
    Theme.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    Theme.DRUGS: "Drugs",
    Theme.ROAD_SAFETY: "Road safety",
    Theme.BURGLARY: "Burglary",
    Theme.VEHICLE_CRIME: "Vehicle crime",
    Theme.VIOLENCE: "Violence",
    Theme.ROBBERY: "Robbery",
    Theme.THEFT: "Theft",
    Theme.WEAPONS: "Weapons",
    Theme.PUBLIC_ORDER: "Public order",
    Theme.CRIMINAL_DAMAGE: "Criminal damage",
    Theme.HATE: "Hate crime and incidents",
    Theme.ENVIRONMENT: "Environment (litter, fly-tipping)",
    Theme.NOISE: "Noise",
    Theme.YOUTH_NUISANCE: "Youth nuisance",
    Theme.PARKING: "Parking",
    Theme.OTHER: "Other",
}
"""How a theme reads to a person; also the ``issue`` of the open-data priorities (no resident's words)."""

GROUP_LABELS: dict[str, str] = {
    "lgbtq": "LGBTQ+ people",
    "gypsy_roma_traveller": "Gypsy, Roma and Traveller communities",
    "refugees_asylum_seekers": "refugees and asylum seekers",
    "non_english_speakers": "people who do not speak English",
    "minority_ethnic": "minority ethnic communities",
    "faith": "faith communities",
    "homeless": "people who are homeless",
    "disabled": "disabled people",
    "young_people": "young people",
    "older_people": "older people",
    "students": "students",
    "shift_workers": "shift workers",
}
"""Seldom-heard groups as a person reads them (the labels of ``projections.priority.SELDOM_HEARD_GROUPS``)."""

CHANNEL_LABELS: dict[str, str] = {
    "meeting": "meetings (PACT, beat, surgeries)",
    "survey": "surveys",
    "partner_call": "partners' calls",
    "social": "social media",
}


def theme_label(theme: str) -> str:
    return THEME_LABELS.get(theme, theme.replace("_", " ").capitalize())


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " "))


def iso(value: datetime) -> str:
    """UTC ISO 8601 with ``Z``; microseconds only when there are any."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def highest(markings: Iterable[str]) -> ProtectiveMarking:
    """The highest protective marking among ``markings`` (OFFICIAL when there are none)."""
    if any(m == ProtectiveMarking.OFFICIAL_SENSITIVE for m in markings):
        return ProtectiveMarking.OFFICIAL_SENSITIVE
    return ProtectiveMarking.OFFICIAL


class Rules(Frozen):
    """Every threshold the pack's rules use; ``docs/briefing.md`` says why each has its default."""

    top: Annotated[int, Field(ge=1)] = 3
    """A PACT's priorities: the top 3 themes. New entrants to it are emerging issues."""
    shown: Annotated[int, Field(ge=1)] = 5
    """Priorities shown per neighbourhood (a team works 3 to 5 at once)."""
    reassurance_level: Annotated[int, Field(ge=1)] = 3
    """Tension at or above this level: high-visibility patrol and reassurance with partners."""
    high_priority_level: Annotated[int, Field(ge=1)] = 4
    """Tension at or above this level makes the reassurance tasking high priority."""
    problem_solving_harm: float = 2.5
    """A top priority whose harm weight is at least this, with concern ahead of recorded crime,
    gets a problem-solving plan."""
    report_back_after: timedelta = timedelta(days=28)
    """A priority awaiting action for longer than this is reported back on at the next PACT."""
    spike_baseline_periods: Annotated[int, Field(ge=2)] = 6
    """Earlier periods, each as long as the pack's period, that make a theme's baseline."""
    spike_min_baseline_periods: Annotated[int, Field(ge=2)] = 2
    """Fewer fully heard baseline periods than this: too little history to call a spike."""
    spike_min_events: Annotated[int, Field(ge=1)] = 3
    """A spike needs at least this many events in the period."""
    spike_z: float = 3.0
    """(events - baseline mean) / max(baseline sd, sd floor) at or above this is a spike."""
    spike_sd_floor: float = Field(default=1.0, gt=0)
    """Stops a flat baseline (sd 0) from turning one extra event into an infinite spike."""
    low_turnout_below: float = 10.0
    """Mean meeting attendance below this over 12 months is low turnout."""
    changes_listed_from: Annotated[int, Field(ge=1)] = 3
    """Tension changes in the period are listed with their evidence when they reach this level
    (analysts' confirmations and overrides are always listed); the others are counted."""
    evidence_per_change: Annotated[int, Field(ge=1)] = 5
    """Evidence events cited per tension change, largest contribution first."""
    minimum_marking: ProtectiveMarking = ProtectiveMarking.OFFICIAL
    """The lowest marking a pack carries: a force that handles every TT&CG pack as OFFICIAL-SENSITIVE
    sets it so; the evidence cited can raise it, never lower it."""


DEFAULT_RULES = Rules()

Movement = Literal["new", "up", "down", "same", "out"]
Priority = Literal["high", "medium", "low"]


class Place(Frozen):
    neighbourhood_id: str
    name: str


# --- what the database holds, as of a time (filled by read.py) ---------------------------------


class RankedTheme(Frozen):
    """A theme's row of ``priority_history`` in force at a time."""

    neighbourhood_id: str
    theme: str
    rank: int
    score: float
    voices: int
    harm: float
    voice_share: float
    crime_share: float | None
    concern_crime_gap: float | None
    channels: tuple[str, ...]
    seldom_heard_share: float
    agreed: bool
    in_top_elsewhere: bool


class TensionPoint(Frozen):
    """A row of ``tension_history``: a level in force from ``valid_from``."""

    neighbourhood_id: str
    seq: int
    valid_from: AwareDatetime
    level: int
    label: str
    cause: str
    score: float
    evidence_ids: tuple[str, ...]
    analyst: str
    from_level: int | None
    """The level of the row before (None for a neighbourhood's first row)."""
    rise_at: AwareDatetime | None = None
    """When the latest rise at or before this row began (this row itself when it is a rise): the
    level in force after a fall still rests on the events of the rise before it."""
    rise_level: int | None = None
    rise_evidence_ids: tuple[str, ...] = ()


class CoverageState(Frozen):
    neighbourhood_id: str
    channels_heard: tuple[str, ...]
    channels_missing: tuple[str, ...]
    voices_12m: int
    groups_heard: tuple[str, ...]
    seldom_heard_gaps: tuple[str, ...]
    meetings_12m: int
    mean_attendance_12m: float | None
    attendance_trend: float | None
    recurring_issues: tuple[str, ...]


class FeedbackState(Frozen):
    neighbourhood_id: str
    theme: str
    status: str
    priority_set_at: AwareDatetime | None
    actions: int
    first_action_at: AwareDatetime | None
    last_action_at: AwareDatetime | None
    days_to_action: float | None
    reported_back: bool
    reason: str


class ThemeCount(Frozen):
    """Events on a theme in one period: ``back`` 0 is the pack's period, 1 the one before, ..."""

    neighbourhood_id: str
    theme: str
    back: int
    events: int


class Evidence(Frozen):
    """An event behind a tension change, from the evidence store (text already redacted)."""

    event_id: str
    neighbourhood_id: str
    neighbourhood: str
    event_time: AwareDatetime
    event_type: str
    channel: str
    theme: str | None
    source: str
    marking: ProtectiveMarking
    text: str


class Snapshot(Frozen):
    """Everything the pack needs, read in one transaction (one consistent state of the database)."""

    as_of: AwareDatetime
    previous_as_of: AwareDatetime
    places: tuple[Place, ...]
    priorities_now: tuple[RankedTheme, ...]
    priorities_before: tuple[RankedTheme, ...]
    tension_now: tuple[TensionPoint, ...]
    tension_before: tuple[TensionPoint, ...]
    tension_changes: tuple[TensionPoint, ...]
    """Rows whose ``valid_from`` falls in the period (previous_as_of, as_of]."""
    coverage: tuple[CoverageState, ...]
    feedback: tuple[FeedbackState, ...]
    theme_counts: tuple[ThemeCount, ...]
    first_voice: Mapping[str, AwareDatetime]
    """Per neighbourhood, its first event on a voice channel (where its baseline can start)."""
    evidence: tuple[Evidence, ...]
    restricted: frozenset[tuple[str, str]] = frozenset()
    """(neighbourhood, theme) pairs whose priority or action came in an OFFICIAL-SENSITIVE event:
    kept out of the open data."""
    tension_labels: tuple[str, ...]


# --- what the pack shows (filled by assess.py) --------------------------------------------------


class PriorityRow(Frozen):
    """A theme in a neighbourhood's top priorities, or one that left them, with its movement."""

    neighbourhood_id: str
    neighbourhood: str
    theme: str
    rank: int | None
    """Rank as of the pack (1 = top); None when the theme is no longer ranked."""
    previous_rank: int | None
    """Rank as of the last pack; None when it was not ranked then."""
    movement: Movement
    score: float | None
    voices: int | None
    harm: float | None
    voice_share: float | None
    crime_share: float | None
    concern_crime_gap: float | None
    channels: tuple[str, ...]
    seldom_heard_share: float | None
    agreed: bool
    """Agreed by the latest PACT or beat meeting that agreed priorities."""
    in_top_elsewhere: bool
    """Among the top themes of surveys, partners and social media (outside meetings)."""


class TensionRow(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    level: int
    label: str
    previous_level: int
    change: int
    """level - previous_level."""
    peak_level: int
    """The highest level in force at any time in the period."""
    rises: int
    """Changes in the period that raised the level."""
    since: AwareDatetime | None
    """When the level in force began (None: never assessed above the first level)."""
    cause: str
    analyst: str
    """The analyst (role or collar number) behind the level in force, when it was set by one."""
    score: float
    risen_at: AwareDatetime | None
    """When the latest rise behind the level in force began (cited at or above the reassurance level)."""
    risen_to: int | None
    evidence_ids: tuple[str, ...]
    """The events behind that rise, largest contribution first (at or above the reassurance level)."""
    marking: ProtectiveMarking


class TensionChange(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    at: AwareDatetime
    from_level: int
    to_level: int
    label: str
    cause: str
    score: float
    analyst: str
    evidence_ids: tuple[str, ...]
    listed: bool
    """Shown in the pack with its evidence (see ``Rules.changes_listed_from``)."""
    marking: ProtectiveMarking


class EmergingIssue(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    theme: str
    kind: Literal["new_in_top", "spike"]
    rank: int | None
    previous_rank: int | None
    events: int | None
    """Events on the theme in the period (spikes)."""
    baseline_mean: float | None
    baseline_sd: float | None
    baseline_periods: int | None
    z: float | None
    detail: str


class Tasking(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    priority: Priority
    rule: str
    """The rule's id in docs/briefing.md."""
    tasking: str
    reason: str
    theme: str | None
    evidence_ids: tuple[str, ...]
    marking: ProtectiveMarking


class FeedbackRow(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    theme: str
    status: str
    priority_set_at: AwareDatetime | None
    days_open: float | None
    """Days from the priority being set to the pack's as-of, while nothing has been done."""
    actions: int
    first_action_at: AwareDatetime | None
    last_action_at: AwareDatetime | None
    days_to_action: float | None
    reported_back: bool
    reason: str


class CoverageRow(Frozen):
    neighbourhood_id: str
    neighbourhood: str
    channels_heard: tuple[str, ...]
    channels_missing: tuple[str, ...]
    voices_12m: int
    groups_heard: tuple[str, ...]
    seldom_heard_gaps: tuple[str, ...]
    meetings_12m: int
    mean_attendance_12m: float | None
    attendance_trend: float | None
    recurring_issues: tuple[str, ...]
    low_turnout: bool
    falling_turnout: bool
    engage_next: str
    """Whom to engage next and through which channels, in words."""


class EvidenceRow(Frozen):
    event_id: str
    neighbourhood_id: str
    neighbourhood: str
    event_time: AwareDatetime
    event_type: str
    channel: str
    theme: str | None
    source: str
    marking: ProtectiveMarking
    text: str


class Summary(Frozen):
    neighbourhoods: int
    neighbourhoods_heard: int
    """Neighbourhoods with any priority view as of the pack."""
    tension_at_reassurance: int
    tension_rose: int
    tension_fell: int
    new_in_top: int
    spikes: int
    taskings: Mapping[str, int]
    awaiting_overdue: int
    not_reported_back: int
    seldom_heard_gaps: int
    """Neighbourhoods where some seldom-heard group was not heard in 12 months."""
    movement: Mapping[str, int]
    top_themes_now: Mapping[str, int]
    """Per theme, the neighbourhoods that have it in their top ``Rules.top``."""
    top_themes_before: Mapping[str, int]
    tension_levels_now: tuple[int, ...]
    """Neighbourhoods at each level (index 0 = level 1)."""
    tension_levels_before: tuple[int, ...]
    headlines: tuple[str, ...]


class Pack(Frozen):
    area: str
    as_of: AwareDatetime
    previous_as_of: AwareDatetime
    marking: ProtectiveMarking
    """The highest marking of anything the pack holds: printed on every page."""
    places: tuple[Place, ...]
    rules: Rules
    tension_labels: tuple[str, ...]
    summary: Summary
    priorities: tuple[PriorityRow, ...]
    tension: tuple[TensionRow, ...]
    tension_changes: tuple[TensionChange, ...]
    emerging: tuple[EmergingIssue, ...]
    taskings: tuple[Tasking, ...]
    coverage: tuple[CoverageRow, ...]
    feedback: tuple[FeedbackRow, ...]
    evidence: tuple[EvidenceRow, ...]
    restricted: frozenset[tuple[str, str]] = frozenset()
