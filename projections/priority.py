"""Neighbourhood priority: which themes most people raise, across channels, weighted by harm.

A pure model (the worker and the rebuild call it through ``projections.neighbourhood``); the
formulas, their parameters and a worked example are in ``docs/models.md``.

What a theme's score rewards, and why:

* **breadth, not volume.** Support is counted in distinct *voices*: one pseudonymous respondent or
  author is one voice however often they post, so a single loud account cannot outrank many quiet
  residents. The theme's share of the neighbourhood's voices is taken at its Wilson (1927) 95% lower
  bound, so that 2 of 3 voices does not beat 40 of 100.
* **harm.** A documented weight per theme whose ordering follows the Cambridge Crime Harm Index
  (Sherman et al. 2016): people raising violence outweighs the same people raising parking.
* **recency.** Each voice decays with a half-life, so what was said last week counts more than what
  was said last season.
* **channel breadth.** A concern heard at a meeting, in a survey and from a partner is corroborated;
  heard on one channel it may be an artefact of who uses that channel.
* **seldom-heard groups.** Voices from groups that engagement usually misses (College of Policing
  APP, engagement and communication) lift a theme, so the loudest channels do not set the agenda alone.

A pseudonymous voice is a join of maxima (it keeps its latest time and its largest weight), so
hearing the same person again, in any order, does not change a score. The fold keeps, per theme and
channel, the sums a score needs (``ThemeTally``), so a view costs per theme, not per voice: a busy
neighbourhood has thousands of voices and is scored at every batch. The sums are exact integers (the
recency of a voice is ``weight * 2**((t - era)/half_life)`` in units of 2**-52, its seldom-heard
count in units of 2**-40), so they do not depend on event order either. Only pseudonymous voices are
kept one by one (a later event may be the same person); an anonymous voice (a partner feed's count,
a meeting, a survey without a pseudonym) is one event's, and goes into the sums alone, so a state
grows with the people heard, not with the events. Repeated events are therefore dropped by event id
before they reach the fold (the worker's ``seen-events`` table, ``fold`` and the replay here), as
recorded crime always needed: a record is context (shown beside a theme, never a voice), a fact about
offending, not a resident's view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, NamedTuple

from pydantic import AwareDatetime, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from events import (
    Channel,
    CrimeRecorded,
    Envelope,
    Frozen,
    MeetingHeld,
    PartnerCallLogged,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)
from projections import exact
from projections.columns import EPOCH, Book, from_micros, to_micros
from projections.exact import ExactUnits

SECONDS_PER_DAY = 86_400.0

HARM_WEIGHTS: Mapping[Theme, float] = MappingProxyType(
    {
        Theme.VIOLENCE: 3.0,
        Theme.WEAPONS: 3.0,
        Theme.ROBBERY: 2.8,
        Theme.HATE: 2.5,
        Theme.DRUGS: 2.5,
        Theme.BURGLARY: 2.3,
        Theme.PUBLIC_ORDER: 1.8,
        Theme.VEHICLE_CRIME: 1.6,
        Theme.THEFT: 1.5,
        Theme.CRIMINAL_DAMAGE: 1.4,
        Theme.ROAD_SAFETY: 1.4,
        Theme.ANTI_SOCIAL_BEHAVIOUR: 1.3,
        Theme.YOUTH_NUISANCE: 1.2,
        Theme.NOISE: 1.1,
        Theme.ENVIRONMENT: 1.0,
        Theme.PARKING: 1.0,
        Theme.OTHER: 1.0,
    }
)
"""Relative harm per theme, 1 (least) to 3 (most).

