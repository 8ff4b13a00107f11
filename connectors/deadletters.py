"""Dead letters an operator can act on: what is rejected now, and why, and a replay after a fix.

The dead-letter topic is each rejected record's history. Ingest writes attempt 1. A replay maps the
record again, from the fields its letter kept, with its connector as it is now (a fixed theme table,
area look-up, boundaries or mapping file) and the ``--neighbourhood`` it was ingested with, publishes
every event it now makes (a meeting and the actions it reported back), and writes one more letter per
record tried: rejected again with the next attempt number, or resolved, naming the (first) event it
was published as. So:

- a record is *open* while its latest letter (highest attempt) is not resolved; listing shows those;
- a resolved record is never replayed again, and were it replayed (two operators at once), its
  event would have the same id as before, which the worker drops: no record makes two events;
- a record tried ``max_attempts`` times is *exhausted* and left alone, so replays end.

Letters keep redacted fields, never the raw record: a record whose redaction touched a field its
mapping needs (a time or a reference that looked like a phone number) may fail again, or map to an
event with another id. Lines that could not be read into fields at all (``malformed``) cannot be
replayed: fix the file and ingest it again.

The functions here are pure but for ``replay``, which hands what it makes to a ``Publisher``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import structlog
from pydantic import ValidationError

from connectors.base import Connector, Context, MappedConnector
from connectors.ingest import Publisher, record_events
from connectors.privacy import redact, scrub
from connectors.rejections import DeadLetter, RecordRejected
from events import Envelope

log = structlog.get_logger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


def decode(values: Iterable[bytes]) -> tuple[list[DeadLetter], int]:
    """The letters among a topic's values, and how many values were not letters at all."""
    letters: list[DeadLetter] = []
    undecodable = 0
    for value in values:
        try:
            letters.append(DeadLetter.model_validate_json(value))
        except ValidationError:
            undecodable += 1
    return letters, undecodable


def record_key(letter: DeadLetter) -> str:
    """Which record a letter is about: the same line of the same file, with the same text."""
    identity = "\x1f".join((letter.source, letter.file, str(letter.line), letter.record))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


def latest(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    """Each record's latest letter (highest attempt, then latest written), in the order first seen.

    The same file ingested twice gives the same record twice at attempt 1: it is one record.
    """
    chosen: dict[str, DeadLetter] = {}
    for letter in letters:
        key = record_key(letter)
        previous = chosen.get(key)
        if previous is None or (letter.attempt, letter.rejected_at) >= (
            previous.attempt,
            previous.rejected_at,
        ):
            chosen[key] = letter
    return list(chosen.values())


def select(
    letters: Iterable[DeadLetter], reason: str | None = None, source: str | None = None
) -> list[DeadLetter]:
    return [
        letter
        for letter in letters
        if (reason is None or letter.reason.value == reason) and (source is None or letter.source == source)
    ]


@dataclass(frozen=True)
class Listing:
    """What ``engage dlq list`` shows: the open records, and counts to see at a glance."""

    open: list[DeadLetter]
    resolved: int
    exhausted: int
    undecodable: int

    def by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(letter.reason.value for letter in self.open).items()))

    def by_source(self) -> dict[str, int]:
        return dict(sorted(Counter(letter.source for letter in self.open).items()))

    def as_dict(self) -> dict[str, object]:
        return {
            "open": len(self.open),
            "resolved": self.resolved,
            "exhausted": self.exhausted,
            "undecodable": self.undecodable,
            "by_reason": self.by_reason(),
            "by_source": self.by_source(),
            "letters": [
                {"key": record_key(letter), **letter.model_dump(mode="json", exclude={"fields"})}
                for letter in self.open
            ],
        }


def listing(
    letters: Iterable[DeadLetter],
    reason: str | None = None,
    source: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    undecodable: int = 0,
) -> Listing:
    current = select(latest(letters), reason, source)
    return Listing(
        open=[letter for letter in current if not letter.resolved],
        resolved=sum(1 for letter in current if letter.resolved),
        exhausted=sum(1 for letter in current if not letter.resolved and letter.attempt >= max_attempts),
        undecodable=undecodable,
    )


