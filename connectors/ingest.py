"""An ingest run: every record read is either published as an event or dead-lettered with its reason.

One record at a time: ``settle`` maps it (pure), ``step`` publishes what became of it. ``run`` steps
through a file; the partner gateway (``connectors/gateway``) steps through a request's records, so a
record is validated, redacted and dead-lettered the same way whichever door it came in by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import structlog

from connectors.base import Connector, Context, SourceRecord
from connectors.privacy import Redactions, redact, scrub
from connectors.rejections import DeadLetter, Reason, RecordRejected, dead_letter
from events import Envelope

log = structlog.get_logger(__name__)


class Publisher(Protocol):
    def publish_event(self, event: Envelope) -> None: ...

    def publish_dead_letter(self, letter: DeadLetter) -> None: ...

    def flush(self) -> None:
        """Return once the broker has acknowledged everything, or raise PublishFailed."""
        ...


@dataclass
class ListPublisher:
    """The in-memory twin of the Kafka publisher, for tests and dry runs."""

    events: list[Envelope] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def publish_event(self, event: Envelope) -> None:
        self.events.append(event)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    def flush(self) -> None:
        return None


@dataclass
class Summary:
    read: int = 0
    published: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    redacted: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "published": self.published,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "redacted": dict(sorted(self.redacted.items())),
        }

    def add(self, done: Settled) -> None:
        """Count one record of a run, whose steps publish every event (no duplicates)."""
        self.read += 1
        self.redacted.update(done.redactions.counts)
        if done.letter is not None:
            self.rejected += 1
            self.reasons[done.letter.reason.value] += 1
        else:
            self.published += 1


Admit = Callable[[Envelope], bool]
"""A caller's last word on a mapped, scrubbed event: True to publish it, False to leave it out as one
already accepted; raising RecordRejected refuses the record (the gateway's grant check)."""


def _publish_all(_event: Envelope) -> bool:
    return True


@dataclass(frozen=True)
class Settled:
    """What became of one record: its events were published, or left out as duplicates, or it was
    dead-lettered."""

    record: SourceRecord
    published: tuple[Envelope, ...]
    duplicates: tuple[Envelope, ...]
    """Mapped and allowed, but already accepted before, so not published again."""
    letter: DeadLetter | None
    redactions: Redactions

    @property
    def events(self) -> tuple[Envelope, ...]:
        return self.published + self.duplicates


def settle(
    connector: Connector, record: SourceRecord, file: str, context: Context, admit: Admit = _publish_all
) -> Settled:
    """Map one record, scrub its event and let ``admit`` judge it, or make its dead letter. Pure, and
    never raises for a record: every way a record can fail is a RecordRejected."""
    try:
        if record.fields is None:
            raise RecordRejected(Reason.MALFORMED, record.problem)
        event, redactions = scrub(connector.to_event(record.fields, context), context.salt)
        if admit(event):
            return Settled(record, (event,), (), None, redactions)
        return Settled(record, (), (event,), None, redactions)
    except RecordRejected as error:
        text, redactions = redact(record.text)
        letter = dead_letter(connector.name, file, record.line, error, text, context.recorded_time)
        return Settled(record, (), (), letter, redactions)


def step(
    connector: Connector,
    record: SourceRecord,
    file: str,
    context: Context,
    publisher: Publisher,
    admit: Admit = _publish_all,
) -> Settled:
    """The one way a record goes in, for a file (``run``) and for the gateway alike: map, scrub, then
    publish its event or dead-letter it. The caller flushes the publisher."""
    done = settle(connector, record, file, context, admit)
    for event in done.published:
        publisher.publish_event(event)
    if done.letter is not None:
        publisher.publish_dead_letter(done.letter)
        log.debug(
            "record_rejected",
            line=done.letter.line,
            reason=done.letter.reason.value,
            detail=done.letter.detail,
        )
    return done


def run(
    connector: Connector,
    path: Path,
    context: Context,
    publisher: Publisher,
    tick: Callable[[], object] | None = None,
) -> Summary:
    """Every record of a file through ``step``, then one flush. A re-sent file is published again:
    the projections drop events whose ids they have seen."""
    summary = Summary()
    for record in connector.records(path):
        summary.add(step(connector, record, path.name, context, publisher))
        if tick is not None:
            tick()
    publisher.flush()
    log.info("ingest_finished", source=connector.name, file=path.name, **summary.as_dict())
    return summary