Basis: the *order* follows the Cambridge Crime Harm Index (Sherman, Neyroud & Neyroud 2016), which
weighs an offence by the days of imprisonment its sentencing-guideline starting point implies; the
offences behind violence, weapons, robbery, drug supply and burglary sit far above theft, criminal
damage and public order, which sit above what the index barely weighs (ASB, nuisance). The index's
own values span three orders of magnitude (days to years); they are compressed here to 1..3 because
the weight multiplies what *residents* raise, and a raw CHI ratio would let one voice about violence
outweigh a whole street about anything else. Themes that are not crimes (noise, environment, parking,
other) get 1. Hate sits with the serious offences: racially or religiously aggravated offences carry
a sentencing uplift, and its community impact is the subject of ``projections/tension.py``. Road
safety covers dangerous as well as careless driving and sits with criminal damage. These are a
policy choice: a force should review them and may override them in ``PriorityParams.harm``.
"""

SELDOM_HEARD_GROUPS: frozenset[str] = frozenset(
    {
        "young_people",
        "older_people",
        "disabled",
        "lgbtq",
        "minority_ethnic",
        "gypsy_roma_traveller",
        "faith",
        "refugees_asylum_seekers",
        "non_english_speakers",
        "homeless",
        "students",
        "shift_workers",
    }
)
"""Groups the College of Policing APP (Engagement and communication) names, or gives as examples, of
people less likely to come to meetings or answer surveys. Matched against the group labels
connectors put in ``respondent_groups`` and ``attendee_groups``, after lower-casing."""


class PriorityParams(Frozen):
    """Every knob of the score, with the default that ``docs/models.md`` justifies."""

    half_life_days: Annotated[float, Field(gt=0)] = 28.0
    """A voice counts half after this many days: one four-weekly tasking cycle."""
    z: Annotated[float, Field(gt=0)] = 1.96
    """Normal quantile of the Wilson interval: 1.96 is the two-sided 95% interval's lower bound."""
    channel_step: Annotated[float, Field(ge=0)] = 0.25
    """Each channel beyond the first adds this much: four voice channels give 1.75."""
    seldom_heard_uplift: Annotated[float, Field(ge=0)] = 0.5
    """A theme raised only by seldom-heard voices is lifted by this fraction (1.5 at the default)."""
    seldom_heard_groups: frozenset[str] = SELDOM_HEARD_GROUPS
    harm: Mapping[Theme, float] = Field(default_factory=lambda: dict(HARM_WEIGHTS))
    """Harm weight per theme; a theme missing here weighs 1."""
    top: Annotated[int, Field(ge=1)] = 3
    """How many of the ranked themes ``divergence`` compares with the agreed priorities."""


DEFAULT_PARAMS = PriorityParams()


NO_GROUPS: Mapping[str, float] = {}
"""The groups of a voice that reported none. One dict shared by all of them, never changed: nothing
writes into a voice's groups (``Voice.merge`` builds a new dict), and pydantic cannot write a
read-only mapping type to JSON."""


class Voice(NamedTuple):
    """One voice behind a theme, or behind the neighbourhood's total.

    ``weight`` is 1 for a pseudonymous person and the number of people for an aggregate (a meeting's
    votes or attendance, a partner feed's count). ``groups`` counts how many of them said they belong
    to each group; whether a group is seldom heard is decided when scoring, by ``PriorityParams``.
    Merging keeps the maximum of every field, so the fold is order-free and idempotent.

    A named tuple, not a model: it is what a lookup in a state's ``VoiceBook`` gives, and the state
    holds its voices as columns (``projections.columns``), so a voice is built only when the fold
    looks it up. It is immutable as a model is; the columns are validated when a state is read back
    from JSON.
    """

    channel: Channel
    last_time: AwareDatetime
    weight: Annotated[int, Field(ge=1)] = 1
    groups: Mapping[str, float] = NO_GROUPS

    def merge(self, other: Voice) -> Voice:
        groups = dict(self.groups)
        for group, count in other.groups.items():
            groups[group] = max(groups.get(group, 0), count)
        return Voice(
            channel=self.channel,
            last_time=max(self.last_time, other.last_time),
            weight=max(self.weight, other.weight),
            groups=groups,
        )

    def seldom_heard(self, seldom_groups: frozenset[str]) -> float:
        """How many of ``weight`` are seldom heard: their group counts summed, capped at ``weight``.

        People in two seldom-heard groups would be counted twice by the sum, hence the cap; for a
        meeting this is an estimate (the groups of the attendees who voted are not recorded).
        """
        return min(float(self.weight), math.fsum(c for g, c in self.groups.items() if g in seldom_groups))


