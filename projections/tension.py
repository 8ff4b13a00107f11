"""Community tension: a level per neighbourhood that rises on a spike against its own baseline.

A pure model (the worker and the rebuild call it through ``projections.neighbourhood``); the
formulas, their parameters and why they are so are in ``docs/models.md``.

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

``evolve`` keeps each relevant event's raw indicators under its id (so a repeat is a no-op and the
order of events does not matter) until its bucket is sealed, and beside them each bucket's total
score as an exact integer (``totals``, for the bucket and weights of its parameters): a reading as of
the watermark, which is what every view is, costs per bucket, not per indicator. A reading for other
parameters or an earlier ``as_of`` works the totals out from the indicators, to the same bits.
Thresholds are applied when reading, by ``history`` and ``level``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import AwareDatetime, Field, model_validator

from events import (
    CrimeRecorded,
    Envelope,
    Frozen,
    MeetingHeld,
    PartnerCallLogged,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)
from projections import exact
from projections.columns import EPOCH, Book, from_micros, span_micros, to_micros
from projections.exact import ExactUnits

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
    weight_rumour: Annotated[float, Field(ge=0)] = 1.5
    """Per unit of rumour of a post: unverified claims spread fastest when tension is building."""
    labels: tuple[str, ...] = ("normal", "elevated", "significant", "high", "critical")
    """One label per level, lowest first; level 1 is ``labels[0]``."""
    rise: tuple[float, ...] = (3.0, 6.0, 10.0, 15.0)
    """``rise[i]``: the C2 value at or above which the level becomes at least ``i + 2``. 3 is the
    EARS alert threshold."""
    fall: tuple[float, ...] = (2.0, 4.0, 7.0, 11.0)
    """``fall[i]``: level ``i + 2`` steps down once C2 stays below this for ``hold_buckets``."""
    hold_buckets: Annotated[int, Field(ge=1)] = 3
    lateness: timedelta = timedelta(hours=48)
    """How late an indicator may arrive (behind the latest event time heard in the neighbourhood) and
    still count. Older buckets are sealed: their levels are final and their events are forgotten, so
    the state stays small; an indicator later than this is counted in ``too_late`` and not scored.
    Recorded crime published monthly is context for priority, not a live tension signal."""
    seal_every: Annotated[int, Field(ge=1)] = 24
    """Seal in steps of this many buckets, so sealing costs little per event."""

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

TOTAL_BITS = 64
"""Bucket totals are kept in units of 2**-64 of a score, as exact integers: a sum of them does not
depend on the order of the signals, so the totals the fold keeps and the ones worked out again from
the signals are the same number, bit for bit."""


def _units(score: float) -> int:
    return round(math.ldexp(score, TOTAL_BITS))


def _score_of(units: int) -> float:
    return math.ldexp(units, -TOTAL_BITS)


def _basis(params: TensionParams) -> str:
    weights = (
        params.weight_negative,
        params.weight_hostility,
        params.weight_hate,
        params.weight_signal,
        params.weight_rumour,
    )
    return exact.basis(params.bucket.total_seconds(), weights)


Grade = Literal["experienced", "evidenced", "potential"]
"""How an indicator is known, after the APP's grading of tension indicators: *experienced* (an
incident that happened and was recorded: a recorded hate crime, a partner's report), *evidenced*
(residents reporting it: meetings, surveys) and *potential* (open-source signals of what may come:
posts, rumour)."""


class Signal(NamedTuple):
    """The raw tension indicators of one event.

    A named tuple, not a model: it is what a lookup in a state's ``SignalBook`` gives, and the state
    holds its indicators as columns (``projections.columns``). The columns are validated when a
    state is read back from JSON.
    """

    time: AwareDatetime
    grade: Grade = "potential"
    negative: Annotated[float, Field(ge=0)] = 0.0
    hostility: Annotated[float, Field(ge=0)] = 0.0
    rumour: Annotated[float, Field(ge=0)] = 0.0
    hate: Annotated[int, Field(ge=0)] = 0
    signals: Annotated[int, Field(ge=0)] = 0

    def score(self, params: TensionParams) -> float:
        return _weighted(params, self.negative, self.hostility, self.rumour, self.hate, self.signals)


def _weighted(
    params: TensionParams, negative: float, hostility: float, rumour: float, hate: int, signals: int
) -> float:
    """An indicator's score: one sum, in one order, wherever it is taken, so totals agree bit for bit."""
    return (
        params.weight_negative * negative
        + params.weight_hostility * hostility
        + params.weight_hate * hate
        + params.weight_signal * signals
        + params.weight_rumour * rumour
    )


