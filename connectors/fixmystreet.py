"""FixMyStreet report counts: how many problems residents reported, by category, per area and month.

Reads mySociety's FixMyStreet geographic count data (``fms_geographic_data``): CSV rows of
``lsoa, SHEF_A_CODE, reports, unique_users, average_per_user``, one per area, category and period.
The month is the row's ``month`` column (``YYYY-MM``, as in the London slice in
``data/partners/fixmystreet``) or else the file's name (``2019-1.csv``, as mySociety publishes the
monthly files). Categories are the University of Sheffield's reconciled codes (``SHEF_A`` or
``SHEF_B``), named by the codes file that must sit beside the data, ``CODES_SHEF_A.csv`` or
``CODES_SHEF_B.csv``; a code it does not name is rejected as ``unmapped_category``.

Each row becomes one ``PartnerCallLogged`` with ``count`` = the reports: partner ``fixmystreet``,
service code the category's name, theme from ``connectors.theme_maps.FIXMYSTREET_CATEGORY_THEMES``
(the rest ``other``), at the first instant of the month (UTC). Its id is the scheme, area, month and
code, so a file sent again adds nothing (and a later, corrected count for the same cell is taken as
a repeat: send corrections as new events through ``canonical``).

Placing: an LSOA is placed through the area look-up (``ENGAGE_AREA_LOOKUP_PATH``); one it does not
hold is rejected as ``unplaced``. A local-authority row (mySociety's ``LAD`` files, column ``lad``)
counts reports for a whole borough, which no neighbourhood is: it is rejected as
``area_too_coarse``.

A row with zero reports is no report at all, so it is not read as a record: it is neither published
nor rejected, and the number skipped is logged (``zero_count_rows_skipped``). mySociety's files hold
no such rows; this keeps a densified export (every area times every category) from flooding the
dead letters with absences.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from connectors import values
from connectors.base import Context, SourceRecord, csv_header, new_event, read_csv, required
from connectors.rejections import Reason, RecordRejected
from connectors.theme_maps import FIXMYSTREET_CATEGORY_THEMES, theme_of
from engage.errors import ConfigurationError
from events import Envelope, PartnerCallLogged

log = structlog.get_logger(__name__)

SOURCE = "fixmystreet"
PARTNER = "fixmystreet"
SCHEMES = ("SHEF_A", "SHEF_B")
_CODE_COLUMNS = " or ".join(f"{scheme}_CODE" for scheme in SCHEMES)
_FILE_MONTH = "\x00file_month"
"""The month the file's name gives, added to each row that has no ``month`` of its own."""
_MONTH_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})(?!\d)")
_LABEL_LIMIT = 80


def codes_path(data_path: Path, scheme: str) -> Path:
    return data_path.with_name(f"CODES_{scheme}.csv")


