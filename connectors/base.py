"""What every connector shares: reading records with their line numbers, and the pure mapping step."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from connectors.placing import AreaLookup, Neighbourhood, Neighbourhoods
from connectors.rejections import Reason, RecordRejected
from events import Envelope, Payload

_EVENT_ID_NAMESPACE = uuid.UUID("6f1c3c52-3d0e-4d55-9a55-3b6a7c0e2b10")

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a record may have; every source's records are flat or nearly so,
and deeper ones would exhaust the recursion of whatever walks them next (redaction, the codec)."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class SourceRecord:
    """One record as read: its line in the file, its text, and its fields (None if unreadable)."""

    line: int
    text: str
    fields: Mapping[str, Any] | None
    problem: str = ""


@dataclass(frozen=True)
class Context:
    """What a mapping needs besides the record; fixed for a whole run."""

    neighbourhoods: Neighbourhoods
    recorded_time: datetime
    salt: bytes
    areas: AreaLookup = field(default_factory=AreaLookup.empty)
    """Areas that are not neighbourhoods (LSOAs) to neighbourhoods, for sources that name only those."""
    neighbourhood: str | None = None
    """The neighbourhood (id or name) of every record in the file, for sources whose records name
    none, such as police.uk priorities and events: ``engage ingest --neighbourhood``."""


class Connector(Protocol):
    name: str

    def records(self, path: Path) -> Iterator[SourceRecord]: ...

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        """Map one record's fields to an event, or raise RecordRejected."""
        ...


@runtime_checkable
class MappedConnector(Connector, Protocol):
    """A connector that reads each file with a mapping file found beside it (a council CSV export's or
    a survey's mapping, FixMyStreet's category codes). Dead letters keep the mapping's path, so that a
    replay maps the record again with the mapping as it is then, fixed or not."""

    mapping_file: Path | None
    """The mapping the last file was read with; None before any was."""

    def with_mapping(self, path: Path) -> Connector:
        """A connector of the same source that maps records with the mapping at ``path``."""
        ...


@runtime_checkable
class GuardedConnector(Connector, Protocol):
    """A connector whose records hold personal data that redaction would not find (a survey tool's
    respondent ids). A dead letter keeps what ``letter_fields`` gives in place of the fields as read."""

    def letter_fields(self, record: Mapping[str, Any], context: Context) -> Mapping[str, Any]:
        """The record's fields with such data left out, or replaced by what ``to_event`` can still map
        (its pseudonym)."""
        ...


