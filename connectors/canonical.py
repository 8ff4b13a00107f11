"""Canonical events as JSON Lines: for partner systems that already speak the event language.

Each line is an envelope (see ``events/envelope.py``). Its neighbourhood must exist, and its
``recorded_time`` may be left out (this system stamps it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.base import Context, SourceRecord, read_jsonl
from connectors.rejections import Reason, RecordRejected
from events import Envelope
from events.codec import UndecodableEvent, upcast

SOURCE = "canonical"


def _first_error(exc: ValidationError) -> tuple[Reason, str]:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    reason = Reason.MISSING_FIELD if error["type"] == "missing" else Reason.INVALID_VALUE
    return reason, f"{where}: {error['msg']}"


class CanonicalConnector:
    name = SOURCE

    def records(self, path: Path) -> Iterator[SourceRecord]:
        return read_jsonl(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        data = {"recorded_time": context.recorded_time.isoformat(), **record}
        try:
            envelope = Envelope.model_validate(upcast(dict(data)))
        except UndecodableEvent as exc:
            raise RecordRejected(Reason.INVALID_VALUE, str(exc)) from exc
        except ValidationError as exc:
            raise RecordRejected(*_first_error(exc)) from exc
        context.neighbourhoods.by_id(envelope.neighbourhood_id)
        return envelope