class SignalBook(Book[Signal]):
    """Unsealed indicators by event id, as columns (``projections.columns``)."""

    COLUMNS: ClassVar[dict[str, Any]] = {
        "times": int,
        "grades": Grade,
        "negative": Annotated[float, Field(ge=0)],
        "hostility": Annotated[float, Field(ge=0)],
        "rumour": Annotated[float, Field(ge=0)],
        "hate": Annotated[int, Field(ge=0)],
        "signals": Annotated[int, Field(ge=0)],
    }
    """``times``: each indicator's event time in microseconds since the epoch."""
    ENTRY = Signal

    @staticmethod
    def entry(row: Sequence[Any]) -> Signal:
        micros, *rest = row
        return Signal(from_micros(micros), *rest)

    @staticmethod
    def row(entry: Signal) -> tuple[Any, ...]:
        return (to_micros(entry.time), *entry[1:])

    def scored(
        self, params: TensionParams, until: datetime | None = None
    ) -> Iterator[tuple[int, float, str]]:
        """Each indicator's time (microseconds), score and event id, in key order; with ``until``,
        only those up to it."""
        limit = None if until is None else to_micros(until)
        columns = zip(
            self,
            self.column("times"),
            self.column("negative"),
            self.column("hostility"),
            self.column("rumour"),
            self.column("hate"),
            self.column("signals"),
            strict=True,
        )
        for key, micros, negative, hostility, rumour, hate, signals in columns:
            if limit is not None and micros > limit:
                continue
            score = _weighted(params, negative, hostility, rumour, hate, signals)
            yield micros, score, key


class Assessment(Frozen):
    """An analyst's confirmation, override or withdrawal of an override (``TensionAssessed``)."""

    time: AwareDatetime
    assessment: Literal["confirm", "override", "clear"]
    level: int | None = None
    analyst: str
    valid_until: AwareDatetime | None = None


class Sealed(Frozen):
    """The reading carried over from buckets too old to change: everything before ``through``."""

    through: int
    """Buckets with an index below this are final."""
    level: int = 1
    quiet: int = 0
    quiet_ids: tuple[str, ...] = ()
    changes: tuple[LevelChange, ...] = ()
    baseline: tuple[float, ...] = ()
    """Totals of the ``gap + baseline`` buckets just before ``through``, oldest first."""
    value: float = 0.0


class TensionState(Frozen):
    """What the tension model remembers about one neighbourhood: unsealed indicators by event id."""

    neighbourhood_id: str
    signals: SignalBook = Field(default_factory=SignalBook)
    assessments: Mapping[str, Assessment] = Field(default_factory=dict)
    watermark: AwareDatetime | None = None
    """The latest event time seen in the neighbourhood, on any channel."""
    first_seen: AwareDatetime | None = None
    """The earliest event time seen in the neighbourhood: where its timeline starts, at level 1."""
    sealed: Sealed | None = None
    too_late: int = 0
    """Indicators that arrived after their bucket was sealed, and so were not scored."""
    totals: Mapping[int, ExactUnits] = Field(default_factory=dict)
    """Per unsealed bucket, its signals' scores summed (``_units``) for the parameters ``basis``
    names: a reading as of the watermark uses them and leaves the signals to the evidence."""
    basis: str = ""
    """Which bucket length and weights ``totals`` were summed for (``_basis``)."""


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
    """The level in force: an analyst's override while it lasts, the model's level otherwise."""
    label: str
    modelled_level: Annotated[int, Field(ge=1)] = 1
    """What the model alone says."""
    overridden: bool = False
    confirmed: bool = False
    """An analyst confirmed the modelled level, and the model has not moved since."""
    velocity: float = 0.0
    """Score of the current bucket minus the previous one (see ``velocity``)."""
    assessed_by: str = ""
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
            grade="potential",
            negative=max(0.0, -payload.sentiment),
            hostility=payload.hostility,
            rumour=payload.rumour,
            hate=int(payload.theme is Theme.HATE),
        )
    if isinstance(payload, SurveyResponseReceived):
        hate = int(Theme.HATE in payload.concerns)
        return Signal(time=when, grade="evidenced", hate=hate) if hate else None
    if isinstance(payload, PartnerCallLogged):
        if payload.theme is Theme.HATE:
            return Signal(time=when, grade="experienced", hate=payload.count)
        if payload.theme in TENSION_THEMES:
            return Signal(time=when, grade="experienced", signals=payload.count)
        return None
    if isinstance(payload, MeetingHeld):
        hate = sum(1 for issue in payload.issues_raised if issue.theme is Theme.HATE)
        signals = sum(1 for issue in payload.issues_raised if issue.theme in TENSION_THEMES)
        return Signal(time=when, grade="evidenced", hate=hate, signals=signals) if hate or signals else None
    if isinstance(payload, CrimeRecorded):
        # A recorded hate crime or incident is a hate report.
        return Signal(time=when, grade="experienced", hate=1) if payload.theme is Theme.HATE else None
    return None


