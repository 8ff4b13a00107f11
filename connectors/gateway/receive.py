"""What the gateway does with an authenticated request's records: the same step as ``engage ingest``,
plus the grant's neighbourhoods and the partner's answer per record.

Framework-free: the FastAPI layer (``app``) authenticates and parses, then calls ``Gateway.receive``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum

import structlog

from connectors.base import Connector, Context, SourceRecord
from connectors.gateway.accepted import AcceptedIds
from connectors.gateway.grants import Grant
from connectors.ingest import ListPublisher, Publisher, Settled, step
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from connectors.rejections import Reason, RecordRejected
from events import Envelope, Frozen

log = structlog.get_logger(__name__)


class RecordStatus(StrEnum):
    ACCEPTED = "accepted"
    """Published as an event now (each of its events that was not accepted before)."""
    DUPLICATE = "duplicate"
    """Its events were accepted before (same event ids), so they were not published again."""
    REJECTED = "rejected"
    """Not published as an event; dead-lettered with ``reason``."""


class RecordAnswer(Frozen):
    """What became of one record of the request."""

    index: int
    """The record's 0-based position in ``records``."""
    status: RecordStatus
    event_id: str | None
    """The id of the record's event (of its first, when it stands for several, as a meeting and the
    actions reported at it); stable: the same record always gets the same one. Null when rejected."""
    reason: Reason | None
    """Why it was rejected; null otherwise."""
    detail: str
    """A sentence for the person fixing the record; empty when accepted."""


class Receipt(Frozen):
    """The gateway's answer to a request it processed: one answer per record, in order."""

    request_id: str
    """Quote it to the operators: the request's dead letters carry it (file ``gateway/<partner>/<id>``)."""
    partner: str
    source: str
    accepted: int
    duplicate: int
    rejected: int
    results: tuple[RecordAnswer, ...]


def source_record(index: int, value: object) -> SourceRecord:
    """A request's record in the form a connector's file reader yields; its line is its 1-based index."""
    text = json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return SourceRecord(index + 1, text, value)
    return SourceRecord(index + 1, text, None, "an array element must be one JSON object")


def answer(index: int, done: Settled) -> RecordAnswer:
    if done.letter is not None:
        return RecordAnswer(
            index=index,
            status=RecordStatus.REJECTED,
            event_id=None,
            reason=done.letter.reason,
            detail=done.letter.detail,
        )
    if done.published:
        return RecordAnswer(
            index=index,
            status=RecordStatus.ACCEPTED,
            event_id=done.events[0].event_id,
            reason=None,
            detail="",
        )
    return RecordAnswer(
        index=index,
        status=RecordStatus.DUPLICATE,
        event_id=done.events[0].event_id,
        reason=None,
        detail="this record's event was accepted before; it was not published again",
    )


class Gateway:
    """Receives records for the partners, one request at a time so that ``duplicate`` is exact."""

    def __init__(
        self,
        publisher: Publisher,
        accepted: AcceptedIds,
        neighbourhoods: Neighbourhoods,
        salt: bytes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        connectors: Callable[[str], Connector] = connector_for,
    ) -> None:
        self._publisher = publisher
        self._accepted = accepted
        self._neighbourhoods = neighbourhoods
        self._salt = salt
        self._clock = clock
        self._connectors = connectors
        self._lock = threading.Lock()

    def receive(self, grant: Grant, source: str, records: Sequence[object], request_id: str) -> Receipt:
        """Map every record, then publish: nothing reaches the publisher unless every record was mapped.

        Raises the publisher's PublishFailed when the broker does not take them; no id is then
        remembered, so the same records sent again are accepted again.
        """
        connector = self._connectors(source)
        context = Context(self._neighbourhoods, self._clock(), self._salt)
        file = f"gateway/{grant.partner}/{request_id}"
        with self._lock:
            admitted: set[str] = set()

            def admit(events: tuple[Envelope, ...]) -> tuple[bool, ...]:
                outside = sorted({e.neighbourhood_id for e in events if not grant.covers(e.neighbourhood_id)})
                if outside:
                    raise RecordRejected(
                        Reason.NOT_GRANTED,
                        f"the record lies in neighbourhood {', '.join(outside)}, which key "
                        f"{grant.key_id!r} may not send records about",
                    )
                verdicts = tuple(
                    e.event_id not in admitted and e.event_id not in self._accepted for e in events
                )
                admitted.update(e.event_id for e in events)
                return verdicts

            staged = ListPublisher()
            steps = [
                step(connector, source_record(i, value), file, context, staged, admit, replayable=False)
                for i, value in enumerate(records)
            ]
            for event in staged.events:
                self._publisher.publish_event(event)
            for letter in staged.dead_letters:
                self._publisher.publish_dead_letter(letter)
            self._publisher.flush()
            try:
                self._accepted.add(event.event_id for event in staged.events)
            except sqlite3.Error as exc:
                # The events are on the broker: the answer stands; only a later duplicate is missed.
                log.error("accepted_ids_not_saved", error=str(exc), events=len(staged.events))
        results = tuple(answer(i, done) for i, done in enumerate(steps))
        redacted: Counter[str] = Counter()
        for done in steps:
            redacted.update(done.redactions.counts)
        receipt = Receipt(
            request_id=request_id,
            partner=grant.partner,
            source=source,
            accepted=sum(r.status is RecordStatus.ACCEPTED for r in results),
            duplicate=sum(r.status is RecordStatus.DUPLICATE for r in results),
            rejected=sum(r.status is RecordStatus.REJECTED for r in results),
            results=results,
        )
        log.info(
            "records_received",
            partner=grant.partner,
            source=source,
            request_id=request_id,
            accepted=receipt.accepted,
            duplicate=receipt.duplicate,
            rejected=receipt.rejected,
            redacted=dict(sorted(redacted.items())),
        )
        return receipt