def remap(
    letter: DeadLetter, connector: Connector, context: Context
) -> tuple[tuple[Envelope, ...], DeadLetter]:
    """Map a letter's record again: all the events it now makes (a meeting and its actions), or none;
    and the letter that records the attempt.

    The record is mapped in the context of the replay (boundaries, area look-up, salt, time) but with
    what its ingest run was told about the file: the ``--neighbourhood`` its letter kept.
    """
    attempt = letter.attempt + 1
    if letter.fields is None:
        # Nothing to map: the line was never read into fields (or the letter predates replay).
        return (), letter.model_copy(update={"attempt": attempt, "rejected_at": context.recorded_time})
    as_ingested = replace(context, neighbourhood=letter.neighbourhood)
    try:
        events = record_events(connector, letter.fields, as_ingested)
        scrubbed = tuple(scrub(event, context.salt)[0] for event in events)
    except RecordRejected as error:
        return (), letter.model_copy(
            update={
                "reason": error.reason,
                # As at ingest: a reason may quote the value at fault.
                "detail": redact(error.detail)[0],
                "attempt": attempt,
                "rejected_at": context.recorded_time,
            }
        )
    resolved = letter.model_copy(
        update={"attempt": attempt, "rejected_at": context.recorded_time, "replayed_as": scrubbed[0].event_id}
    )
    return scrubbed, resolved


ConnectorFor = Callable[[str], Connector]
"""A connector by source name (``connectors.registry.connector_for``)."""


def connectors_for(
    letters: Iterable[DeadLetter], connector_for: ConnectorFor
) -> dict[tuple[str, str], Connector]:
    """One connector per source and mapping file, made before anything is published, so that a
    missing connector or mapping stops the replay before it starts (ConfigurationError)."""
    made: dict[tuple[str, str], Connector] = {}
    for letter in letters:
        key = (letter.source, letter.mapping)
        if key in made:
            continue
        connector = connector_for(letter.source)
        if letter.mapping and isinstance(connector, MappedConnector):
            connector = connector.with_mapping(Path(letter.mapping))
        made[key] = connector
    return made


@dataclass
class ReplaySummary:
    replayed: int = 0
    """Records mapped again: ``published + still_rejected``."""
    published: int = 0
    events_published: int = 0
    """Events the published records made, more than ``published`` when one stands for several."""
    still_rejected: int = 0
    exhausted: int = 0
    """Records left alone: tried ``max_attempts`` times already."""
    reasons: Counter[str] = field(default_factory=Counter)
    """Why the still-rejected ones were rejected this time."""

    def as_dict(self) -> dict[str, object]:
        return {
            "replayed": self.replayed,
            "published": self.published,
            "events_published": self.events_published,
            "still_rejected": self.still_rejected,
            "exhausted": self.exhausted,
            "reasons": dict(sorted(self.reasons.items())),
        }


def replay(
    letters: Iterable[DeadLetter],
    connector_for: ConnectorFor,
    context: Context,
    publisher: Publisher,
    reason: str | None = None,
    source: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> ReplaySummary:
    """Replay the open records among ``letters`` (a dead-letter topic read from its start)."""
    chosen = listing(letters, reason, source, max_attempts).open
    runnable = [letter for letter in chosen if letter.attempt < max_attempts]
    connectors = connectors_for(runnable, connector_for)
    summary = ReplaySummary(exhausted=len(chosen) - len(runnable))
    for letter in runnable:
        events, written = remap(letter, connectors[(letter.source, letter.mapping)], context)
        summary.replayed += 1
        # The events first: should the run stop before the letter, the record stays open and its next
        # replay makes the same event ids again, which the worker drops.
        for event in events:
            publisher.publish_event(event)
        summary.events_published += len(events)
        if events:
            summary.published += 1
        else:
            summary.still_rejected += 1
            summary.reasons[written.reason.value] += 1
        publisher.publish_dead_letter(written)
    publisher.flush()
    log.info("replay_finished", **summary.as_dict())
    return summary