def evolve(state: TensionState | None, event: Envelope, params: TensionParams | None = None) -> TensionState:
    """The neighbourhood's state after one more event; ``state`` is None for one never seen."""
    params = params or DEFAULT_PARAMS
    current = state or TensionState(neighbourhood_id=event.neighbourhood_id)
    watermark = event.event_time if current.watermark is None else max(current.watermark, event.event_time)
    first = event.event_time if current.first_seen is None else min(current.first_seen, event.event_time)
    update: dict[str, object] = {"watermark": watermark, "first_seen": first}
    if isinstance(event.payload, TensionAssessed):
        assessment = Assessment(
            time=event.event_time,
            assessment=event.payload.assessment,
            level=event.payload.level,
            analyst=event.payload.analyst,
            valid_until=event.payload.valid_until,
        )
        update["assessments"] = {**current.assessments, event.event_id: assessment}
    signal = _signal(event)
    if signal is not None and event.event_id not in current.signals:
        index = bucket_of(signal.time, params.bucket)
        if current.sealed is not None and index < current.sealed.through:
            update["too_late"] = current.too_late + 1
        else:
            update["signals"] = current.signals.with_entry(event.event_id, signal)
            totals = dict(_kept_totals(current, params))
            totals[index] = totals.get(index, 0) + _units(signal.score(params))
            update["totals"] = totals
            update["basis"] = _basis(params)
    return _seal(current.model_copy(update=update), params)


def _kept_totals(state: TensionState, params: TensionParams) -> Mapping[int, int]:
    """The state's bucket totals for ``params``: those it keeps, or (kept for other parameters) the
    ones its signals give."""
    if state.basis == _basis(params):
        return state.totals
    return _summed(state.signals, params)


def _summed(signals: SignalBook, params: TensionParams, until: datetime | None = None) -> dict[int, int]:
    totals: dict[int, int] = {}
    bucket = span_micros(params.bucket)
    for micros, score, _ in signals.scored(params, until):
        index = micros // bucket
        totals[index] = totals.get(index, 0) + _units(score)
    return totals


def _totals_as_of(state: TensionState, params: TensionParams, as_of: datetime | None) -> Mapping[int, int]:
    """Each unsealed bucket's total of the signals up to ``as_of`` (None: all of them)."""
    if as_of is None or (state.watermark is not None and as_of >= state.watermark):
        return _kept_totals(state, params)
    return _summed(state.signals, params, as_of)


def _seal(state: TensionState, params: TensionParams) -> TensionState:
    """Seal the buckets more than ``lateness`` behind the watermark, once ``seal_every`` have gathered."""
    if state.watermark is None:
        return state
    target = bucket_of(state.watermark - params.lateness, params.bucket)
    through = state.sealed.through if state.sealed is not None else None
    if through is None:
        first = min(_kept_totals(state, params), default=None)
        if first is None or target - first < params.seal_every:
            return state
    elif target - through < params.seal_every:
        return state
    sealed = _evaluate(state, target - 1, params)
    start, times = target * span_micros(params.bucket), state.signals.column("times")
    kept = state.signals.where(lambda i: times[i] >= start)
    totals = {i: units for i, units in _kept_totals(state, params).items() if i >= target}
    return state.model_copy(
        update={"sealed": sealed, "signals": kept, "totals": totals, "basis": _basis(params)}
    )


def fold(events: Iterable[Envelope], params: TensionParams | None = None) -> dict[str, TensionState]:
    states: dict[str, TensionState] = {}
    for event in events:
        states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event, params)
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