class VoiceBook(Book[Voice]):
    """Pseudonymous voices by key, as columns (``projections.columns``)."""

    COLUMNS: ClassVar[dict[str, Any]] = {
        "channels": Channel,
        "times": int,
        "weights": Annotated[int, Field(ge=1)],
        "groups": Mapping[str, float] | None,
    }
    """``times``: each voice's ``last_time`` in microseconds since the epoch; ``groups``: None for none."""
    ENTRY = Voice

    @staticmethod
    def entry(row: Sequence[Any]) -> Voice:
        channel, micros, weight, groups = row
        return Voice(channel, from_micros(micros), weight, NO_GROUPS if groups is None else groups)

    @staticmethod
    def row(entry: Voice) -> tuple[Any, ...]:
        return (entry.channel, to_micros(entry.last_time), entry.weight, entry.groups or None)


class ThemeVoiceBook(VoiceBook):
    """Pseudonymous voices per theme they raised, in one book keyed ``"<theme> <voice key>"``: one
    book per theme cost more to read than the voices in it (``theme_key``)."""

    @staticmethod
    def theme_key(theme: Theme, key: str) -> str:
        return f"{theme.value} {key}"

    def by_theme(self) -> dict[Theme, list[str]]:
        """The voice keys under each theme, in the order they were first heard."""
        themes: dict[Theme, list[str]] = {}
        for composite in self:
            theme, key = composite.split(" ", 1)
            themes.setdefault(Theme(theme), []).append(key)
        return themes

    @classmethod
    def _flattened(cls, nested: Mapping[Theme, Mapping[str, Voice]]) -> ThemeVoiceBook:
        return cls.of({cls.theme_key(t, k): v for t, voices in nested.items() for k, v in voices.items()})

    @classmethod
    def _older_schema(cls, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls._flattened, handler.generate_schema(dict[Theme, dict[str, Voice]])
        )


class ThemeTally(Frozen):
    """One theme's voices on one channel, summed as a score needs them (exact integers)."""

    weight: int = 0
    """Their weights summed: people, counting a meeting's votes and a partner feed's count."""
    seldom: int = 0
    """Their seldom-heard people (``Voice.seldom_heard``) summed, in units of 2**-``SELDOM_BITS``."""
    recency: Mapping[int, ExactUnits] = Field(default_factory=dict)
    """Per era (``ERA_HALF_LIVES`` half-lives from the epoch), ``weight * 2**((t - era start) /
    half_life)`` summed over the voices last heard in it, in units of 2**-52; a view scales it to its
    ``as_of``. Empty eras are dropped, so equal sums are equal mappings."""


ERA_HALF_LIVES = 64
"""An era's length in half-lives: a voice's term stays below 2**64 times its weight, so neither the
float nor the integer sum grows with the years since the epoch."""
SELDOM_BITS = 40
"""Seldom-heard counts are kept to 2**-40 of a person (a meeting's groups are scaled to its votes, so
counts may be fractions); no score shows a difference that small."""


