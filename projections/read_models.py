"""The analysts' read models in DuckDB: ``priority``, ``tension``, ``coverage`` and ``feedback``.

Each has a ``*_current`` table (one neighbourhood's newest view) and a ``*_history`` table whose rows
carry ``valid_from`` and ``valid_to`` in event time, so any question can be asked as of a past time:

    select * from priority_history
    where valid_from <= TIMESTAMP '2024-05-01' and (valid_to > TIMESTAMP '2024-05-01' or valid_to is null)

``recorded_at`` beside them is processing time (when the system first held the events behind a row).
Writes are idempotent and monotone: a view older than the one stored (by ``version``) never replaces
it, so updates read twice, or read after a rebuild was swapped in, change nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from events import Frozen
from projections import positions
from projections.neighbourhood import HistoryErased, NeighbourhoodView

TS = pa.timestamp("us", tz="UTC")
TEXTS = pa.list_(pa.string())

_COLUMNS: dict[str, list[tuple[str, pa.DataType, str]]] = {
    "priority": [
        ("theme", pa.string(), "varchar not null"),
        ("rank", pa.int32(), "integer not null"),
        ("score", pa.float64(), "double not null"),
        ("voices", pa.int64(), "bigint not null"),
        ("neighbourhood_voices", pa.int64(), "bigint not null"),
        ("breadth", pa.float64(), "double not null"),
        ("harm", pa.float64(), "double not null"),
        ("recency", pa.float64(), "double not null"),
        ("channels", TEXTS, "varchar[] not null"),
        ("channel_factor", pa.float64(), "double not null"),
        ("seldom_heard_share", pa.float64(), "double not null"),
        ("uplift", pa.float64(), "double not null"),
        ("recorded_crimes", pa.int64(), "bigint not null"),
        ("voice_share", pa.float64(), "double not null"),
        ("crime_share", pa.float64(), "double"),
        ("concern_crime_gap", pa.float64(), "double"),
        ("agreed", pa.bool_(), "boolean not null"),
        ("in_top_elsewhere", pa.bool_(), "boolean not null"),
    ],
    "tension": [
        ("level", pa.int32(), "integer not null"),
        ("label", pa.string(), "varchar not null"),
        ("modelled_level", pa.int32(), "integer not null"),
        ("score", pa.float64(), "double not null"),
        ("since", TS, "timestamptz"),
        ("evidence_ids", TEXTS, "varchar[] not null"),
        ("overridden", pa.bool_(), "boolean not null"),
        ("confirmed", pa.bool_(), "boolean not null"),
        ("assessed_by", pa.string(), "varchar not null"),
        ("velocity", pa.float64(), "double not null"),
    ],
    "coverage": [
        ("channels_heard", TEXTS, "varchar[] not null"),
        ("channels_missing", TEXTS, "varchar[] not null"),
        ("voices_12m", pa.int64(), "bigint not null"),
        ("groups_heard", TEXTS, "varchar[] not null"),
        ("seldom_heard_gaps", TEXTS, "varchar[] not null"),
        ("meetings_12m", pa.int64(), "bigint not null"),
        ("mean_attendance_12m", pa.float64(), "double"),
        ("attendance_trend", pa.float64(), "double"),
        ("recurring_issues", TEXTS, "varchar[] not null"),
    ],
    "feedback": [
        ("theme", pa.string(), "varchar not null"),
        ("status", pa.string(), "varchar not null"),
        ("priority_set_at", TS, "timestamptz"),
        ("actions", pa.int64(), "bigint not null"),
        ("first_action_at", TS, "timestamptz"),
        ("last_action_at", TS, "timestamptz"),
        ("days_to_action", pa.float64(), "double"),
        ("reported_back", pa.bool_(), "boolean not null"),
        ("reason", pa.string(), "varchar not null"),
    ],
}
_TENSION_PERIOD = [
    ("level", pa.int32(), "integer not null"),
    ("label", pa.string(), "varchar not null"),
    ("modelled_level", pa.int32(), "integer not null"),
    ("cause", pa.string(), "varchar not null"),
    ("score", pa.float64(), "double not null"),
    ("evidence_ids", TEXTS, "varchar[] not null"),
    ("analyst", pa.string(), "varchar not null"),
]
_ALERT = [
    ("raised_at", TS, "timestamptz not null"),
    ("from_level", pa.int32(), "integer not null"),
    ("to_level", pa.int32(), "integer not null"),
    ("label", pa.string(), "varchar not null"),
    ("cause", pa.string(), "varchar not null"),
    ("score", pa.float64(), "double not null"),
    ("evidence_ids", TEXTS, "varchar[] not null"),
    ("version", pa.int64(), "bigint not null"),
]
_ROW_KEYS = {"priority": ("theme",), "feedback": ("theme",), "coverage": (), "tension": ()}
_HISTORIED = ("priority", "coverage", "feedback")
_STAMPS = [("as_of", TS, "timestamptz not null"), ("version", pa.int64(), "bigint not null")]
_RECORDED = [("recorded_at", TS, "timestamptz not null")]
_NID = [("neighbourhood_id", pa.string(), "varchar not null")]
_VALID = [("valid_from", TS, "timestamptz not null"), ("valid_to", TS, "timestamptz")]
_PERIOD = [("period_start", TS, "timestamptz not null")]

READ_MODELS = ("priority", "tension", "coverage", "feedback")
TABLES = (
    *(f"{m}_current" for m in READ_MODELS),
    *(f"{m}_history" for m in READ_MODELS),
    "tension_alerts",
    "projection_versions",
)
"""Every table this module owns."""
REBUILT = tuple(t for t in TABLES if t != "tension_alerts")
"""What ``engage rebuild`` recomputes (with ``activity_current``). Alerts are a record of what was
raised when, not a projection, so a rebuild leaves them as they are."""


def _layout(table: str) -> tuple[list[tuple[str, pa.DataType, str]], tuple[str, ...]]:
    """Columns and primary key of a table."""
    model, _, kind = table.rpartition("_")
    if table == "projection_versions":
        return [*_NID, *_STAMPS, *_RECORDED], ("neighbourhood_id",)
    if table == "tension_alerts":
        return [*_NID, *_ALERT], ("neighbourhood_id", "raised_at", "to_level")
    if table == "tension_history":
        seq = [("seq", pa.int32(), "integer not null")]
        return [*_NID, *_VALID, *seq, *_TENSION_PERIOD, *_RECORDED], ("neighbourhood_id", "seq")
    keys = _ROW_KEYS[model]
    if kind == "current":
        return [*_NID, *_COLUMNS[model], *_STAMPS, *_RECORDED], ("neighbourhood_id", *keys)
    return (
        [*_NID, *_PERIOD, *_VALID, *_COLUMNS[model], *_STAMPS, *_RECORDED],
        ("neighbourhood_id", "period_start", *keys),
    )


_PER_HEAD = (*(f"{m}_current" for m in READ_MODELS), "tension_history", "projection_versions")
"""Tables that hold a neighbourhood's newest view only: its rows are replaced as a whole."""