def _evaluate(state: TensionState, last: int, params: TensionParams, as_of: datetime | None = None) -> Sealed:
    """Run the level through every bucket up to ``last`` (inclusive), from the sealed reading if any.

    Signals after ``as_of`` (when given) are left out. Buckets before the first signal are quiet.
    """
    totals: dict[int, float] = {
        i: _score_of(units) for i, units in _totals_as_of(state, params, as_of).items()
    }

    by_bucket: dict[int, list[tuple[float, str]]] | None = None

    def members(index: int) -> list[tuple[float, str]]:
        # The signals behind a bucket are needed only for evidence, when the level moves or holds
        # high: they are gathered then, not at every reading, and in one pass for every bucket.
        nonlocal by_bucket
        if by_bucket is None:
            by_bucket = {}
            width = span_micros(params.bucket)
            for t, score, event_id in state.signals.scored(params, as_of):
                by_bucket.setdefault(t // width, []).append((score, event_id))
        return by_bucket.get(index, [])

    offset = params.gap_buckets + params.baseline_buckets
    sealed = state.sealed
    if sealed is not None:
        start = sealed.through
        level, quiet, quiet_ids = sealed.level, sealed.quiet, list(sealed.quiet_ids)
        changes, value = list(sealed.changes), sealed.value
        for k, total in enumerate(sealed.baseline):
            totals.setdefault(start - len(sealed.baseline) + k, total)
    else:
        if not totals:
            return Sealed(through=last + 1, baseline=(0.0,) * offset)
        start = min(totals)
        level, quiet, quiet_ids, changes, value = 1, 0, [], [], 0.0
    window = [totals.get(i, 0.0) for i in range(start - offset, last + 1)]
    n = params.baseline_buckets
    for j, index in enumerate(range(start, last + 1)):
        baseline = window[j : j + n]
        mean = sum(baseline) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in baseline) / (n - 1))
        value = (window[j + offset] - mean) / max(sd, params.sd_floor)
        target = _level_for(value, params)
        if target > level:
            here = _ranked(members(index))
            changes.append(_change(index, level, target, value, here, params))
            level, quiet, quiet_ids = target, 0, []
        elif level > 1 and value < params.fall[level - 2]:
            quiet += 1
            quiet_ids.extend(_ranked(members(index)))
            if quiet >= params.hold_buckets:
                changes.append(_change(index, level, level - 1, value, tuple(quiet_ids), params))
                level, quiet, quiet_ids = level - 1, 0, []
        elif quiet:
            quiet, quiet_ids = 0, []
    return Sealed(
        through=last + 1,
        level=level,
        quiet=quiet,
        quiet_ids=tuple(quiet_ids),
        changes=tuple(changes),
        baseline=tuple(window[len(window) - offset :]) if len(window) >= offset else tuple(window),
        value=value,
    )


def velocity(state: TensionState, as_of: datetime, params: TensionParams | None = None) -> float:
    """How fast indicators are arriving: the score of the bucket holding ``as_of`` minus the one before.

    Shown beside the level (in score units per bucket): a level can be steady while the rate is
    already climbing, which is what an analyst watching a build-up needs to see. Zero once the
    bucket before is sealed and forgotten.
    """
    params = params or DEFAULT_PARAMS
    now = bucket_of(as_of, params.bucket)
    totals = _totals_as_of(state, params, as_of)
    return _score_of(totals.get(now, 0)) - _score_of(totals.get(now - 1, 0))


def _ranked(contributions: list[tuple[float, str]]) -> tuple[str, ...]:
    return tuple(event_id for _, event_id in sorted(contributions, key=lambda m: (-m[0], m[1])))


def history(
    state: TensionState, as_of: datetime, params: TensionParams | None = None
) -> tuple[tuple[LevelChange, ...], float]:
    """Every level change up to the bucket holding ``as_of``, and that bucket's C2.

    Events after ``as_of`` are ignored. Buckets before the first signal count as quiet (score 0):
    a neighbourhood starts at level 1. For an ``as_of`` inside the sealed past, the changes made by
    then are given, with the score of the latest of them.
    """
    params = params or DEFAULT_PARAMS
    last = bucket_of(as_of, params.bucket)
    sealed = state.sealed
    if sealed is not None and last < sealed.through:
        made = tuple(c for c in sealed.changes if c.bucket_start <= as_of)
        return made, made[-1].score if made else 0.0
    limit = to_micros(as_of)
    if sealed is None and not any(t <= limit for t in state.signals.column("times")):
        return (), 0.0
    reading = _evaluate(state, last, params, as_of)
    return reading.changes, reading.value


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


def _modelled(changes: tuple[LevelChange, ...], value: float, params: TensionParams) -> TensionReading:
    if not changes:
        return TensionReading(level=1, label=params.labels[0], score=value, evidence_ids=())
    latest = changes[-1]
    return TensionReading(
        level=latest.to_level,
        label=params.labels[latest.to_level - 1],
        modelled_level=latest.to_level,
        score=value,
        evidence_ids=latest.evidence_ids,
        since=latest.bucket_start,
    )


