"""Community tension: a level per neighbourhood that rises on a spike against its own baseline.

A pure model, not yet wired into the faust worker or DuckDB; the formulas, their parameters and why
they are so are in ``docs/models.md``.

* **Indicators** (College of Policing APP on community tension: monitor open sources, hate
  incidents and partner intelligence): negative sentiment and hostility of public posts, hate-themed
  reports from any channel, and meetings or partners raising disorder, violence or weapons.
* **Spike detection** is EARS C2 (CDC Early Aberration Reporting System; Hutwagner et al. 2003):
  each bucket's score is compared with the mean and standard deviation of the 7 buckets that ended
  2 buckets before it. The gap keeps the start of a slow build-up out of its own baseline; comparing a
  neighbourhood with itself means a busy city centre and a quiet village each have their own normal.
* **Level with hysteresis**: the level rises at once when the spike crosses a threshold, and falls one
  step only after the spike has stayed under a lower threshold for some buckets, so a reading near
  a threshold does not flap between levels from hour to hour.
* **Evidence**: every level change keeps the ids of the events behind it, so an officer can read
  what raised it.

``evolve`` needs no parameters: it keeps each relevant event's raw indicators under its id (so a
repeat is a no-op and the order of events does not matter); bucketing, weights and thresholds are
applied when reading, by ``history`` and ``level``, for any ``as_of``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from events import (
    CrimeRecorded,
    Envelope,
    Frozen,
    MeetingHeld,
    PartnerCallLogged,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TENSION_THEMES: frozenset[Theme] = frozenset({Theme.PUBLIC_ORDER, Theme.VIOLENCE, Theme.WEAPONS})
"""Themes that, raised at a meeting or by a partner, signal tension (hate is counted on its own)."""


class TensionParams(Frozen):
    """Every knob of the reading, with the default that ``docs/models.md`` justifies."""

    bucket: timedelta = timedelta(hours=1)
    """Width of a time bucket: hourly, because tension after an incident builds in hours."""
    baseline_buckets: Annotated[int, Field(ge=2)] = 7
    """EARS C2: the baseline is the 7 buckets ..."""
    gap_buckets: Annotated[int, Field(ge=0)] = 2
    """... that end 2 buckets before the bucket tested."""
    sd_floor: Annotated[float, Field(gt=0)] = 1.0
    """Least standard deviation used, in score units: a silent baseline has sd 0, and any post would
    be an infinite spike without it. 1.0 is about one hostile, negative post."""
    weight_negative: Annotated[float, Field(ge=0)] = 1.0
    """Per unit of negative sentiment (``max(0, -sentiment)``) of a post."""
    weight_hostility: Annotated[float, Field(ge=0)] = 2.0
    """Per unit of hostility of a post: hostility is closer to tension than negativity."""
    weight_hate: Annotated[float, Field(ge=0)] = 5.0
    """Per hate-themed report, from any channel: a hate incident is a tension indicator in itself."""
    weight_signal: Annotated[float, Field(ge=0)] = 2.0
    """Per meeting issue or partner report on public order, violence or weapons."""
    labels: tuple[str, ...] = ("normal", "elevated", "significant", "high", "critical")
    """One label per level, lowest first; level 1 is ``labels[0]``."""
    rise: tuple[float, ...] = (3.0, 6.0, 10.0, 15.0)
    """``rise[i]``: the C2 value at or above which the level becomes at least ``i + 2``. 3 is the
    EARS alert threshold."""
    fall: tuple[float, ...] = (2.0, 4.0, 7.0, 11.0)
    """``fall[i]``: level ``i + 2`` steps down once C2 stays below this for ``hold_buckets``."""
    hold_buckets: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _consistent(self) -> TensionParams:
        steps = len(self.labels) - 1
        if steps < 1 or len(self.rise) != steps or len(self.fall) != steps:
            raise ValueError("give one label per level and one rise and one fall threshold per step up")
        if list(self.rise) != sorted(self.rise) or any(
            f > r for f, r in zip(self.fall, self.rise, strict=True)
        ):
            raise ValueError("rise thresholds must increase, and each fall threshold be at most its rise")
        if self.bucket <= timedelta(0):
            raise ValueError("bucket must be positive")
        return self


DEFAULT_PARAMS = TensionParams()


class Signal(Frozen):
    """The raw tension indicators of one event."""

    time: AwareDatetime
    negative: Annotated[float, Field(ge=0)] = 0.0
    hostility: Annotated[float, Field(ge=0)] = 0.0
    hate: Annotated[int, Field(ge=0)] = 0
    signals: Annotated[int, Field(ge=0)] = 0

    def score(self, params: TensionParams) -> float:
        return (
            params.weight_negative * self.negative
            + params.weight_hostility * self.hostility
            + params.weight_hate * self.hate
            + params.weight_signal * self.signals
        )


class TensionState(Frozen):
    """What the tension model remembers about one neighbourhood: relevant events by id."""

    neighbourhood_id: str
    signals: Mapping[str, Signal] = Field(default_factory=dict)


class LevelChange(Frozen):
    """The level moved at ``bucket_start``; ``evidence_ids`` are the events behind the move."""

    bucket_start: AwareDatetime
    from_level: int
    to_level: int
    score: float
    evidence_ids: tuple[str, ...]
    """A rise: the events of the bucket that crossed the threshold, the largest contribution first.
    A fall: the events of the quiet buckets that let it fall (often none)."""


class TensionReading(Frozen):
    level: Annotated[int, Field(ge=1)]
    label: str
    score: float
    """The C2 value of the bucket holding ``as_of``."""
    evidence_ids: tuple[str, ...]
    """The evidence of the change that set the current level; empty if it never changed."""
    since: AwareDatetime | None = None
    """Start of the bucket where the current level was set."""


def _signal(event: Envelope) -> Signal | None:
    """The event's tension indicators, or None when it carries none."""
    payload = event.payload
    when = event.event_time
    if isinstance(payload, SocialSignalObserved):
        return Signal(
            time=when,
            negative=max(0.0, -payload.sentiment),
            hostility=payload.hostility,
            hate=int(payload.theme is Theme.HATE),
        )
    if isinstance(payload, SurveyResponseReceived):
        hate = int(Theme.HATE in payload.concerns)
        return Signal(time=when, hate=hate) if hate else None
    if isinstance(payload, PartnerCallLogged):
        if payload.theme is Theme.HATE:
            return Signal(time=when, hate=payload.count)
        return Signal(time=when, signals=payload.count) if payload.theme in TENSION_THEMES else None
    if isinstance(payload, MeetingHeld):
        hate = sum(1 for issue in payload.issues_raised if issue.theme is Theme.HATE)
        signals = sum(1 for issue in payload.issues_raised if issue.theme in TENSION_THEMES)
        return Signal(time=when, hate=hate, signals=signals) if hate or signals else None
    if isinstance(payload, CrimeRecorded):
        # A recorded hate crime or incident is a hate report.
        return Signal(time=when, hate=1) if payload.theme is Theme.HATE else None
    return None