@runtime_checkable
class MultiEventConnector(Connector, Protocol):
    """A connector whose records may each stand for several facts (a meeting and the actions it
    reported back). Ingest counts the record once, as published or rejected, and its events apart."""

    def to_events(self, record: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
        """Map one record's fields to all of its events (at least one), or raise RecordRejected."""
        ...


def events_of(connector: Connector, record: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
    """A record's events, whether its connector maps a record to one event or to several."""
    if isinstance(connector, MultiEventConnector):
        return connector.to_events(record, context)
    return (connector.to_event(record, context),)


def event_id(source: str, natural_key: str) -> str:
    """The same source record always gets the same id, so a re-sent record is a duplicate."""
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{source}\x1f{natural_key}"))


def new_event(
    source: str,
    natural_key: str,
    event_time: datetime,
    neighbourhood: Neighbourhood,
    payload: Payload,
    context: Context,
) -> Envelope:
    """The envelope every connector builds: its id from the source's own key, its type from the payload."""
    return Envelope(
        event_id=event_id(source, natural_key),
        event_type=payload.event_type,
        event_time=event_time,
        recorded_time=context.recorded_time,
        source=source,
        neighbourhood_id=neighbourhood.id,
        payload=payload,
    )


def unsound(value: object) -> str:
    """Why a record's fields cannot travel at all, or "" when they can.

    Files are read with ``surrogateescape``, so bytes that are not UTF-8 arrive as lone surrogates, as
    do JSON's ``\\ud800`` escapes: neither can be encoded again for the topic. Deep nesting is refused
    before anything recurses into it.
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"the record nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "the record holds text that is not UTF-8 (invalid bytes or a lone surrogate)"
        elif isinstance(item, list | tuple):
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                stack.append((key, depth + 1))
                stack.append((inner, depth + 1))
    return ""


def printable(text: str) -> str:
    """``text`` with each lone surrogate (an undecodable byte) shown as U+FFFD, so it can be encoded."""
    return _SURROGATE.sub("\ufffd", text)


def _parse_json(text: str) -> tuple[Any, str]:
    """A JSON text's value and "", or None and why it cannot be read."""
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return None, f"not JSON this system reads: it nests deeper than {MAX_DEPTH} levels"
    except ValueError as exc:
        # Python refuses integers of more than 4,300 digits rather than spend quadratic time on them.
        return None, f"not JSON this system reads: {exc}"


def content_keys(rows: Iterator[SourceRecord]) -> Iterator[tuple[SourceRecord, str]]:
    """A natural key for records that have no id: their content, and which repeat of it they are.

    Two identical rows in one file are two incidents, so the n-th repeat gets its own key.
    """
    seen: Counter[str] = Counter()
    for row in rows:
        # surrogateescape: a line that is not UTF-8 is hashed as the bytes it was read from.
        digest = hashlib.sha256(row.text.encode("utf-8", "surrogateescape")).hexdigest()
        seen[digest] += 1
        yield row, f"{digest}:{seen[digest]}"


def csv_header(path: Path) -> list[str]:
    """A CSV file's column names. The codec decodes ahead of the first line: ``surrogateescape`` keeps a
    byte that is not UTF-8 further down from failing the whole file (its line is rejected when read)."""
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        return next(csv.reader(handle), [])


def read_csv(path: Path) -> Iterator[SourceRecord]:
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        lines = iter(handle)
        header_line = next(lines, "")
        header = next(csv.reader([header_line]), [])
        line_no = 1
        for raw in lines:
            line_no += 1
            text = raw.rstrip("\r\n")
            # A quoted field may span lines; take lines until the quotes balance.
            while text.count('"') % 2 == 1:
                more = next(lines, None)
                if more is None:
                    break
                text += "\n" + more.rstrip("\r\n")
            if not text.strip():
                continue
            if _SURROGATE.search(text):
                yield SourceRecord(line_no, text, None, "the line is not UTF-8")
                continue
            try:
                values = next(csv.reader([text], strict=True))
            except csv.Error as exc:
                yield SourceRecord(line_no, text, None, f"unreadable CSV: {exc}")
                continue
            if len(values) != len(header):
                yield SourceRecord(
                    line_no, text, None, f"has {len(values)} fields where the header has {len(header)}"
                )
                continue
            yield SourceRecord(line_no, text, dict(zip(header, values, strict=True)))


def read_jsonl(path: Path) -> Iterator[SourceRecord]:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for line_no, raw in enumerate(handle, start=1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            if _SURROGATE.search(text):
                yield SourceRecord(line_no, text, None, "the line is not UTF-8")
                continue
            value, problem = _parse_json(text)
            if problem:
                yield SourceRecord(line_no, text, None, problem)
                continue
            if not isinstance(value, dict):
                yield SourceRecord(line_no, text, None, "a line must hold one JSON object")
                continue
            yield SourceRecord(line_no, text, value)


_JSON_ELEMENT_TEXT_LIMIT = 2000


def read_json_array(path: Path) -> Iterator[SourceRecord]:
    """One record per element of a file holding one JSON array; line is the element's 1-based index.

    Elements are decoded one at a time, so an element that is not an object is rejected alone. A syntax
    error ends the array: the rest of the file becomes one malformed record, since where the next element
    starts cannot be known.
    """
    document = path.read_text(encoding="utf-8-sig", errors="surrogateescape")
    decoder = json.JSONDecoder()
    position = _skip_whitespace(document, 0)
    if position == len(document):
        return
    if document[position] != "[":
        yield SourceRecord(
            1,
            document[position : position + _JSON_ELEMENT_TEXT_LIMIT],
            None,
            "the file must hold a JSON array",
        )
        return
    position = _skip_whitespace(document, position + 1)
    index = 0
    if document.startswith("]", position):
        return
    while True:
        index += 1
        try:
            value, end = decoder.raw_decode(document, position)
        except json.JSONDecodeError as exc:
            rest = document[position : position + _JSON_ELEMENT_TEXT_LIMIT]
            yield SourceRecord(
                index, rest, None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            )
            return
        except (RecursionError, ValueError) as exc:
            # Too deep, or an integer too long: where the element ends cannot be known without reading it.
            rest = document[position : position + _JSON_ELEMENT_TEXT_LIMIT]
            why = f"it nests deeper than {MAX_DEPTH} levels" if isinstance(exc, RecursionError) else exc
            yield SourceRecord(index, rest, None, f"not JSON this system reads: {why}")
            return
        text = document[position:end]
        if _SURROGATE.search(text):
            yield SourceRecord(index, text, None, "the element is not UTF-8")
        elif isinstance(value, dict):
            yield SourceRecord(index, text, value)
        else:
            yield SourceRecord(index, text, None, "an array element must be one JSON object")
        position = _skip_whitespace(document, end)
        if document.startswith("]", position):
            return
        if not document.startswith(",", position):
            line = document.count("\n", 0, position) + 1
            yield SourceRecord(
                index + 1,
                document[position : position + _JSON_ELEMENT_TEXT_LIMIT],
                None,
                f"not JSON: expected ',' or ']' after element {index}, at line {line}",
            )
            return
        position = _skip_whitespace(document, position + 1)


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def required(fields: Mapping[str, Any], name: str) -> Any:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordRejected(Reason.MISSING_FIELD, f"field {name!r} is missing or empty")
    return value


def as_float(fields: Mapping[str, Any], name: str) -> float | None:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return finite(value, name)


def finite(value: Any, name: str) -> float:
    """A number that a point or a score can hold: not NaN, not infinite, not too large for a float."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be a finite number, got {_shown(value)}"
        )
    return number


def _shown(value: object, limit: int = 80) -> str:
    """A value as a reason quotes it: short, since the value may be a megabyte of garbage."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