class PriorityState(Frozen):
    """What the priority model remembers about one neighbourhood."""

    neighbourhood_id: str
    voices: VoiceBook = Field(default_factory=VoiceBook)
    """The pseudonymous voices heard in the neighbourhood, on any theme, each as merged so far: kept
    because a later event may be the same person again, whose earlier part of the sums it replaces.
    Anonymous voices (a partner feed's count, a meeting, a survey with no pseudonym) are in the sums
    only, so a state grows with the people heard, not with the events."""
    theme_voices: ThemeVoiceBook = Field(default_factory=ThemeVoiceBook)
    """The same, per theme they raised (``ThemeVoiceBook.theme_key``)."""
    recorded_crimes: Mapping[Theme, int] = Field(default_factory=dict)
    agreed: Mapping[Theme, AwareDatetime] = Field(default_factory=dict)
    """When a PACT or beat meeting last agreed each theme as a priority."""
    tallies: Mapping[Theme, Mapping[Channel, ThemeTally]] = Field(default_factory=dict)
    """Every voice (anonymous ones too) summed per theme and channel, for the parameters ``basis`` names."""
    channel_weight: Mapping[Channel, int] = Field(default_factory=dict)
    """Every voice's weight summed per channel: a selection's ``n``."""
    latest: AwareDatetime | None = None
    """The latest time any voice was heard: the sums score as of then or later (``ScoredBeforeItsVoices``)."""
    basis: str = ""
    """Which half-life and seldom-heard groups ``tallies`` were summed for (``_basis``). Scoring or
    folding with other parameters raises ``ParametersChanged``: the anonymous voices are not kept, so
    new parameters mean folding the log again (a rebuild), as any change of a projection does."""

    def current_agreement(self) -> frozenset[Theme]:
        """The priorities of the latest PACT/beat meeting that agreed any: earlier ones are superseded."""
        if not self.agreed:
            return frozenset()
        latest = max(self.agreed.values())
        return frozenset(theme for theme, when in self.agreed.items() if when == latest)


class PriorityRow(Frozen):
    """One ranked theme, with every component of its score so a tasking meeting can see why."""

    theme: Theme
    rank: Annotated[int, Field(ge=1)]
    score: float
    voices: int
    """Distinct voices that raised the theme."""
    neighbourhood_voices: int
    """Distinct voices heard in the neighbourhood on any theme (the Wilson ``n``)."""
    breadth: float
    """Wilson lower bound of ``voices / neighbourhood_voices``."""
    harm: float
    recency: float
    """Voice-weighted mean of ``2 ** (-age_days / half_life_days)``, in (0, 1]."""
    channels: tuple[Channel, ...]
    channel_factor: float
    seldom_heard_share: float
    uplift: float
    recorded_crimes: int
    agreed: bool
    """Among the priorities of the latest PACT/beat meeting."""


class Divergence(Frozen):
    """Where what a PACT meeting agreed and what people say elsewhere part ways."""

    agreed: tuple[Theme, ...]
    top_elsewhere: tuple[Theme, ...]
    """The top themes from every channel but meetings, best first."""
    agreed_not_in_top: tuple[Theme, ...]
    top_not_agreed: tuple[Theme, ...]


def _group(label: str) -> str:
    return label.strip().lower()


