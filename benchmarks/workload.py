"""The benchmark's workload: a seeded, SYNTHETIC live feed of every channel over many neighbourhoods.

No public data gives the volume of each engagement channel per neighbourhood, so the mix below is an
assumption, stated here and in docs/performance.md: social listening dominates, recorded crime comes
next, then partner reports and survey returns; meetings, published priorities, actions and analysts'
tension assessments are rare. Neighbourhoods are not equally busy (a seeded log-normal weight each),
and each has a pool of recurring social accounts, a few of them loud, so distinct voices stay
bounded as they do in a real area.

Event time advances like a live feed: event ``i`` is taken in (``recorded_time``) at
``start + i / per_second`` seconds, and happened a little before, by a lag typical of its channel
(a post within a minute, a meeting's minutes up to two days later). So events arrive nearly, not
exactly, in event-time order, as they would from the connectors.

Every event has ``source = "synthetic"`` and its free text starts with "[synthetic]". The same seed
gives the same events, ids included.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connectors.base import event_id
from events import (
    ActionRecorded,
    CrimeRecorded,
    Envelope,
    EventType,
    GroupCount,
    IssueRaised,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    PrioritySet,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)

SOURCE = "synthetic"
MARKER_NEIGHBOURHOOD = "BENCH-MARKER"
"""The neighbourhood that only latency markers are published to, so its version counts markers."""

MIX: tuple[tuple[EventType, float], ...] = (
    (EventType.SOCIAL_SIGNAL_OBSERVED, 450),
    (EventType.CRIME_RECORDED, 250),
    (EventType.PARTNER_CALL_LOGGED, 130),
    (EventType.SURVEY_RESPONSE_RECEIVED, 110),
    (EventType.ACTION_RECORDED, 30),
    (EventType.MEETING_HELD, 15),
    (EventType.PRIORITY_SET, 10),
    (EventType.TENSION_ASSESSED, 5),
)
"""Events of each type per 1,000 (an assumption; see the module's docstring)."""

LAG_SECONDS: dict[EventType, tuple[float, float]] = {
    EventType.SOCIAL_SIGNAL_OBSERVED: (0, 60),
    EventType.CRIME_RECORDED: (0, 2 * 3600),
    EventType.PARTNER_CALL_LOGGED: (0, 30 * 60),
    EventType.SURVEY_RESPONSE_RECEIVED: (0, 10 * 60),
    EventType.ACTION_RECORDED: (0, 24 * 3600),
    EventType.MEETING_HELD: (3600, 48 * 3600),
    EventType.PRIORITY_SET: (0, 24 * 3600),
    EventType.TENSION_ASSESSED: (0, 10 * 60),
}
"""How long before it is taken in an event of each type happened: (least, most) seconds."""

THEME_WEIGHTS: dict[Theme, float] = {
    Theme.ANTI_SOCIAL_BEHAVIOUR: 14,
    Theme.DRUGS: 10,
    Theme.ROAD_SAFETY: 9,
    Theme.THEFT: 8,
    Theme.ENVIRONMENT: 8,
    Theme.NOISE: 7,
    Theme.BURGLARY: 6,
    Theme.VEHICLE_CRIME: 6,
    Theme.VIOLENCE: 6,
    Theme.YOUTH_NUISANCE: 6,
    Theme.PARKING: 6,
    Theme.CRIMINAL_DAMAGE: 5,
    Theme.PUBLIC_ORDER: 4,
    Theme.ROBBERY: 3,
    Theme.OTHER: 3,
    Theme.WEAPONS: 2,
    Theme.HATE: 1.5,
}
"""What residents raise, relatively often (an assumption in the spirit of published PACT priorities)."""

CRIME_TYPES: tuple[tuple[str, Theme, float], ...] = (
    ("anti-social-behaviour", Theme.ANTI_SOCIAL_BEHAVIOUR, 30),
    ("violent-crime", Theme.VIOLENCE, 25),
    ("other-theft", Theme.THEFT, 8),
    ("shoplifting", Theme.THEFT, 7),
    ("criminal-damage-arson", Theme.CRIMINAL_DAMAGE, 7),
    ("vehicle-crime", Theme.VEHICLE_CRIME, 6),
    ("burglary", Theme.BURGLARY, 5),
    ("public-order", Theme.PUBLIC_ORDER, 5),
    ("drugs", Theme.DRUGS, 3),
    ("robbery", Theme.ROBBERY, 1.5),
    ("possession-of-weapons", Theme.WEAPONS, 1),
    ("other-crime", Theme.HATE, 0.5),
)
"""police.uk street-crime categories, roughly in the proportions England and Wales publish."""

SELDOM_HEARD = ("young_people", "older_people", "minority_ethnic", "disabled", "students", "faith")
ACCOUNTS_PER_NEIGHBOURHOOD = 300
"""Recurring social accounts per neighbourhood; the square of a uniform draw makes a few loud."""


def neighbourhood_ids(count: int) -> list[str]:
    """The synthetic neighbourhood ids: ``BENCH00000`` upwards."""
    return [f"BENCH{i:05d}" for i in range(count)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


@dataclass(frozen=True)
class Workload:
    """A feed of ``neighbourhoods`` neighbourhoods, taking in ``per_second`` events per second of
    event time from ``start``."""

    neighbourhoods: int
    seed: int = 2026
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
    per_second: float = 2000.0
    ids: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.neighbourhoods < 1 or self.per_second <= 0:
            raise ValueError("a workload needs one neighbourhood or more and a positive pace")
        object.__setattr__(self, "ids", neighbourhood_ids(self.neighbourhoods))

    def events(self, count: int) -> Iterator[Envelope]:
        """The feed's first ``count`` events, in the order they are taken in."""
        rng = random.Random(self.seed)
        activity = _cumulative([rng.lognormvariate(0.0, 1.0) for _ in self.ids])
        kinds = [k for k, _ in MIX]
        kind_weights = _cumulative([w for _, w in MIX])
        themes = list(THEME_WEIGHTS)
        theme_weights = _cumulative(list(THEME_WEIGHTS.values()))
        crimes = _cumulative([w for _, _, w in CRIME_TYPES])
        picker = _Picker(rng, themes, theme_weights, crimes)
        for index in range(count):
            hood = bisect.bisect_left(activity, rng.random() * activity[-1])
            hood = min(hood, len(self.ids) - 1)
            kind = kinds[bisect.bisect_left(kind_weights, rng.random() * kind_weights[-1])]
            taken_in = self.start + timedelta(seconds=index / self.per_second)
            least, most = LAG_SECONDS[kind]
            happened = taken_in - timedelta(seconds=round(rng.uniform(least, most), 3))
            yield Envelope(
                event_id=event_id(SOURCE, f"bench:{self.seed}:{index}"),
                event_type=kind,
                event_time=happened,
                recorded_time=taken_in,
                source=SOURCE,
                neighbourhood_id=self.ids[hood],
                payload=picker.payload(kind, hood, happened),
            )

    def time_at(self, index: int) -> datetime:
        """When the feed takes in its event ``index``."""
        return self.start + timedelta(seconds=index / self.per_second)


@dataclass
class _Picker:
    rng: random.Random
    themes: list[Theme]
    theme_weights: list[float]
    crime_weights: list[float]

    def theme(self) -> Theme:
        return self.themes[bisect.bisect_left(self.theme_weights, self.rng.random() * self.theme_weights[-1])]

    def payload(self, kind: EventType, hood: int, when: datetime) -> Payload:
        rng = self.rng
        if kind is EventType.SOCIAL_SIGNAL_OBSERVED:
            account = int(ACCOUNTS_PER_NEIGHBOURHOOD * rng.random() ** 2)
            theme = self.theme()
            return SocialSignalObserved(
                platform=SOURCE,
                author=f"p_{hood:05d}_{account:03d}",
                text=f"[synthetic] a post about {theme.value.replace('_', ' ')} near here",
                theme=theme,
                sentiment=round(rng.uniform(-1, 1), 3),
                hostility=round(rng.random() ** 3, 3),
                rumour=round(rng.random() ** 4, 3),
            )
        if kind is EventType.CRIME_RECORDED:
            at = bisect.bisect_left(self.crime_weights, rng.random() * self.crime_weights[-1])
            crime_type, theme, _ = CRIME_TYPES[at]
            return CrimeRecorded(crime_type=crime_type, theme=theme, location="On or near [synthetic] street")
        if kind is EventType.PARTNER_CALL_LOGGED:
            theme = self.theme()
            return PartnerCallLogged(
                partner=rng.choice(("council", "housing", "licensing", "fire", "rangers")),
                service_code=f"SYN-{rng.randint(1, 40):02d}",
                theme=theme,
                description=f"[synthetic] report of {theme.value.replace('_', ' ')}",
                count=rng.choice((1, 1, 1, 1, 2, 3)),
            )
        if kind is EventType.SURVEY_RESPONSE_RECEIVED:
            return SurveyResponseReceived(
                survey_id="synthetic-streetsafe",
                respondent=f"p_{rng.getrandbits(64):016x}",
                feels_safe=rng.randint(1, 5),
                confidence_in_police=rng.randint(1, 5),
                concerns=tuple(dict.fromkeys(self.theme() for _ in range(rng.randint(1, 3)))),
                respondent_groups=(rng.choice(SELDOM_HEARD),) if rng.random() < 0.25 else ("residents",),
            )
        if kind is EventType.MEETING_HELD:
            meeting_kind = rng.choice(("pact", "pact", "beat", "surgery", "street", "online"))
            attendance = rng.randint(3, 60)
            groups = [GroupCount(group="residents", count=attendance)]
            if rng.random() < 0.5:
                groups.append(GroupCount(group=rng.choice(SELDOM_HEARD), count=rng.randint(1, attendance)))
            issues = tuple(
                IssueRaised(
                    theme=self.theme(), summary="[synthetic] raised at the meeting", votes=rng.randint(0, 30)
                )
                for _ in range(rng.randint(1, 4))
            )
            agreed = (
                tuple(dict.fromkeys(i.theme for i in issues[:3])) if meeting_kind in ("pact", "beat") else ()
            )
            return MeetingHeld(
                meeting_kind=meeting_kind,
                attendance=attendance,
                attendee_groups=tuple(groups),
                issues_raised=issues,
                priorities_agreed=agreed,
            )
        if kind is EventType.PRIORITY_SET:
            theme = self.theme()
            return PrioritySet(
                theme=theme,
                issue=f"[synthetic] reduce {theme.value.replace('_', ' ')}",
                forum=rng.choice(("police_uk", "pact", "ttcg")),
                priority_ref=f"syn-{hood}-{theme.value}",
            )
        if kind is EventType.ACTION_RECORDED:
            theme = self.theme()
            outcome = rng.choices(("completed", "in_progress", "no_action"), weights=(6, 3, 1))[0]
            return ActionRecorded(
                theme=theme,
                action=f"[synthetic] action on {theme.value.replace('_', ' ')}",
                outcome=outcome,
                reason="[synthetic] not a police matter" if outcome == "no_action" else "",
                issue_time=when - timedelta(days=rng.randint(1, 40)),
                reported_back=rng.random() < 0.5,
                priority_ref=f"syn-{hood}-{theme.value}",
            )
        assessment = rng.choices(("confirm", "override", "clear"), weights=(7, 2, 1))[0]
        override = assessment == "override"
        return TensionAssessed(
            assessment=assessment,
            level=rng.randint(2, 4) if override else None,
            analyst=f"analyst-{rng.randint(1, 20)}",
            note="[synthetic] assessment",
            valid_until=when + timedelta(days=7) if override else None,
        )


def marker(run: str, index: int, when: datetime) -> Envelope:
    """Latency marker ``index`` of run ``run``: a post in the marker neighbourhood, with a unique id."""
    return Envelope(
        event_id=event_id(SOURCE, f"bench-marker:{run}:{index}"),
        event_type=EventType.SOCIAL_SIGNAL_OBSERVED,
        event_time=when,
        recorded_time=when,
        source=SOURCE,
        neighbourhood_id=MARKER_NEIGHBOURHOOD,
        payload=SocialSignalObserved(
            platform=SOURCE,
            author=f"p_marker_{index % 50:02d}",
            text="[synthetic] latency marker",
            theme=Theme.NOISE,
            sentiment=0.0,
        ),
    )
