"""What a force publishes on police.uk for one neighbourhood: its priorities and its events.

Both read the JSON array the police.uk API returns (``/api/<force>/<neighbourhood>/priorities`` and
``/events``), one record per element. Neither names the neighbourhood it is about, so every record
of a file is placed in the one given by ``engage ingest --neighbourhood ID`` (an id or a name of
the configured boundaries) or, failing that, by the file's name: the part just before
``_priorities`` or ``_events`` (``leicestershire_NC04_priorities.json`` is NC04). Times without an
offset are London time, as police.uk publishes them.

``police-uk-priorities``: each priority is a ``PrioritySet`` (forum ``police_uk``) at its
``issue-date``, its theme classified from the issue's text; one with an ``action`` is also an
``ActionRecorded`` at its ``action-date``, reported back since it is published. HTML is reduced to
text, and the text redacted before publishing like all free text.

``police-uk-events``: each event is a ``MeetingHeld`` at its ``start_date``, its kind read from its
type, title and description, its attendance unknown. Contact details, address and description are
not carried: they name people and places, and the event has no use for them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from connectors import values
from connectors.base import Context, SourceRecord, new_event, read_json_array, required
from connectors.classify import classify
from connectors.meetings import MeetingKind
from connectors.placing import Neighbourhood
from connectors.privacy import redact
from connectors.rejections import Reason, RecordRejected
from events import ActionRecorded, Envelope, MeetingHeld, PrioritySet

PRIORITIES = "police-uk-priorities"
EVENTS = "police-uk-events"
_FILE_NEIGHBOURHOOD = "\x00neighbourhood_in_file_name"

KIND_WORDS: tuple[tuple[MeetingKind, tuple[str, ...]], ...] = (
    # First match wins: a PACT is the forum that sets priorities however it meets, and a "beat
    # surgery" is a surgery.
    ("pact", ("pact", "partners and communities together")),
    ("surgery", ("surgery", "surgeries", "drop in", "drop-in", "cuppa with a copper", "coffee with a cop")),
    ("street", ("street meeting", "street briefing", "street meet", "walkabout", "walk and talk")),
    ("online", ("online", "virtual", "webinar", "zoom", "ms teams", "microsoft teams", "facebook live")),
    ("beat", ("beat", "ward panel", "meeting")),
)
"""police.uk event words (whole words, any case) to the meeting kind; a plain "meeting" is a beat meeting."""

_KIND_PATTERNS = tuple(
    (kind, re.compile(r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) + r")\b", re.I))
    for kind, words in KIND_WORDS
)


class _TextOnly(HTMLParser):
    _BREAKS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6"})
    _SKIPPED = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of an HTML fragment, one space apart; tags and attributes (``mailto:`` links) dropped."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def neighbourhood_in_name(path: Path) -> str | None:
    """The neighbourhood a police.uk file is named after: ``<force>_<ID>_priorities.json`` is ID."""
    tokens = path.name.split(".")[0].split("_")
    for index, token in enumerate(tokens[1:], start=1):
        if token.lower() in ("priorities", "events"):
            return tokens[index - 1] or None
    return None


def _police_uk_records(path: Path, dropped: tuple[str, ...] = ()) -> Iterator[SourceRecord]:
    """The file's elements, each told the neighbourhood the file is named after, less ``dropped``.

    Dropped fields leave the record's text too, so that a dead letter cannot carry them.
    """
    named = neighbourhood_in_name(path)
    for record in read_json_array(path):
        if record.fields is None:
            yield record
            continue
        fields = {key: value for key, value in record.fields.items() if key not in dropped}
        text = record.text if len(fields) == len(record.fields) else json.dumps(fields, ensure_ascii=False)
        if named is not None:
            fields[_FILE_NEIGHBOURHOOD] = named
        yield replace(record, text=text, fields=fields)


def neighbourhood_of(record: Mapping[str, Any], context: Context) -> Neighbourhood:
    """The run's ``--neighbourhood`` when given, else the one the file is named after."""
    if context.neighbourhood:
        given, origin = context.neighbourhood, "given by --neighbourhood"
    elif record.get(_FILE_NEIGHBOURHOOD):
        given, origin = str(record[_FILE_NEIGHBOURHOOD]), "taken from the file name; set --neighbourhood"
    else:
        raise RecordRejected(
            Reason.UNPLACED,
            "police.uk records name no neighbourhood: pass --neighbourhood ID, "
            "or name the file <force>_<ID>_priorities.json (or _events.json)",
        )
    try:
        return context.neighbourhoods.by_id_or_name(given)
    except RecordRejected as error:
        raise RecordRejected(error.reason, f"{error.detail} ({origin})") from None


