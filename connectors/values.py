"""Parsing the values that records carry (times, counts, themes, free text) into what events hold.

Each function raises RecordRejected with the field's name, so the dead letter says what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from connectors.rejections import Reason, RecordRejected
from events import Theme

LONDON = ZoneInfo("Europe/London")
TEXT_LIMIT = 2000
"""The longest free text an event holds (``events.envelope.ShortText``)."""
LABEL_LIMIT = 80
MAX_COUNT = 1_000_000
"""The largest count a record may give (people at a meeting, reports in one area and month). No real one
comes near; a larger number is a typo or an attack, and sums of such would overflow the read models'
64-bit columns and stop the sink."""


def text(fields: Mapping[str, Any], name: str) -> str:
    """The field as stripped text; empty when absent or null."""
    value = fields.get(name)
    return "" if value is None else str(value).strip()


def clip(value: str, limit: int = TEXT_LIMIT) -> str:
    """At most ``limit`` characters, cut between words so that redaction still sees whole e-mails."""
    if len(value) <= limit:
        return value
    head = value[:limit]
    return head.rsplit(None, 1)[0] if " " in head else head


def timestamp(value: object, name: str, default_zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 time. Without an offset it is read in ``default_zone``, or refused when none is given.

    A bare date is midnight in ``default_zone``.
    """
    raw = str(value).strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None and default_zone is not None:
        moment = moment.replace(tzinfo=default_zone)
    if moment is None or moment.tzinfo is None:
        example = "2026-01-14T19:00:00+00:00" if default_zone is None else "2026-01-14T19:00:00"
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be an ISO 8601 time such as {example}, got {raw!r}"
        )
    return moment


def day_or_time(value: object, name: str, zone: tzinfo) -> datetime:
    """An ISO date (midnight in ``zone``) or an ISO time with an offset."""
    raw = str(value).strip()
    try:
        return datetime.combine(date.fromisoformat(raw), time(), tzinfo=zone)
    except ValueError:
        return timestamp(raw, name)


def count(value: object, name: str) -> int:
    """A whole number of people, 0 or more (JSON numbers, or digits in text)."""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or not 0 <= number <= MAX_COUNT:
        shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:80]}..."
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be a whole number from 0 to {MAX_COUNT}, got {shown}"
        )
    return number


def theme(value: object, name: str) -> Theme:
    """A theme named by its vocabulary value (``drugs``, ``road_safety``); any other is unmapped."""
    raw = str(value).strip().lower()
    try:
        return Theme(raw)
    except ValueError:
        known = ", ".join(t.value for t in Theme)
        raise RecordRejected(
            Reason.UNMAPPED_CATEGORY,
            f"field {name!r} holds {value!r}, which is not a theme; use one of {known}",
        ) from None


def group_label(value: object, name: str) -> str:
    """An attendee or respondent group label, lower case (``older_people``)."""
    label = str(value).strip().lower()
    if not label or len(label) > LABEL_LIMIT:
        raise RecordRejected(
            Reason.INVALID_VALUE, f"{name} must name a group in 1 to {LABEL_LIMIT} characters, got {value!r}"
        )
    return label


def invalid(error: ValidationError) -> RecordRejected:
    """A payload the event model refused, as a rejection naming the first field at fault."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    return RecordRejected(Reason.INVALID_VALUE, f"{where}: {first['msg']}")