def _contributions(
    event: Envelope,
) -> tuple[list[tuple[str | None, Voice]], list[tuple[Theme, str | None, Voice]]]:
    """The voices an event adds to the neighbourhood, and to each theme it raises.

    Keys are namespaced by channel: a survey pseudonym and a social pseudonym are salted from
    different identifiers, so equal strings on two channels would be a coincidence, not one person.
    A voice with no pseudonym is the event itself (one anonymous voice, or ``count``/votes of them):
    its key is None, because no later event can be the same voice, so only the sums keep it.
    """
    payload = event.payload
    channel = event.channel
    when = event.event_time
    if isinstance(payload, SurveyResponseReceived):
        key = f"{channel.value}:{payload.respondent}" if payload.respondent else None
        groups = {_group(g): 1.0 for g in payload.respondent_groups}
        voice = Voice(channel=channel, last_time=when, groups=groups)
        return [(key, voice)], [(theme, key, voice) for theme in dict.fromkeys(payload.concerns)]
    if isinstance(payload, SocialSignalObserved):
        key = f"{channel.value}:{payload.author}" if payload.author else None
        voice = Voice(channel=channel, last_time=when)
        return [(key, voice)], [(payload.theme, key, voice)]
    if isinstance(payload, PartnerCallLogged):
        voice = Voice(channel=channel, last_time=when, weight=payload.count)
        return [(None, voice)], [(payload.theme, None, voice)]
    if isinstance(payload, MeetingHeld):
        votes: dict[Theme, int] = {}
        for issue in payload.issues_raised:
            votes[issue.theme] = max(votes.get(issue.theme, 0), max(issue.votes, 1))
        present = max([payload.attendance or 0, *votes.values()])
        if present == 0:
            return [], []
        attendees: dict[str, float] = {}
        for g in payload.attendee_groups:
            attendees[_group(g.group)] = attendees.get(_group(g.group), 0.0) + g.count
        room = Voice(channel=channel, last_time=when, weight=present, groups=attendees)
        themes: list[tuple[Theme, str | None, Voice]] = []
        for theme, n in votes.items():
            # The voters' own groups are not recorded: assume the room's mix, scaled to the votes.
            scaled = {g: c * n / present for g, c in attendees.items()}
            themes.append((theme, None, Voice(channel=channel, last_time=when, weight=n, groups=scaled)))
        return [(None, room)], themes
    return [], []


def _basis(params: PriorityParams) -> str:
    return exact.basis(params.half_life_days, tuple(sorted(params.seldom_heard_groups)))


def _seconds(when: datetime) -> float:
    return (when - EPOCH).total_seconds()


def _recency_term(voice: Voice, half_life_s: float) -> tuple[int, int]:
    """The voice's era and ``weight * 2**((t - era start) / half_life)`` in units of 2**-52.

    The term is at least 1, so its float's last bit is worth at least 2**-52 and the integer is exact.
    """
    t = _seconds(voice.last_time)
    era_length = half_life_s * ERA_HALF_LIVES
    era = math.floor(t / era_length)
    term = voice.weight * math.pow(2.0, max(0.0, t - era * era_length) / half_life_s)
    return era, int(math.ldexp(term, 52))


def _seldom_units(voice: Voice, seldom_groups: frozenset[str]) -> int:
    return round(math.ldexp(voice.seldom_heard(seldom_groups), SELDOM_BITS))


class _TallyDelta:
    """Changes to a state's sums while one event is folded: copies are made once per touched entry."""

    __slots__ = ("channel_weight", "copies", "half_life_s", "seldom_groups", "tallies")

    def __init__(self, state: PriorityState, params: PriorityParams) -> None:
        # A theme's tallies are copied when the event touches them: the others are shared with the
        # state before, which nothing changes (an event names one or two themes of a dozen or more).
        self.tallies: dict[Theme, Mapping[Channel, ThemeTally]] = dict(state.tallies)
        self.copies: dict[Theme, dict[Channel, ThemeTally]] = {}
        self.channel_weight = dict(state.channel_weight)
        self.half_life_s = params.half_life_days * SECONDS_PER_DAY
        self.seldom_groups = params.seldom_heard_groups

    def voice(self, before: Voice | None, after: Voice) -> None:
        self.channel_weight[after.channel] = (
            self.channel_weight.get(after.channel, 0) + after.weight - (before.weight if before else 0)
        )

    def theme_voice(self, theme: Theme, before: Voice | None, after: Voice) -> None:
        by_channel = self.copies.get(theme)
        if by_channel is None:
            by_channel = self.copies[theme] = dict(self.tallies.get(theme, {}))
            self.tallies[theme] = by_channel
        tally = by_channel.get(after.channel) or ThemeTally()
        recency = dict(tally.recency)
        seldom = tally.seldom + _seldom_units(after, self.seldom_groups)
        if before is not None:
            era, term = _recency_term(before, self.half_life_s)
            recency[era] -= term
            if not recency[era]:
                del recency[era]
            seldom -= _seldom_units(before, self.seldom_groups)
        era, term = _recency_term(after, self.half_life_s)
        recency[era] = recency.get(era, 0) + term
        by_channel[after.channel] = ThemeTally(
            weight=tally.weight + after.weight - (before.weight if before else 0),
            seldom=seldom,
            recency=recency,
        )