_UPSERTED = ("tension_alerts",)
"""Tables written with ``insert or replace``, which needs their key as a constraint."""


def ddl(suffix: str = "") -> str:
    """The tables. A key is enforced only where an upsert needs it: ``write_views`` deletes a key's
    rows before it inserts them, in one transaction, so the rows stay unique by their key anyway,
    and DuckDB's index on a key made each commit several times slower (``docs/performance.md``)."""
    statements = []
    for table in TABLES:
        columns, key = _layout(table)
        body = ",\n    ".join(f'"{name}" {sql}' for name, _, sql in columns)
        constraint = f",\n    primary key ({', '.join(key)})" if table in _UPSERTED else ""
        statements.append(
            f"create table if not exists {table}{suffix} (\n    {body}{constraint}\n);\n"
            f"-- key: {', '.join(key)}"
        )
    return "\n".join(statements)


@functools.cache
def _schema(table: str) -> pa.Schema:
    return pa.schema([(name, kind) for name, kind, _ in _layout(table)[0]])


def _arrow(table: str, rows: list[dict[str, object]]) -> pa.Table:
    # Only the schema's columns are taken from each row, so rows may carry more (model fields a
    # table does not store); string enums and tuples go into Arrow as they are.
    return pa.Table.from_pylist(rows, schema=_schema(table))


def _fields(model: Frozen) -> dict[str, object]:
    """A flat model's fields as they are: every read-model row is flat, so this is its row.

    ``model_dump`` would copy and walk every value, which was most of the sink's time.
    """
    return dict(model.__dict__)


