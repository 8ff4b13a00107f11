"""Why a record was refused: a machine-readable reason and a sentence for the person fixing it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, JsonValue

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
    AREA_TOO_COARSE = "area_too_coarse"
    """The record is about an area larger than any neighbourhood (a whole local authority)."""
    UNMAPPED_CATEGORY = "unmapped_category"
    """The record's category code is not in the source's own list of codes."""
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
    """What lands on the dead-letter topic for one rejected record, and for each replay of it.

    The topic is the record's history: ingest writes attempt 1; each replay (``engage dlq replay``)
    writes the next attempt, rejected again or, with ``replayed_as``, published at last.
    """

    source: str
    file: str
    line: int
    reason: Reason
    """Why the record was rejected (on a resolved letter: why it had been)."""
    detail: str
    record: str
    """The record as read, with personal data redacted."""
    rejected_at: AwareDatetime
    fields: dict[str, JsonValue] | None = None
    """The record's fields as read, each text redacted like ``record``: what a replay maps again.
    None when the line could not be read into fields at all (and for letters older than replay)."""
    mapping: str = ""
    """The mapping file the connector read the record with (a council CSV export's or a
    survey's mapping, FixMyStreet's category codes), so that a replay reads it with that file as it is now."""
    neighbourhood: str | None = None
    """The run's ``engage ingest --neighbourhood`` (an id or a name, not personal data), for sources
    whose records name none (police.uk priorities and events): a replay places the record with it."""
    attempt: Annotated[int, Field(ge=1)] = 1
    """1 for the ingest that rejected the record, then one more for each replay."""
    replayed_as: str = ""
    """The id of the event a replay published the record as (of its first, for a record that stands for
    several, such as a meeting and its actions): set, the letter is resolved."""

    @property
    def resolved(self) -> bool:
        return bool(self.replayed_as)


def dead_letter(
    source: str,
    file: str,
    line: int,
    error: RecordRejected,
    record: str,
    now: datetime,
    *,
    fields: dict[str, JsonValue] | None = None,
    mapping: str = "",
    neighbourhood: str | None = None,
    attempt: int = 1,
) -> DeadLetter:
    return DeadLetter(
        source=source,
        file=file,
        line=line,
        reason=error.reason,
        detail=error.detail,
        record=record,
        rejected_at=now,
        fields=fields,
        mapping=mapping,
        neighbourhood=neighbourhood,
        attempt=attempt,
    )
