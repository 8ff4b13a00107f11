"""A seeded generator of SYNTHETIC canonical events, for tests, demos and benchmarks.

No public data holds meeting records or survey microdata, so they are made up here, and say so:
every generated event has ``source = "synthetic"`` and meeting summaries start "[synthetic]".
The same seed always gives the same events (ids included), so a run can be repeated exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import event_id
from events import (
    Envelope,
    EventType,
    GroupCount,
    IssueRaised,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)
from events.codec import encode

SOURCE = "synthetic"
_THEMES = tuple(t for t in Theme if t is not Theme.OTHER)
_KINDS = (
    EventType.MEETING_HELD,
    EventType.SURVEY_RESPONSE_RECEIVED,
    EventType.PARTNER_CALL_LOGGED,
    EventType.SOCIAL_SIGNAL_OBSERVED,
)
_MIX = (1, 12, 17, 70)
"""Relative frequency of each kind: social posts dominate, meetings are rare. Recorded crime is
left to the real police.uk data."""


def _payload(kind: EventType, rng: random.Random) -> Payload:
    theme = rng.choice(_THEMES)
    if kind is EventType.MEETING_HELD:
        return MeetingHeld(
            meeting_kind=rng.choice(("pact", "beat", "surgery", "street", "online")),
            attendance=rng.randint(3, 60),
            attendee_groups=(GroupCount(group="residents", count=rng.randint(3, 40)),),
            issues_raised=(
                IssueRaised(
                    theme=theme, summary="[synthetic] raised at the meeting", votes=rng.randint(0, 30)
                ),
            ),
            priorities_agreed=(theme,),
        )
    if kind is EventType.SURVEY_RESPONSE_RECEIVED:
        return SurveyResponseReceived(
            survey_id="synthetic-streetsafe",
            respondent=f"p_{rng.getrandbits(64):016x}",
            feels_safe=rng.randint(1, 5),
            confidence_in_police=rng.randint(1, 5),
            concerns=(theme,),
        )
    if kind is EventType.PARTNER_CALL_LOGGED:
        return PartnerCallLogged(
            partner=rng.choice(("council", "housing", "licensing", "fire")),
            theme=theme,
            count=rng.choice((1, 1, 1, 2, 5)),
        )
    return SocialSignalObserved(
        platform="synthetic",
        author=f"p_{rng.getrandbits(40):010x}",
        theme=theme,
        sentiment=round(rng.uniform(-1, 1), 3),
        hostility=round(rng.random() ** 3, 3),
    )


def generate(
    neighbourhood_ids: Sequence[str],
    count: int,
    seed: int,
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    span: timedelta = timedelta(days=28),
) -> Iterator[Envelope]:
    rng = random.Random(seed)
    recorded = start + span
    for index in range(count):
        kind = rng.choices(_KINDS, weights=_MIX)[0]
        yield Envelope(
            event_id=event_id(SOURCE, f"{seed}:{index}"),
            event_type=kind,
            event_time=start + timedelta(seconds=rng.uniform(0, span.total_seconds())),
            recorded_time=recorded,
            source=SOURCE,
            neighbourhood_id=rng.choice(neighbourhood_ids),
            payload=_payload(kind, rng),
        )


def write_jsonl(events: Iterator[Envelope], path: Path) -> int:
    written = 0
    with path.open("w", encoding="utf-8") as handle:
        for event in events:
            handle.write(encode(event).decode("utf-8") + "\n")
            written += 1
    return written