def load_codes(path: Path) -> dict[str, str]:
    """A codes file (``name,code``) as code -> category name."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read FixMyStreet's category codes {path}: {exc}; put {path.name} (mySociety's "
            "fms_meta_categories; data/partners/fixmystreet has a copy) beside the data file"
        ) from exc
    codes = {
        (row.get("code") or "").strip(): (row.get("name") or "").strip()
        for row in rows
        if (row.get("code") or "").strip() and (row.get("name") or "").strip()
    }
    if not codes:
        raise ConfigurationError(f"{path} names no category: it must have the columns name,code")
    return codes


def scheme_of(columns: Iterable[str]) -> str | None:
    """Which category scheme a header or a record uses (``SHEF_A``, ``SHEF_B``), or None."""
    present = set(columns)
    for scheme in SCHEMES:
        if f"{scheme}_CODE" in present:
            return scheme
    return None


def _month_in_name(path: Path) -> str:
    match = _MONTH_IN_NAME.search(path.stem)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return ""
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _is_zero(value: Any) -> bool:
    try:
        return int(str(value).strip()) == 0
    except ValueError:
        return False


def _count(record: Mapping[str, Any]) -> int:
    value = str(required(record, "reports")).strip()
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= values.MAX_COUNT:
        raise RecordRejected(
            Reason.INVALID_VALUE,
            f"field 'reports' must be a whole number from 1 to {values.MAX_COUNT}; got {value[:80]!r}",
        )
    return count


def _month(record: Mapping[str, Any]) -> tuple[str, datetime]:
    month = str(record.get("month") or record.get(_FILE_MONTH) or "").strip()
    if not month:
        raise RecordRejected(
            Reason.MISSING_FIELD,
            "the row has no 'month' and the file's name gives none (name monthly files like 2019-1.csv)",
        )
    try:
        moment = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise RecordRejected(Reason.INVALID_VALUE, f"month must be YYYY-MM, got {month!r}") from None
    return f"{moment:%Y-%m}", moment


class FixMyStreetConnector:
    name = SOURCE

    def __init__(self, codes: Mapping[str, str] | None = None) -> None:
        """Without codes, the codes file beside each data file is read when the file is."""
        self._given = codes
        self._codes = codes
        self.mapping_file: Path | None = None

    def with_mapping(self, path: Path) -> FixMyStreetConnector:
        connector = FixMyStreetConnector(load_codes(path))
        connector.mapping_file = path
        return connector

    def records(self, path: Path) -> Iterator[SourceRecord]:
        scheme = scheme_of(csv_header(path))
        if scheme is None:
            raise ConfigurationError(
                f"{path.name} has no {_CODE_COLUMNS} column: "
                "it is not a FixMyStreet count file of a category scheme this connector reads"
            )
        if self._given is None:
            self.mapping_file = codes_path(path, scheme)
            self._codes = load_codes(self.mapping_file)
        return self._rows(path)

    def _rows(self, path: Path) -> Iterator[SourceRecord]:
        file_month = _month_in_name(path)
        skipped = 0
        for record in read_csv(path):
            if record.fields is not None and _is_zero(record.fields.get("reports")):
                skipped += 1
                continue
            if record.fields is not None and file_month and not record.fields.get("month"):
                record = SourceRecord(record.line, record.text, {**record.fields, _FILE_MONTH: file_month})
            yield record
        if skipped:
            log.info("zero_count_rows_skipped", source=SOURCE, file=path.name, rows=skipped)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        codes = self._codes
        if codes is None:
            raise ConfigurationError(
                "the FixMyStreet connector has no category codes; read the file with records()"
            )
        lad = str(record.get("lad") or "").strip()
        lsoa = str(record.get("lsoa") or "").strip()
        if lad and not lsoa:
            raise RecordRejected(
                Reason.AREA_TOO_COARSE,
                f"the row counts reports for the whole local authority {lad!r}, larger than any "
                "neighbourhood; ingest the LSOA files instead",
            )
        scheme = scheme_of(record)
        if scheme is None:
            raise RecordRejected(Reason.MISSING_FIELD, f"the row has no {_CODE_COLUMNS} column")
        code = str(required(record, f"{scheme}_CODE")).strip()
        category = codes.get(code)
        if category is None:
            raise RecordRejected(
                Reason.UNMAPPED_CATEGORY, f"category code {code!r} is not in CODES_{scheme}.csv"
            )
        count = _count(record)
        if not lsoa:
            raise RecordRejected(Reason.MISSING_FIELD, "field 'lsoa' is missing or empty")
        month, event_time = _month(record)
        neighbourhood = context.areas.place(lsoa)
        return new_event(
            SOURCE,
            f"{scheme}|{lsoa}|{month}|{code}",
            event_time,
            neighbourhood,
            PartnerCallLogged(
                partner=PARTNER,
                service_code=category[:_LABEL_LIMIT],
                theme=theme_of(FIXMYSTREET_CATEGORY_THEMES, category),
                count=count,
            ),
            context,
        )
