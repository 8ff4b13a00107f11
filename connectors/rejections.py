"""Why a record was refused: a machine-readable reason and a sentence for the person fixing it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime

from events import Frozen


class Reason(StrEnum):
    MALFORMED = "malformed"
    """The line could not be parsed at all (broken CSV or JSON)."""
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"
    """A field is present but of the wrong type or out of range."""
    UNKNOWN_NEIGHBOURHOOD = "unknown_neighbourhood"
    """The record names a neighbourhood that the boundaries do not hold."""
    UNPLACED = "unplaced"
    """The record's location falls in no neighbourhood, or it has no location at all."""
    UNMAPPED_CATEGORY = "unmapped_category"
    NOT_YET_HELD = "not_yet_held"
    """A scheduled meeting that starts after the run: ingest it again once held (it keeps its id)."""
    NOT_GRANTED = "not_granted"
    """The record lies in a neighbourhood the sending partner's grant does not cover (the gateway)."""


class RecordRejected(Exception):
    """Raised by a connector's parser; the run records it and goes on."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class DeadLetter(Frozen):
    """What lands on the dead-letter topic for one rejected record."""

    source: str
    file: str
    line: int
    reason: Reason
    detail: str
    record: str
    """The record as read, with personal data redacted."""
    rejected_at: AwareDatetime


def dead_letter(
    source: str, file: str, line: int, error: RecordRejected, record: str, now: datetime
) -> DeadLetter:
    return DeadLetter(
        source=source,
        file=file,
        line=line,
        reason=error.reason,
        detail=error.detail,
        record=record,
        rejected_at=now,
    )
