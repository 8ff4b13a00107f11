"""An ingest run: every record read is either published as an event or dead-lettered with its reason.

The mapping is pure (``outcomes``); ``run`` is the shell that hands each outcome to a publisher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import structlog

from connectors.base import Connector, Context, MappedConnector, SourceRecord
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
    rejected: int = 0
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


def outcomes(connector: Connector, path: Path, context: Context) -> Iterator[Outcome]:
    """Each record of the file, mapped to an event or to a dead letter. Never raises for a record."""
    for record in connector.records(path):
        try:
            if record.fields is None:
                raise RecordRejected(Reason.MALFORMED, record.problem)
            event, redactions = scrub(connector.to_event(record.fields, context), context.salt)
            yield record, event, redactions
        except RecordRejected as error:
            text, redactions = redact(record.text)
            letter = dead_letter(
                connector.name,
                path.name,
                record.line,
                error,
                text,
                context.recorded_time,
                fields=redact_fields(record.fields),
                mapping=mapping_of(connector),
            )
            yield record, letter, redactions


def run(
    connector: Connector,
    path: Path,
    context: Context,
    publisher: Publisher,
    tick: Callable[[], object] | None = None,
) -> Summary:
    summary = Summary()
    for _record, outcome, redactions in outcomes(connector, path, context):
        summary.read += 1
        summary.redacted.update(redactions.counts)
        if isinstance(outcome, DeadLetter):
            publisher.publish_dead_letter(outcome)
            summary.rejected += 1
            summary.reasons[outcome.reason.value] += 1
            log.debug(
                "record_rejected", line=outcome.line, reason=outcome.reason.value, detail=outcome.detail
            )
        else:
            publisher.publish_event(outcome)
            summary.published += 1
            if is_other(outcome):
                summary.unmapped_other += 1
        if tick is not None:
            tick()
    publisher.flush()
    log.info("ingest_finished", source=connector.name, file=path.name, **summary.as_dict())
    return summary