class ParametersChanged(ValueError):
    """A state's sums were kept for other parameters than those asked for."""

    def __init__(self, state: PriorityState) -> None:
        super().__init__(
            f"neighbourhood {state.neighbourhood_id}'s priority sums were kept for other parameters "
            "(half-life or seldom-heard groups); fold its events again with the new ones: `engage rebuild` "
            "does it for every neighbourhood"
        )


class ScoredBeforeItsVoices(ValueError):
    """A score was asked for as of a time before a voice the state has folded in."""

    def __init__(self, state: PriorityState, as_of: datetime) -> None:
        super().__init__(
            f"neighbourhood {state.neighbourhood_id} has voices up to {state.latest}, after {as_of}: a state "
            "scores as of its latest voice or later; fold only the events up to that time to score earlier"
        )


def _check_basis(state: PriorityState, params: PriorityParams) -> None:
    if state.basis != _basis(params) and (state.tallies or state.channel_weight):
        raise ParametersChanged(state)


def evolve(
    state: PriorityState | None, event: Envelope, params: PriorityParams | None = None
) -> PriorityState:
    """The neighbourhood's state after one more event; ``state`` is None for one never seen.

    Raises ``ParametersChanged`` when ``state`` was folded with other parameters: its sums cannot be
    worked out again without the anonymous voices, which only the log keeps.
    """
    params = params or DEFAULT_PARAMS
    current = state or PriorityState(neighbourhood_id=event.neighbourhood_id)
    _check_basis(current, params)
    payload = event.payload
    update: dict[str, object] = {}
    if isinstance(payload, CrimeRecorded):
        crimes = dict(current.recorded_crimes)
        crimes[payload.theme] = crimes.get(payload.theme, 0) + 1
        update["recorded_crimes"] = crimes
    if (
        isinstance(payload, MeetingHeld)
        and payload.meeting_kind in ("pact", "beat")
        and payload.priorities_agreed
    ):
        agreed = dict(current.agreed)
        for theme in payload.priorities_agreed:
            agreed[theme] = max(agreed.get(theme, event.event_time), event.event_time)
        update["agreed"] = agreed
    everyone, by_theme = _contributions(event)
    if everyone:
        delta = _TallyDelta(current, params)
        # Only pseudonymous voices are remembered one by one (a copy of their columns per event);
        # an anonymous voice goes straight into the sums.
        voices: VoiceBook | None = None
        for key, voice in everyone:
            if key is None:
                delta.voice(None, voice)
                continue
            book = voices if voices is not None else current.voices
            before = book.get(key)
            after = voice if before is None else before.merge(voice)
            voices = book.with_entry(key, after)
            delta.voice(before, after)
        theme_voices: ThemeVoiceBook | None = None
        for theme, key, voice in by_theme:
            if key is None:
                delta.theme_voice(theme, None, voice)
                continue
            book = theme_voices if theme_voices is not None else current.theme_voices
            composite = ThemeVoiceBook.theme_key(theme, key)
            before = book.get(composite)
            after = voice if before is None else before.merge(voice)
            theme_voices = book.with_entry(composite, after)
            delta.theme_voice(theme, before, after)
        if voices is not None:
            update["voices"] = voices
        if theme_voices is not None:
            update["theme_voices"] = theme_voices
        update["tallies"] = delta.tallies
        update["channel_weight"] = delta.channel_weight
        update["basis"] = _basis(params)
        latest = current.latest
        update["latest"] = event.event_time if latest is None else max(latest, event.event_time)
    return current.model_copy(update=update) if update else current