def _model_rows(v: NeighbourhoodView, model: str) -> list[dict[str, object]]:
    """The rows of one read model in a view, without the neighbourhood and stamp columns."""
    if model == "priority":
        return [
            {
                **_fields(line.row),
                "voice_share": line.voice_share,
                "crime_share": line.crime_share,
                "concern_crime_gap": line.concern_crime_gap,
                "in_top_elsewhere": line.in_top_elsewhere,
            }
            for line in v.priorities
        ]
    if model == "tension":
        return [_fields(v.tension)]
    if model == "coverage":
        return [_fields(v.coverage)]
    return [_fields(r) for r in v.feedback]


def _stamped(v: NeighbourhoodView, model: str, *, history: bool) -> list[dict[str, object]]:
    stamps: dict[str, object] = {
        "neighbourhood_id": v.neighbourhood_id,
        "as_of": v.as_of,
        "version": v.version,
        "recorded_at": v.recorded_at,
    }
    if history:
        stamps |= {"period_start": v.period_start, "valid_from": v.as_of, "valid_to": None}
    rows = _model_rows(v, model)
    for row in rows:
        row.update(stamps)
    return rows


def _stored_versions(con: duckdb.DuckDBPyConnection, sql: str, ids: Sequence[str]) -> dict[object, int]:
    if not ids:
        return {}
    con.register("wanted_ids", pa.table({"neighbourhood_id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.unregister("wanted_ids")
    return {tuple(r[:-1]) if len(r) > 2 else r[0]: int(r[-1]) for r in rows}


def write_views(
    con: duckdb.DuckDBPyConnection,
    views: Iterable[NeighbourhoodView | HistoryErased],
    topic: str | None = None,
    next_offsets: Mapping[int, int] | None = None,
    suffix: str = "",
) -> int:
    """Write views (and the positions read) in one transaction. Returns the views that changed a table.

    A ``HistoryErased`` drops every row of its neighbourhood, and the views before it in ``views``;
    the views after it (the neighbourhood folded again without its withdrawn records) start afresh,
    whatever versions were stored. The withdrawn ids are struck from its alerts' evidence.
    """
    by_time: dict[tuple[str, datetime], NeighbourhoodView] = {}
    heads: dict[str, NeighbourhoodView] = {}
    alerts: list[dict[str, object]] = []
    erased: dict[str, tuple[str, ...]] = {}
    for v in views:
        if isinstance(v, HistoryErased):
            by_time = {k: held for k, held in by_time.items() if k[0] != v.neighbourhood_id}
            heads.pop(v.neighbourhood_id, None)
            erased[v.neighbourhood_id] = tuple(
                sorted({*erased.get(v.neighbourhood_id, ()), *v.withdrawn_event_ids})
            )
            continue
        held = by_time.get((v.neighbourhood_id, v.period_start))
        if held is None or v.version >= held.version:
            by_time[(v.neighbourhood_id, v.period_start)] = v
        head = heads.get(v.neighbourhood_id)
        if head is None or v.version >= head.version:
            heads[v.neighbourhood_id] = v
        alerts.extend(_fields(a) for a in v.alerts)
    ids = sorted(set(heads) - set(erased))
    stored = _stored_versions(
        con,
        f"select neighbourhood_id, version from projection_versions{suffix} "
        "where neighbourhood_id in (select neighbourhood_id from wanted_ids)",
        ids,
    )
    heads = {n: v for n, v in heads.items() if v.version >= stored.get(n, -1)}
    stored_history = _stored_versions(
        con,
        f"select neighbourhood_id, period_start, version from coverage_history{suffix} "
        "where neighbourhood_id in (select neighbourhood_id from wanted_ids)",
        ids,
    )
    versions = [v for key, v in by_time.items() if v.version >= stored_history.get(key, -1)]
    staged: dict[str, pa.Table] = {}
    for model in _HISTORIED:
        staged[f"{model}_history"] = _arrow(
            f"{model}_history", [r for v in versions for r in _stamped(v, model, history=True)]
        )
    for model in READ_MODELS:
        staged[f"{model}_current"] = _arrow(
            f"{model}_current", [r for v in heads.values() for r in _stamped(v, model, history=False)]
        )
    staged["tension_history"] = _arrow(
        "tension_history",
        [
            {
                **_fields(p),
                "neighbourhood_id": v.neighbourhood_id,
                "seq": seq,
                "valid_to": v.tension_timeline[seq + 1].valid_from
                if seq + 1 < len(v.tension_timeline)
                else None,
                "recorded_at": v.recorded_at,
            }
            for v in heads.values()
            for seq, p in enumerate(v.tension_timeline)
        ],
    )
    staged["projection_versions"] = _arrow(
        "projection_versions",
        [
            {
                "neighbourhood_id": v.neighbourhood_id,
                "as_of": v.as_of,
                "version": v.version,
                "recorded_at": v.recorded_at,
            }
            for v in heads.values()
        ],
    )
    staged["tension_alerts"] = _arrow("tension_alerts", alerts)
    keys = pa.table(
        {
            "neighbourhood_id": pa.array([v.neighbourhood_id for v in versions], pa.string()),
            "period_start": pa.array([v.period_start for v in versions], TS),
        }
    )
    head_ids = pa.table({"neighbourhood_id": pa.array(sorted(heads), pa.string())})
    touched = pa.table(
        {"neighbourhood_id": pa.array(sorted({v.neighbourhood_id for v in versions}), pa.string())}
    )
    struck = pa.table(
        {
            "neighbourhood_id": pa.array(list(erased), pa.string()),
            "withdrawn": pa.array(list(erased.values()), TEXTS),
        }
    )
    con.begin()
    try:
        con.register("staged_erased", struck)
        if erased:
            for table in (*(f"{m}_history" for m in _HISTORIED), *_PER_HEAD):
                con.execute(
                    f"delete from {table}{suffix} "
                    "where neighbourhood_id in (select neighbourhood_id from staged_erased)"
                )
        con.register("staged_keys", keys)
        con.register("staged_heads", head_ids)
        con.register("staged_touched", touched)
        for table, rows in staged.items():
            con.register(f"staged_{table}", rows)
        for model in _HISTORIED:
            history = f"{model}_history{suffix}"
            con.execute(
                f"delete from {history} h using staged_keys k "
                "where h.neighbourhood_id = k.neighbourhood_id and h.period_start = k.period_start"
            )
            con.execute(f"insert into {history} select * from staged_{model}_history")
            # valid_to of every version is the next version's valid_from, in the touched neighbourhoods.
            con.execute(
                f"""
                update {history} h set valid_to = n.next_from
                from (
                    select neighbourhood_id, period_start,
                           lead(valid_from) over (partition by neighbourhood_id order by period_start)
                           as next_from
                    from (select distinct neighbourhood_id, period_start, valid_from from {history}
                          where neighbourhood_id in (select neighbourhood_id from staged_touched))
                ) n
                where h.neighbourhood_id = n.neighbourhood_id and h.period_start = n.period_start
                  and h.valid_to is distinct from n.next_from
                """
            )
        for table in _PER_HEAD:
            con.execute(
                f"delete from {table}{suffix} "
                "where neighbourhood_id in (select neighbourhood_id from staged_heads)"
            )
            con.execute(f"insert into {table}{suffix} select * from staged_{table}")
        con.execute(f"insert or replace into tension_alerts{suffix} select * from staged_tension_alerts")
        if erased:
            con.execute(
                f"update tension_alerts{suffix} a "
                "set evidence_ids = list_filter(a.evidence_ids, lambda x: not list_contains(e.withdrawn, x)) "
                "from staged_erased e where a.neighbourhood_id = e.neighbourhood_id"
            )
        if topic is not None and next_offsets:
            positions.store(con, topic, next_offsets)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        for name in (
            "staged_erased",
            "staged_keys",
            "staged_heads",
            "staged_touched",
            *(f"staged_{t}" for t in staged),
        ):
            con.unregister(name)
    return len(versions)


def swap_in(con: duckdb.DuckDBPyConnection, suffix: str, activity_suffix_table: str | None = None) -> None:
    """Replace every read model by its ``suffix`` twin in one transaction: readers see old or new."""
    con.begin()
    try:
        for table in REBUILT:
            con.execute(f"drop table if exists {table}")
            con.execute(f"alter table {table}{suffix} rename to {table}")
        if activity_suffix_table is not None:
            con.execute("drop table if exists activity_current")
            con.execute(f"alter table {activity_suffix_table} rename to activity_current")
        con.commit()
    except BaseException:
        con.rollback()
        raise