def _html_field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be text (HTML), got {type(value).__name__}"
        )
    return values.clip(plain_text(value))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class PoliceUkPrioritiesConnector:
    name = PRIORITIES

    def records(self, path: Path) -> Iterator[SourceRecord]:
        return _police_uk_records(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        """The priority alone, for callers that take one event a record; ingest takes ``to_events``."""
        return self.to_events(record, context)[0]

    def to_events(self, record: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
        issue = _html_field(record, "issue")
        if not issue:
            raise RecordRejected(Reason.MISSING_FIELD, "field 'issue' is missing or holds no text")
        issued = values.timestamp(required(record, "issue-date"), "issue-date", values.LONDON)
        neighbourhood = neighbourhood_of(record, context)
        theme = classify(issue)
        # police.uk gives priorities no id: the neighbourhood, the date and the words are the key, so
        # a priority fetched again, with or without its action, is the same event.
        key = f"{neighbourhood.id}\x1f{issued.isoformat()}\x1f{_digest(issue)}"
        reference = f"police.uk/{neighbourhood.id}/{issued.date().isoformat()}/{_digest(issue)[:8]}"
        priority = new_event(
            PRIORITIES,
            key,
            issued,
            neighbourhood,
            PrioritySet(theme=theme, issue=issue, forum="police_uk", priority_ref=reference),
            context,
        )
        action = _html_field(record, "action")
        if not action:
            return (priority,)
        acted = values.timestamp(required(record, "action-date"), "action-date", values.LONDON)
        if acted < issued:
            raise RecordRejected(Reason.INVALID_VALUE, "field 'action-date' is before 'issue-date'")
        return (
            priority,
            new_event(
                PRIORITIES,
                f"{key}\x1faction\x1f{acted.isoformat()}\x1f{_digest(action)}",
                acted,
                neighbourhood,
                ActionRecorded(
                    theme=theme,
                    action=action,
                    # police.uk lists a neighbourhood's current priorities: one still listed with an
                    # action is being worked on, and police.uk does not say when it is done.
                    outcome="in_progress",
                    issue_time=issued,
                    reported_back=True,
                    priority_ref=reference,
                ),
                context,
            ),
        )


def meeting_kind(*texts: str) -> MeetingKind | None:
    """The kind of meeting an event's type, title and description describe; None when none does."""
    joined = " ".join(texts)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(joined):
            return kind
    return None


class PoliceUkEventsConnector:
    name = EVENTS

    def records(self, path: Path) -> Iterator[SourceRecord]:
        # Contact details name officers and give their e-mails and phones: they go before anything else.
        return _police_uk_records(path, dropped=("contact_details",))

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        title = values.text(record, "title")
        event_type = values.text(record, "type")
        if not title and not event_type:
            raise RecordRejected(Reason.MISSING_FIELD, "fields 'title' and 'type' are both missing or empty")
        start = values.timestamp(required(record, "start_date"), "start_date", values.LONDON)
        if values.text(record, "end_date"):
            end = values.timestamp(record["end_date"], "end_date", values.LONDON)
            if end < start:
                raise RecordRejected(Reason.INVALID_VALUE, "field 'end_date' is before 'start_date'")
        if start > context.recorded_time:
            raise RecordRejected(
                Reason.NOT_YET_HELD,
                f"the event starts {start.isoformat()}, after this run: ingest it again once it is held "
                "(it keeps its id)",
            )
        description = _html_field(record, "description")
        kind = meeting_kind(event_type, title, description)
        if kind is None:
            raise RecordRejected(
                Reason.UNMAPPED_CATEGORY,
                f"cannot tell a meeting kind from type {event_type!r} and title {redact(title)[0]!r}; "
                "add its words to connectors.police_uk_api.KIND_WORDS",
            )
        neighbourhood = neighbourhood_of(record, context)
        key = f"{neighbourhood.id}\x1f{start.isoformat()}\x1f{_digest(title.lower())}"
        return new_event(EVENTS, key, start, neighbourhood, MeetingHeld(meeting_kind=kind), context)
