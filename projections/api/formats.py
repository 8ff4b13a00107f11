"""A view's rows as JSON, CSV or Parquet, with the content type and file name a download needs."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"
PARQUET_TYPE = "application/vnd.apache.parquet"

JSON_COLUMNS = frozenset({"payload"})
"""Columns that hold a JSON document: nested as such in a JSON answer, kept as text elsewhere."""


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _csv_cell(value: Any) -> object:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        # A list stays one cell, and one that any JSON reader can split.
        return json.dumps([_json_value(v) for v in value], ensure_ascii=False)
    return value


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    out = []
    for row in rows:
        item = {}
        for key, value in row.items():
            if key in JSON_COLUMNS and isinstance(value, str):
                item[key] = json.loads(value)
            else:
                item[key] = _json_value(value)
        out.append(item)
    return out


def as_json(table: pa.Table, meta: dict[str, object]) -> bytes:
    rows = json_rows(table)
    body = {**meta, "count": len(rows), "rows": rows}
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def as_csv(table: pa.Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_csv_cell(v) for v in row.values()])
    return out.getvalue().encode("utf-8")


def as_parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def render(table: pa.Table, fmt: Format, meta: dict[str, object]) -> tuple[bytes, str]:
    """The body and its content type."""
    if fmt is Format.CSV:
        return as_csv(table), CSV_TYPE
    if fmt is Format.PARQUET:
        return as_parquet(table), PARQUET_TYPE
    return as_json(table, meta), JSON_TYPE
