"""Personal data out before anything is published: redaction of free text, pseudonyms for handles.

Removed from free text: e-mail addresses, handles, full postcodes (the district is kept: "NW1
[postcode]"), UK phone numbers (mobile, landline, +44, spaced or not), vehicle registrations (current
"AB12 CDE", prefix "A123 BCD" and suffix "ABC 123D" formats) and personal names. Names are found by
evidence a reader would use: a title ("Mr", "Cllr", "PC"), a relation ("my neighbour", "her son"),
a greeting ("Thanks"), "from number 12" after it, a given name or a surname from the lists in
``lexicons/`` (hand-kept ones, and large published ones of about 36,000 given names and 89,000
surnames) with a capitalised word beside it, or a name word alone with a possessive or a verb of
saying after it ("Bob's van", "Kerry said"). Names that are also everyday words (May, Will, Grace,
Bell) need a surname or one of those cues. Place names are kept: Camden's wards and landmarks,
London's boroughs, countries, shops named after people (``lexicons/places.txt``), and anything
followed by Street, Road, Square, Station, Hospital and the like, so "Charlotte Street", "Royal Free
Hospital" and "St John's Wood" stay whole. ``docs/privacy.md`` has the recall measured on a labelled
test set, the over-redaction on real tweets, and what is still missed.

Only counts of what was redacted are ever logged, never values.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue, ValidationError

from connectors import names
from connectors.rejections import Reason, RecordRejected
from events import (
    ActionRecorded,
    CrimeRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    PrioritySet,
    RecordWithdrawn,
    SocialSignalObserved,
    TensionAssessed,
)

# Order matters: e-mail before handle (both hold "@"), postcode before phone-like digit runs, and names
# last, once the structured kinds have become placeholders.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # An address starts where a run of its characters does: tried at every position of a long run
    # without "@", the pattern took quadratic time (a 100,000-character word: over a minute).
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("handle", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}\b")),
    (
        "postcode",
        # A full UK postcode; the outward code (district) is kept, the inward code removed. "wc2h 6th"
        # may be a postcode: a road and an ordinal ("M25 4th") lose their ordinal too, which is harmless.
        re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}\b", re.IGNORECASE),
    ),
    (
        "phone",
        # 0 and 9 or 10 digits, or +44 / 0044 (with an optional "(0)") and 9 or 10 digits; digits may be
        # split by spaces, dashes, dots or brackets, as people write them.
        re.compile(r"(?<![\w+])(?:(?:\+|00)44\s?(?:\(0\)\s?)?|\(?0)\d(?:[\s\-.()]{0,2}\d){8,9}(?![\w])"),
    ),
    (
        "vehicle_registration",
        # Current (2001-): AB12 CDE; prefix (1983-2001): A123 BCD; suffix (1963-1983): ABC 123D.
        re.compile(
            r"\b(?:[A-Z]{2}[0-9]{2}\s?[A-Z]{3}|[A-Z][0-9]{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?[0-9]{1,3}[A-Z])\b"
        ),
    ),
)
SHORT_TEXT_LIMIT = 2000
"""The most characters an event's free-text field holds; a placeholder can be longer than what it
replaced, so redacted text is cut back to this between words."""


@dataclass
class Redactions:
    """Counts of what was removed, by kind."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Redactions) -> None:
        self.counts.update(other.counts)


def _redact_names(text: str) -> tuple[str, int]:
    spans = names.find(text)
    for start, end in reversed(spans):
        text = f"{text[:start]}[name]{text[end:]}"
    return text, len(spans)


_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
"""Control and invisible format characters (zero-width spaces, direction overrides): removed before the
patterns look, since one inside a number ("+44 \\x01 20 7946 0958", "07700\\u200b900123") hid it from them."""


def _redact_structured(text: str) -> tuple[str, Redactions]:
    found = Redactions()
    text = _INVISIBLE.sub("", text)
    for kind, pattern in _PATTERNS:
        if kind == "postcode":
            text, n = pattern.subn(lambda m: f"{m.group(1).upper()} [postcode]", text)
        else:
            text, n = pattern.subn(f"[{kind}]", text)
        if n:
            found.counts[kind] += n
    return text, found


def names_in(text: str) -> list[str]:
    """The names ``redact`` takes out of ``text``, to measure the name rules on real text; never log them."""
    structured, _ = _redact_structured(text)
    return [structured[start:end] for start, end in names.find(structured)]


