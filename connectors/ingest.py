"""An ingest run: every record read is either published as an event or dead-lettered with its reason.

The mapping is pure (``outcomes``); ``run`` is the shell that hands each outcome to a publisher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import structlog

from connectors.base import (
    Connector,
    Context,
    GuardedConnector,
    MappedConnector,
    SourceRecord,
    events_of,
)
from connectors.privacy import Redactions, redact, redact_fields, scrub
from connectors.rejections import DeadLetter, Reason, RecordRejected, dead_letter
from events import Envelope, Theme

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
    """Records mapped to events; ``read = published + rejected``."""
    rejected: int = 0
    events_published: int = 0
    """Events, which exceed ``published`` when a record stands for several (a meeting and its actions)."""
    reasons: Counter[str] = field(default_factory=Counter)
    redacted: Counter[str] = field(default_factory=Counter)
    unmapped_other: int = 0
    """Events published with the theme ``other``: what the theme tables (connectors/theme_maps.py) or
    the keyword classifier could not place in the vocabulary. Counted so that a feed whose categories
    the tables miss is seen, not quietly lumped together."""

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "published": self.published,
            "rejected": self.rejected,
            "events_published": self.events_published,
            "unmapped_other": self.unmapped_other,
            "reasons": dict(sorted(self.reasons.items())),
            "redacted": dict(sorted(self.redacted.items())),
        }


Outcome = tuple[SourceRecord, Envelope | DeadLetter, Redactions]


def is_other(event: Envelope) -> bool:
    """Whether an event that carries one theme carries ``other`` (meetings and surveys carry several)."""
    return getattr(event.payload, "theme", None) == Theme.OTHER


def mapping_of(connector: Connector) -> str:
    """The mapping file a connector read its last file with, or "" for one that reads none."""
    if isinstance(connector, MappedConnector) and connector.mapping_file is not None:
        return str(connector.mapping_file.resolve())
    return ""


def letter_fields(
    connector: Connector, fields: Mapping[str, Any] | None, context: Context
) -> Mapping[str, Any] | None:
    """What a dead letter may keep of a record's fields for a replay, before redaction."""
    if fields is not None and isinstance(connector, GuardedConnector):
        return connector.letter_fields(fields, context)
    return fields


def record_events(connector: Connector, fields: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
    """A record's events (at least one), or RecordRejected; for ingest and for a dead letter's replay."""
    events = events_of(connector, fields, context)
    if not events:
        # A record is published or rejected, never dropped, even by a faulty connector.
        raise RecordRejected(Reason.INVALID_VALUE, f"{connector.name} mapped the record to no event")
    return events


def outcomes(connector: Connector, path: Path, context: Context) -> Iterator[Outcome]:
    """Each record of the file, mapped to an event or to a dead letter. Never raises for a record.

    A record that stands for several events yields one outcome per event, in a row and all with the
    same ``SourceRecord`` object; a rejected record yields one dead letter.
    """
    for record in connector.records(path):
        try:
            if record.fields is None:
                raise RecordRejected(Reason.MALFORMED, record.problem)
            events = record_events(connector, record.fields, context)
        except RecordRejected as error:
            text, redactions = redact(record.text)
            # A reason may quote the value at fault; it is redacted like the record (and not counted twice).
            told = RecordRejected(error.reason, redact(error.detail)[0])
            letter = dead_letter(
                connector.name,
                path.name,
                record.line,
                told,
                text,
                context.recorded_time,
                fields=redact_fields(letter_fields(connector, record.fields, context)),
                mapping=mapping_of(connector),
                neighbourhood=context.neighbourhood,
            )
            yield record, letter, redactions
            continue
        for event in events:
            scrubbed, redactions = scrub(event, context.salt)
            yield record, scrubbed, redactions


def run(
    connector: Connector,
    path: Path,
    context: Context,
    publisher: Publisher,
    tick: Callable[[], object] | None = None,
) -> Summary:
    summary = Summary()
    previous: SourceRecord | None = None
    for record, outcome, redactions in outcomes(connector, path, context):
        # The events of one record come in a row with the same record: count the record once.
        first_of_record = record is not previous
        previous = record
        summary.redacted.update(redactions.counts)
        if first_of_record:
            summary.read += 1
        if isinstance(outcome, DeadLetter):
            publisher.publish_dead_letter(outcome)
            summary.rejected += 1
            summary.reasons[outcome.reason.value] += 1
            log.debug(
                "record_rejected", line=outcome.line, reason=outcome.reason.value, detail=outcome.detail
            )
        else:
            publisher.publish_event(outcome)
            summary.events_published += 1
            if first_of_record:
                summary.published += 1
            if is_other(outcome):
                summary.unmapped_other += 1
        if tick is not None and first_of_record:
            tick()
    publisher.flush()
    log.info("ingest_finished", source=connector.name, file=path.name, **summary.as_dict())
    return summary
