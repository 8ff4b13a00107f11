"""An ingest run: every record read is either published as an event or dead-lettered with its reason.

One record at a time: ``settle`` maps it (pure), ``step`` publishes what became of it. ``run`` steps
through a file; the partner gateway (``connectors/gateway``) steps through a request's records, so a
record is validated, redacted and dead-lettered the same way whichever door it came in by.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
    printable,
    unsound,
)
from connectors.privacy import Redactions, cut, redact, redact_fields, scrub
from connectors.rejections import DeadLetter, Reason, RecordRejected, dead_letter
from events import Envelope, Theme

log = structlog.get_logger(__name__)

EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""No source read here holds a fact older than this (FixMyStreet began in 2007, police.uk's data in
2010); an earlier time is a default or a typo (0001-01-01, 1970-01-01), and the oldest ones cannot even
be moved to UTC by the worker."""
FUTURE_SLACK = timedelta(days=1)
"""How far after its run an event may be said to happen: clocks and offsets differ by hours, never more."""
LETTER_TEXT_LIMIT = 8_000
"""The most characters of a record a dead letter quotes: enough to see what was wrong, and a letter of a
huge record stays well inside the broker's one-megabyte message limit."""
LETTER_DETAIL_LIMIT = 1_000
LETTER_FIELDS_LIMIT = 64_000
"""The largest fields (as JSON characters) a dead letter keeps for a replay; larger ones are left out."""


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

    def add(self, done: Settled) -> None:
        """Count one record of a run, whose steps publish every event (no duplicates)."""
        self.read += 1
        self.redacted.update(done.redactions.counts)
        if done.letter is not None:
            self.rejected += 1
            self.reasons[done.letter.reason.value] += 1
        else:
            self.published += 1
            self.events_published += len(done.published)
            self.unmapped_other += sum(1 for event in done.published if is_other(event))


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
    for event in events:
        _check_time(event.event_time, context.recorded_time)
    return events


def _check_time(moment: datetime, now: datetime) -> None:
    try:
        early, late = moment < EARLIEST_EVENT_TIME, moment > now + FUTURE_SLACK
    except OverflowError:
        # Year 1 or 9999 with an offset: not a time this system can place in UTC.
        early, late = True, False
    if early:
        raise RecordRejected(
            Reason.INVALID_VALUE,
            f"the record's time {moment.isoformat()} is before {EARLIEST_EVENT_TIME.date().isoformat()}; "
            "no source holds facts that old, so it is a default or a typo",
        )
    if late:
        raise RecordRejected(
            Reason.INVALID_VALUE,
            f"the record's time {moment.isoformat()} is more than a day after this run "
            f"({now.isoformat()}); a record reports what has happened",
        )


Admit = Callable[[tuple[Envelope, ...]], tuple[bool, ...]]
"""A caller's last word on a record's mapped, scrubbed events: for each, True to publish it or False to
leave it out as already accepted; raising RecordRejected refuses the whole record (the gateway's grant)."""


def _publish_all(events: tuple[Envelope, ...]) -> tuple[bool, ...]:
    return (True,) * len(events)


@dataclass(frozen=True)
class Settled:
    """What became of one record: its events were published, or left out as duplicates, or it was
    dead-lettered."""

    record: SourceRecord
    events: tuple[Envelope, ...]
    """The record's events, scrubbed, in the connector's order; none when it was rejected."""
    published: tuple[Envelope, ...]
    """Those of ``events`` that were published; the others had been accepted before."""
    letter: DeadLetter | None
    redactions: Redactions

    @property
    def duplicates(self) -> tuple[Envelope, ...]:
        return tuple(event for event in self.events if event not in self.published)


def settle(
    connector: Connector,
    record: SourceRecord,
    file: str,
    context: Context,
    admit: Admit = _publish_all,
    *,
    replayable: bool = True,
) -> Settled:
    """Map one record to its events, scrub them and let ``admit`` judge them, or make the record's dead
    letter. Pure, and never raises for a record: every way a record can fail is a RecordRejected.

    A letter keeps the record's redacted fields for ``engage dlq replay`` unless ``replayable`` is
    False: the gateway's are not replayed, since a replay would not check the partner's grant.
    """
    problem = record.problem if record.fields is None else unsound(record.fields)
    # Fields that cannot travel (deeply nested, not UTF-8) are neither mapped nor kept for a replay.
    fields = None if problem else record.fields
    try:
        if fields is None:
            raise RecordRejected(Reason.MALFORMED, problem)
        mapped = record_events(connector, fields, context)
        redactions = Redactions()
        events = []
        for event in mapped:
            scrubbed, found = scrub(event, context.salt)
            redactions.add(found)
            events.append(scrubbed)
        verdicts = admit(tuple(events))
    except RecordRejected as error:
        text, redactions = _letter_text(record.text, LETTER_TEXT_LIMIT)
        # A reason may quote the value at fault; it is redacted like the record (and not counted twice).
        told = RecordRejected(error.reason, _letter_text(error.detail, LETTER_DETAIL_LIMIT)[0])
        letter = dead_letter(
            connector.name,
            file,
            record.line,
            told,
            text,
            context.recorded_time,
            fields=_letter_fields(letter_fields(connector, fields, context)) if replayable else None,
            mapping=mapping_of(connector),
            neighbourhood=context.neighbourhood,
        )
        return Settled(record, (), (), letter, redactions)
    published = tuple(e for e, publish in zip(events, verdicts, strict=True) if publish)
    return Settled(record, tuple(events), published, None, redactions)


def _letter_text(text: str, limit: int) -> tuple[str, Redactions]:
    """A record's text (or a reason) as a letter quotes it: encodable, redacted, then cut.

    Only the head is redacted (a megabyte line would keep the name rules busy for seconds), and the
    end of the redacted head is dropped, since that is where an e-mail or a number cut in two could
    have escaped the patterns.
    """
    head = printable(text[: limit + 2 * _PARTIAL_MARGIN])
    redacted, found = redact(head)
    if len(head) < len(text):
        redacted = redacted[: len(redacted) - _PARTIAL_MARGIN]
    elif len(redacted) <= limit:
        return redacted, found
    return f"{cut(redacted, limit)} [cut: {len(text)} characters in all]", found


_PARTIAL_MARGIN = 300
"""Longer than any personal datum the patterns find (an e-mail address has at most 254 characters)."""


def _letter_fields(fields: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Measured before redaction, which a megabyte of fields would keep busy for nothing: too large to
    # keep, such a record cannot be replayed from its letter, only ingested again.
    if fields is None or len(json.dumps(fields, ensure_ascii=False, default=str)) > LETTER_FIELDS_LIMIT:
        return None
    return redact_fields(fields)


def step(
    connector: Connector,
    record: SourceRecord,
    file: str,
    context: Context,
    publisher: Publisher,
    admit: Admit = _publish_all,
    *,
    replayable: bool = True,
) -> Settled:
    """The one way a record goes in, for a file (``run``) and for the gateway alike: map, scrub, then
    publish its events or dead-letter it. The caller flushes the publisher."""
    done = settle(connector, record, file, context, admit, replayable=replayable)
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