def assessment_at(state: TensionState, as_of: datetime) -> Assessment | None:
    """The analyst's latest assessment at ``as_of`` (ties by analyst), or None."""
    made = [a for a in state.assessments.values() if a.time <= as_of]
    return max(made, key=lambda a: (a.time, a.analyst, a.assessment)) if made else None


def _assessed(
    reading: TensionReading, assessment: Assessment | None, params: TensionParams
) -> TensionReading:
    """The reading with the analyst's word applied: an override wins while it lasts."""
    modelled = reading.model_copy(update={"modelled_level": reading.level})
    if assessment is None or assessment.assessment == "clear":
        return modelled
    if assessment.assessment == "confirm":
        unchanged = reading.since is None or reading.since <= assessment.time
        return modelled.model_copy(update={"confirmed": unchanged, "assessed_by": assessment.analyst})
    level = min(assessment.level or 1, len(params.labels))
    return modelled.model_copy(
        update={
            "level": level,
            "label": params.labels[level - 1],
            "overridden": True,
            "assessed_by": assessment.analyst,
            "since": assessment.time,
        }
    )


def level(
    state: TensionState,
    as_of: datetime,
    params: TensionParams | None = None,
    modelled: tuple[tuple[LevelChange, ...], float] | None = None,
) -> TensionReading:
    """The neighbourhood's tension as of ``as_of``: the model's, unless an analyst's override is in force.

    ``modelled`` is ``history(state, as_of, params)`` when the caller has it already.
    """
    params = params or DEFAULT_PARAMS
    changes, value = modelled or history(state, as_of, params)
    assessment = assessment_at(state, as_of)
    if assessment is not None and assessment.valid_until is not None and as_of >= assessment.valid_until:
        assessment = None
    return _assessed(_modelled(changes, value, params), assessment, params)


class Period(Frozen):
    """One stretch of ``tension_history``: the level in force from ``valid_from``, and why."""

    valid_from: AwareDatetime
    level: int
    label: str
    modelled_level: int
    cause: Literal["start", "model", "override", "override_ended", "confirm", "clear"]
    score: float
    evidence_ids: tuple[str, ...]
    analyst: str = ""


def timeline(
    state: TensionState,
    as_of: datetime,
    params: TensionParams | None = None,
    modelled: tuple[tuple[LevelChange, ...], float] | None = None,
) -> tuple[Period, ...]:
    """Every change of the level in force up to ``as_of``: the model's changes and the analysts' word.

    ``modelled`` is ``history(state, as_of, params)`` when the caller has it already.
    """
    params = params or DEFAULT_PARAMS
    changes, _ = modelled or history(state, as_of, params)
    moments: list[tuple[datetime, int, str, LevelChange | Assessment | None]] = []
    if state.first_seen is not None and state.first_seen <= as_of:
        moments.append((state.first_seen, -1, "start", None))
    for change in changes:
        moments.append((change.bucket_start, 0, "model", change))
    for assessment in state.assessments.values():
        if assessment.time <= as_of:
            moments.append((assessment.time, 1, assessment.assessment, assessment))
            if assessment.valid_until is not None and assessment.valid_until <= as_of:
                moments.append((assessment.valid_until, 2, "override_ended", assessment))
    periods: list[Period] = []
    modelled_level, score = 1, 0.0
    evidence: tuple[str, ...] = ()
    in_force: Assessment | None = None
    for when, _, cause, item in sorted(moments, key=lambda m: (m[0], m[1], m[2])):
        if isinstance(item, LevelChange):
            modelled_level, score, evidence = item.to_level, item.score, item.evidence_ids
        elif cause == "override_ended":
            if in_force is not item:
                continue
            in_force = None
        elif isinstance(item, Assessment):
            in_force = item if item.assessment == "override" else None
        level_now = modelled_level
        if in_force is not None and in_force.level is not None:
            level_now = min(in_force.level, len(params.labels))
        analyst = item.analyst if isinstance(item, Assessment) else ""
        periods.append(
            Period(
                valid_from=when,
                level=level_now,
                label=params.labels[level_now - 1],
                modelled_level=modelled_level,
                cause=cause,
                score=score,
                evidence_ids=evidence if cause == "model" else (),
                analyst=analyst,
            )
        )
    return tuple(periods)


Sealed.model_rebuild()
TensionState.model_rebuild()