def redact(text: str) -> tuple[str, Redactions]:
    text, found = _redact_structured(text)
    text, n = _redact_names(text)
    if n:
        found.counts["name"] += n
    return text, found


def redact_fields(fields: Mapping[str, Any] | None) -> dict[str, JsonValue] | None:
    """A record's fields with every text redacted, kept in a dead letter for replay.

    Values that are not JSON become their text first. Not counted: the same values are counted once,
    in the redaction of the record's line.
    """
    if fields is None:
        return None
    return {_redact_key(key): _redact_value(value) for key, value in fields.items()}


def _redact_key(key: object) -> str:
    # A key is the sender's text like any value (an e-mail sent as a field name): a real field's name
    # holds no personal data, so redaction leaves it as it is and a replay still finds it. Connectors
    # mark the fields they add with a leading NUL ("\x00natural_key"), which redaction would remove.
    text = str(key)
    marked = text.startswith("\x00")
    redacted = redact(text[1:] if marked else text)[0]
    return f"\x00{redacted}" if marked else redacted


def _redact_value(value: Any) -> JsonValue:
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or infinity (the letter would carry null, which a replay reads as absent): keep
        # the value as its text, which a replay refuses as the ingest did.
        return repr(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {_redact_key(key): _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return redact(str(value))[0]


def cut(text: str, limit: int = SHORT_TEXT_LIMIT) -> str:
    """At most ``limit`` characters of redacted text, cut between words so no half placeholder is left."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # Cut between words, so that no half placeholder is left; a text without spaces is cut hard.
    return cut.rsplit(None, 1)[0] if " " in cut else cut


def pseudonym(value: str, salt: bytes) -> str:
    """A salted, keyed hash: the same handle gives the same pseudonym, and no one can reverse it."""
    digest = hmac.new(salt, value.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"p_{digest[:24]}"


def scrub(envelope: Envelope, salt: bytes) -> tuple[Envelope, Redactions]:
    """The envelope with its free text redacted and any raw handle pseudonymised; RecordRejected when
    what is left is not a valid event."""
    found = Redactions()

    def clean(text: str) -> str:
        cleaned, redactions = redact(text)
        found.add(redactions)
        return cut(cleaned)

    def label(text: str, limit: int) -> str:
        # Labels (a partner, a category, a crime's location) are the sender's text too, and may carry an
        # address or a number; names are left, since labels name places and teams, which the name rules
        # were not measured on. A placeholder may be longer than what it replaced: cut to the limit.
        cleaned, redactions = _redact_structured(text)
        found.add(redactions)
        return cut(cleaned, limit)

    payload = envelope.payload
    update: dict[str, object] = {}
    if isinstance(payload, SocialSignalObserved):
        update["text"] = clean(payload.text)
        update["platform"] = label(payload.platform, 40)
        if payload.author and not payload.author.startswith("p_"):
            update["author"] = pseudonym(payload.author, salt)
            found.counts["handle"] += 1
    elif isinstance(payload, PartnerCallLogged):
        update["description"] = clean(payload.description)
        update["partner"] = label(payload.partner, 80)
        update["service_code"] = label(payload.service_code, 80)
    elif isinstance(payload, CrimeRecorded):
        update["crime_type"] = label(payload.crime_type, 80)
        update["location"] = label(payload.location, 200)
        update["outcome"] = label(payload.outcome, 200)
    elif isinstance(payload, MeetingHeld):
        update["issues_raised"] = tuple(
            issue.model_copy(update={"summary": clean(issue.summary)}) for issue in payload.issues_raised
        )
        update["attendee_groups"] = tuple(
            group.model_copy(update={"group": label(group.group, 80)}) for group in payload.attendee_groups
        )
    elif isinstance(payload, PrioritySet):
        update["issue"] = clean(payload.issue)
    elif isinstance(payload, ActionRecorded):
        update["action"] = clean(payload.action)
        update["reason"] = clean(payload.reason)
    elif isinstance(payload, TensionAssessed):
        update["note"] = clean(payload.note)
    elif isinstance(payload, RecordWithdrawn):
        update["requested_by"] = label(payload.requested_by, 80)
    if not update:
        return envelope, found
    # Validated again, not only copied: a label of nothing but invisible characters is empty once they
    # are removed, which the event refuses, and every consumer would have failed to decode it.
    try:
        cleaned = type(payload).model_validate(payload.model_copy(update=update).model_dump())
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise RecordRejected(Reason.INVALID_VALUE, f"{where}: {first['msg']} once redacted") from None
    return envelope.model_copy(update={"payload": cleaned}), found
