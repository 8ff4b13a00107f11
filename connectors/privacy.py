"""Personal data out before anything is published: redaction of free text, pseudonyms for handles.

Only counts of what was redacted are ever logged, never values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from events import (
    ActionRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    PrioritySet,
    SocialSignalObserved,
    TensionAssessed,
)

# Order matters: e-mail before handle (both hold "@"), postcode before phone-like digit runs.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("handle", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}\b")),
    (
        "postcode",
        # A full UK postcode; the outward code (district) is kept, the inward code removed.
        re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}\b", re.IGNORECASE),
    ),
    ("phone", re.compile(r"(?<!\w)(?:\+44\s?|\(?0)(?:\d[\s\-)]?){9,10}\d?(?!\w)")),
    ("vehicle_registration", re.compile(r"\b[A-Z]{2}[0-9]{2}\s?[A-Z]{3}\b")),
)


@dataclass
class Redactions:
    """Counts of what was removed, by kind."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Redactions) -> None:
        self.counts.update(other.counts)


def redact(text: str) -> tuple[str, Redactions]:
    found = Redactions()
    for kind, pattern in _PATTERNS:
        if kind == "postcode":
            text, n = pattern.subn(lambda m: f"{m.group(1).upper()} [postcode]", text)
        else:
            text, n = pattern.subn(f"[{kind}]", text)
        if n:
            found.counts[kind] += n
    return text, found


def redact_fields(fields: Mapping[str, Any] | None) -> dict[str, JsonValue] | None:
    """A record's fields with every text redacted, kept in a dead letter for replay.

    Values that are not JSON become their text first. Not counted: the same values are counted once,
    in the redaction of the record's line.
    """
    if fields is None:
        return None
    return {str(key): _redact_value(value) for key, value in fields.items()}


def _redact_value(value: Any) -> JsonValue:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return redact(str(value))[0]


def pseudonym(value: str, salt: bytes) -> str:
    """A salted, keyed hash: the same handle gives the same pseudonym, and no one can reverse it."""
    digest = hmac.new(salt, value.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"p_{digest[:24]}"


def scrub(envelope: Envelope, salt: bytes) -> tuple[Envelope, Redactions]:
    """The envelope with its free text redacted and any raw handle pseudonymised."""
    found = Redactions()

    def clean(text: str) -> str:
        cleaned, redactions = redact(text)
        found.add(redactions)
        return cleaned

    payload = envelope.payload
    update: dict[str, object] = {}
    if isinstance(payload, SocialSignalObserved):
        update["text"] = clean(payload.text)
        if payload.author and not payload.author.startswith("p_"):
            update["author"] = pseudonym(payload.author, salt)
            found.counts["handle"] += 1
    elif isinstance(payload, PartnerCallLogged):
        update["description"] = clean(payload.description)
    elif isinstance(payload, MeetingHeld):
        update["issues_raised"] = tuple(
            issue.model_copy(update={"summary": clean(issue.summary)}) for issue in payload.issues_raised
        )
    elif isinstance(payload, PrioritySet):
        update["issue"] = clean(payload.issue)
    elif isinstance(payload, ActionRecorded):
        update["action"] = clean(payload.action)
        update["reason"] = clean(payload.reason)
    elif isinstance(payload, TensionAssessed):
        update["note"] = clean(payload.note)
    if not update:
        return envelope, found
    return envelope.model_copy(update={"payload": payload.model_copy(update=update)}), found