def fold(events: Iterable[Envelope], params: PriorityParams | None = None) -> dict[str, PriorityState]:
    """Every neighbourhood's state from a sequence of events; an event id seen before is dropped."""
    states: dict[str, PriorityState] = {}
    seen: set[str] = set()
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event, params)
    return states


def wilson_lower_bound(successes: float, trials: float, z: float = 1.96) -> float:
    """Lower end of the Wilson (1927) score interval for a proportion; 0 when there are no trials.

    ``(p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = successes / trials``.
    """
    if trials <= 0:
        return 0.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(max(0.0, p * (1 - p) / trials + z2 / (4 * trials * trials)))
    return max(0.0, (centre - spread) / (1 + z2 / trials))


def decay(age_days: float, half_life_days: float) -> float:
    """``2 ** (-age / half_life)``; an age below zero (an event after ``as_of``) counts as now."""
    return math.pow(2.0, -max(0.0, age_days) / half_life_days)


class _Tally:
    """One theme's voices in a selection of channels, as a score needs them."""

    __slots__ = ("channels", "recency", "seldom", "weight")

    def __init__(self, weight: int, recency: float, seldom: float, channels: set[Channel]) -> None:
        self.weight = weight
        self.recency = recency
        """``weight * 2**(-age / half_life)`` summed over the voices."""
        self.seldom = seldom
        self.channels = channels


ELSEWHERE: frozenset[Channel] = frozenset({Channel.SURVEY, Channel.PARTNER_CALL, Channel.SOCIAL})
"""Every voice channel but meetings: the people who were not in the room (see ``divergence``)."""


def _tallies(
    state: PriorityState,
    as_of: datetime,
    params: PriorityParams,
    selections: tuple[frozenset[Channel] | None, ...],
) -> list[tuple[int, dict[Theme, _Tally]]]:
    """Per selection of channels (None: all), the neighbourhood's voices and each theme's tally.

    From the sums the fold keeps: they hold for the parameters they were kept for (else
    ``ParametersChanged``) and as of the latest voice or later (else ``ScoredBeforeItsVoices``).
    """
    _check_basis(state, params)
    if state.latest is not None and state.latest > as_of:
        raise ScoredBeforeItsVoices(state, as_of)
    half_life_s = params.half_life_days * SECONDS_PER_DAY
    era_length = half_life_s * ERA_HALF_LIVES
    now = _seconds(as_of)
    scales: dict[int, float] = {}
    """Per era, what turns its summed units into decayed weight as of ``as_of``."""
    results: list[tuple[int, dict[Theme, _Tally]]] = []
    for only in selections:
        n = sum(w for c, w in state.channel_weight.items() if only is None or c in only)
        tallies: dict[Theme, _Tally] = {}
        for theme, by_channel in state.tallies.items():
            weight = seldom = 0
            channels: set[Channel] = set()
            eras: dict[int, int] = {}
            for channel, tally in by_channel.items():
                if only is not None and channel not in only:
                    continue
                weight += tally.weight
                seldom += tally.seldom
                channels.add(channel)
                for era, units in tally.recency.items():
                    eras[era] = eras.get(era, 0) + units
            if not channels:
                continue
            recency_terms = []
            for era, units in eras.items():
                scale = scales.get(era)
                if scale is None:
                    decayed = math.pow(2.0, -(now - era * era_length) / half_life_s)
                    scale = scales[era] = math.ldexp(decayed, -52)
                recency_terms.append(units * scale)
            tallies[theme] = _Tally(
                weight=weight,
                recency=math.fsum(recency_terms),
                seldom=math.ldexp(seldom, -SELDOM_BITS),
                channels=channels,
            )
        results.append((n, tallies))
    return results