def evolve(state: TensionState | None, event: Envelope) -> TensionState:
    """The neighbourhood's state after one more event; ``state`` is None for one never seen."""
    current = state or TensionState(neighbourhood_id=event.neighbourhood_id)
    signal = _signal(event)
    if signal is None or event.event_id in current.signals:
        return current
    return current.model_copy(update={"signals": {**current.signals, event.event_id: signal}})


def fold(events: Iterable[Envelope]) -> dict[str, TensionState]:
    states: dict[str, TensionState] = {}
    for event in events:
        states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event)
    return states


def bucket_of(when: datetime, bucket: timedelta) -> int:
    """Index of the bucket holding ``when``, counted from the Unix epoch (so hours start on the hour)."""
    return (when - EPOCH) // bucket


def c2(value: float, baseline: list[float], sd_floor: float) -> float:
    """EARS C2: ``(value - mean) / max(sd, sd_floor)``, sd the sample standard deviation."""
    mean = math.fsum(baseline) / len(baseline)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in baseline) / (len(baseline) - 1))
    return (value - mean) / max(sd, sd_floor)


def _level_for(value: float, params: TensionParams) -> int:
    return 1 + sum(1 for threshold in params.rise if value >= threshold)


def history(
    state: TensionState, as_of: datetime, params: TensionParams | None = None
) -> tuple[tuple[LevelChange, ...], float]:
    """Every level change from the first signal up to the bucket holding ``as_of``, and its C2.

    Events after ``as_of`` are ignored. Buckets before the first signal count as quiet (score 0):
    a neighbourhood starts at level 1.
    """
    params = params or DEFAULT_PARAMS
    last = bucket_of(as_of, params.bucket)
    totals: dict[int, float] = {}
    members: dict[int, list[tuple[float, str]]] = {}
    for event_id, signal in state.signals.items():
        if signal.time > as_of:
            continue
        index = bucket_of(signal.time, params.bucket)
        contribution = signal.score(params)
        members.setdefault(index, []).append((contribution, event_id))
    for index, contributions in members.items():
        totals[index] = math.fsum(c for c, _ in contributions)
    if not totals:
        return (), 0.0
    start = min(totals)
    offset = params.gap_buckets + params.baseline_buckets
    level, quiet = 1, 0
    quiet_ids: list[str] = []
    changes: list[LevelChange] = []
    value = 0.0
    for index in range(start, last + 1):
        baseline = [totals.get(i, 0.0) for i in range(index - offset, index - params.gap_buckets)]
        value = c2(totals.get(index, 0.0), baseline, params.sd_floor)
        here = [event_id for _, event_id in sorted(members.get(index, []), key=lambda m: (-m[0], m[1]))]
        target = _level_for(value, params)
        if target > level:
            changes.append(_change(index, level, target, value, tuple(here), params))
            level, quiet, quiet_ids = target, 0, []
        elif level > 1 and value < params.fall[level - 2]:
            quiet += 1
            quiet_ids.extend(here)
            if quiet >= params.hold_buckets:
                changes.append(_change(index, level, level - 1, value, tuple(quiet_ids), params))
                level, quiet, quiet_ids = level - 1, 0, []
        else:
            quiet, quiet_ids = 0, []
    return tuple(changes), value


def _change(
    index: int, old: int, new: int, value: float, evidence: tuple[str, ...], params: TensionParams
) -> LevelChange:
    return LevelChange(
        bucket_start=EPOCH + index * params.bucket,
        from_level=old,
        to_level=new,
        score=value,
        evidence_ids=evidence,
    )


def level(state: TensionState, as_of: datetime, params: TensionParams | None = None) -> TensionReading:
    """The neighbourhood's tension as of ``as_of``."""
    params = params or DEFAULT_PARAMS
    changes, value = history(state, as_of, params)
    if not changes:
        return TensionReading(level=1, label=params.labels[0], score=value, evidence_ids=())
    latest = changes[-1]
    return TensionReading(
        level=latest.to_level,
        label=params.labels[latest.to_level - 1],
        score=value,
        evidence_ids=latest.evidence_ids,
        since=latest.bucket_start,
    )
