"""The pack's tables for systems: each as CSV, JSON and Parquet, with the same columns.

Columns follow the row model's fields in order. Times are UTC ISO 8601 (``...Z``) in CSV and JSON,
``timestamp[us, UTC]`` in Parquet; lists are ``;``-joined in CSV and lists elsewhere. Parquet's
schema comes from the model, so an empty table still has its columns.
"""

from __future__ import annotations

import csv
import io
import json
import types
import typing
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import AwareDatetime, BaseModel

from projections.briefing.model import (
    CoverageRow,
    EmergingIssue,
    EvidenceRow,
    FeedbackRow,
    Pack,
    PriorityRow,
    Tasking,
    TensionChange,
    TensionRow,
    iso,
)

FORMATS = ("csv", "json", "parquet")


def tables(pack: Pack) -> dict[str, tuple[type[BaseModel], Sequence[BaseModel]]]:
    return {
        "priorities": (PriorityRow, pack.priorities),
        "tension": (TensionRow, pack.tension),
        "tension_changes": (TensionChange, pack.tension_changes),
        "emerging": (EmergingIssue, pack.emerging),
        "taskings": (Tasking, pack.taskings),
        "feedback": (FeedbackRow, pack.feedback),
        "coverage": (CoverageRow, pack.coverage),
        "evidence": (EvidenceRow, pack.evidence),
    }


def _arrow_type(annotation: Any) -> pa.DataType:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _arrow_type(inner)
    if origin is typing.Literal:
        return pa.string()
    if origin is tuple:
        return pa.list_(_arrow_type(typing.get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return pa.string()
    if annotation is AwareDatetime:
        return pa.timestamp("us", tz="UTC")
    simple: dict[Any, pa.DataType] = {
        str: pa.string(),
        int: pa.int64(),
        float: pa.float64(),
        bool: pa.bool_(),
        datetime: pa.timestamp("us", tz="UTC"),
    }
    if annotation in simple:
        return simple[annotation]
    raise TypeError(f"no Parquet type for {annotation!r}; add one to projections/briefing/exports.py")


def schema(model: type[BaseModel]) -> pa.Schema:
    return pa.schema([(name, _arrow_type(field.annotation)) for name, field in model.model_fields.items()])


def _plain(value: object) -> object:
    """A value for JSON: times as ISO strings, enums as their value, tuples as lists."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _cell(plain: object) -> str:
    """A value made ``_plain`` as CSV text: lists joined with ``;``."""
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, list):
        return ";".join(str(v) for v in plain)
    return str(plain)


def _records(rows: Sequence[BaseModel]) -> list[dict[str, object]]:
    return [{name: getattr(row, name) for name in type(row).model_fields} for row in rows]


def _json_array(plain: list[dict[str, object]]) -> str:
    """The records as a JSON array, one record to a line. Why not ``indent``: Python's JSON encoder
    is written in C only for unindented output, and indenting a large pack's tables cost a second."""
    lines = ",\n".join(json.dumps(record, ensure_ascii=False) for record in plain)
    return f"[\n{lines}\n]\n" if plain else "[]\n"


def write(pack: Pack, out_dir: Path) -> list[Path]:
    """Write every table in every format; returns the paths written."""
    written: list[Path] = []
    for name, (model, rows) in tables(pack).items():
        columns = list(model.model_fields)
        records = _records(rows)
        plain = [{k: _plain(v) for k, v in r.items()} for r in records]
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(p[c]) for c in columns] for p in plain)
        path = out_dir / f"{name}.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        written.append(path)
        path = out_dir / f"{name}.json"
        path.write_text(_json_array(plain), encoding="utf-8")
        written.append(path)
        arrow_schema = schema(model)
        table = pa.Table.from_pylist(
            [{k: (v.value if isinstance(v, Enum) else v) for k, v in r.items()} for r in records],
            schema=arrow_schema,
        )
        path = out_dir / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written