def _scored(
    state: PriorityState, params: PriorityParams, n: int, tallies: Mapping[Theme, _Tally], parts: bool
) -> list[tuple[float, Theme, dict[str, object]]]:
    """Each theme's score (and, with ``parts``, its components), best first, ties by theme name."""
    agreement = state.current_agreement() if parts else frozenset()
    unranked: list[tuple[float, Theme, dict[str, object]]] = []
    for theme, tally in tallies.items():
        k = tally.weight
        breadth = wilson_lower_bound(k, n, params.z)
        harm = params.harm.get(theme, 1.0)
        recency = tally.recency / k
        channel_factor = 1 + params.channel_step * (len(tally.channels) - 1)
        seldom_share = tally.seldom / k
        uplift = 1 + params.seldom_heard_uplift * seldom_share
        value = breadth * harm * recency * channel_factor * uplift
        components: dict[str, object] = {}
        if parts:
            components = {
                "theme": theme,
                "score": value,
                "voices": k,
                "neighbourhood_voices": n,
                "breadth": breadth,
                "harm": harm,
                "recency": recency,
                "channels": tuple(sorted(tally.channels, key=lambda c: c.value)),
                "channel_factor": channel_factor,
                "seldom_heard_share": seldom_share,
                "uplift": uplift,
                "recorded_crimes": state.recorded_crimes.get(theme, 0),
                "agreed": theme in agreement,
            }
        unranked.append((value, theme, components))
    unranked.sort(key=lambda item: (-item[0], item[1].value))
    return unranked


def _ranked(
    state: PriorityState, params: PriorityParams, n: int, tallies: Mapping[Theme, _Tally]
) -> list[PriorityRow]:
    return [
        PriorityRow(rank=rank, **parts)
        for rank, (_, _, parts) in enumerate(_scored(state, params, n, tallies, parts=True), start=1)
    ]


def _top(
    state: PriorityState, params: PriorityParams, n: int, tallies: Mapping[Theme, _Tally]
) -> tuple[Theme, ...]:
    return tuple(theme for _, theme, _ in _scored(state, params, n, tallies, parts=False)[: params.top])


def score(
    state: PriorityState,
    as_of: datetime,
    params: PriorityParams | None = None,
    channels: frozenset[Channel] | None = None,
) -> list[PriorityRow]:
    """The neighbourhood's themes ranked, best first (rank 1), ties broken by theme name.

    ``channels`` keeps only voices heard on those channels (None: all), for ``divergence``.
    Only themes someone raised are ranked; recorded crime alone does not make a priority.
    """
    params = params or PriorityParams()
    ((n, tallies),) = _tallies(state, as_of, params, (channels,))
    return _ranked(state, params, n, tallies)


def _divergence(state: PriorityState, top_elsewhere: tuple[Theme, ...]) -> Divergence:
    agreed = tuple(sorted(state.current_agreement(), key=lambda t: t.value))
    return Divergence(
        agreed=agreed,
        top_elsewhere=top_elsewhere,
        agreed_not_in_top=tuple(t for t in agreed if t not in top_elsewhere),
        top_not_agreed=tuple(t for t in top_elsewhere if t not in agreed),
    )


def divergence(state: PriorityState, as_of: datetime, params: PriorityParams | None = None) -> Divergence:
    """The latest agreed priorities against the top ``params.top`` of what people say elsewhere.

    "Elsewhere" is every voice channel but meetings, so the comparison is between the room and
    the people who were not in it.
    """
    params = params or PriorityParams()
    ((n, tallies),) = _tallies(state, as_of, params, (ELSEWHERE,))
    return _divergence(state, _top(state, params, n, tallies))


def score_and_divergence(
    state: PriorityState, as_of: datetime, params: PriorityParams | None = None
) -> tuple[list[PriorityRow], Divergence]:
    """``score`` and ``divergence`` together, from one pass over the voices (what a view needs)."""
    params = params or PriorityParams()
    (n, tallies), (n_elsewhere, elsewhere) = _tallies(state, as_of, params, (None, ELSEWHERE))
    top = _top(state, params, n_elsewhere, elsewhere)
    return _ranked(state, params, n, tallies), _divergence(state, top)
