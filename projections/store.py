"""The DuckDB read side: projection rows and the log positions they reflect, in one transaction.

Only the read-side service opens the file for writing (DuckDB allows one process per file);
the CLI opens it read-only when that service is down.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.placing import Neighbourhood
from engage.errors import QueryRejected
from projections import positions as sink_positions
from projections import read_models
from projections.activity import ActivityRow

ACTIVITY_DDL = """
create table if not exists {table} (
    neighbourhood_id varchar not null,
    channel varchar not null,
    events bigint not null,
    first_event_time timestamptz,
    last_event_time timestamptz,
    source_partition integer not null,
    applied_offset bigint not null,
    updated_at timestamptz not null,
    primary key (neighbourhood_id, channel)
);
"""

SCHEMA = """
create table if not exists sink_offsets (
    topic varchar not null,
    "partition" integer not null,
    next_offset bigint not null,
    updated_at timestamptz not null,
    primary key (topic, "partition")
);
create table if not exists events (
    event_id varchar primary key,
    neighbourhood_id varchar not null,
    event_type varchar not null,
    channel varchar not null,
    theme varchar,
    event_time timestamptz not null,
    recorded_time timestamptz not null,
    source varchar not null,
    marking varchar not null,
    text varchar not null,
    payload json not null,
    source_partition integer not null,
    source_offset bigint not null
);
create table if not exists withdrawals (
    withdrawn_event_id varchar primary key,
    neighbourhood_id varchar not null,
    reason varchar not null,
    requested_by varchar not null,
    withdrawn_at timestamptz not null,
    tombstone_event_id varchar not null
);
create table if not exists neighbourhoods (
    neighbourhood_id varchar primary key,
    name varchar not null
);
"""

_ACTIVITY_SCHEMA = pa.schema(
    [
        ("neighbourhood_id", pa.string()),
        ("channel", pa.string()),
        ("events", pa.int64()),
        ("first_event_time", pa.timestamp("us", tz="UTC")),
        ("last_event_time", pa.timestamp("us", tz="UTC")),
        ("source_partition", pa.int32()),
        ("applied_offset", pa.int64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)

READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    if not read_only:
        # The sink commits often; DuckDB's default (16 MB of WAL) made it rewrite the tables every
        # few seconds under load. Recovery replays at most this much WAL after a crash.
        con.execute("set checkpoint_threshold = '256MB'")
        con.execute(ACTIVITY_DDL.format(table="activity_current"))
        con.execute(SCHEMA)
        con.execute(read_models.ddl())
    return con


def replace_neighbourhoods(con: duckdb.DuckDBPyConnection, neighbourhoods: Sequence[Neighbourhood]) -> None:
    table = pa.table(
        {"neighbourhood_id": [n.id for n in neighbourhoods], "name": [n.name for n in neighbourhoods]}
    )
    con.begin()
    con.register("incoming_neighbourhoods", table)
    con.execute("delete from neighbourhoods")
    con.execute("insert into neighbourhoods select * from incoming_neighbourhoods")
    con.unregister("incoming_neighbourhoods")
    con.commit()


def positions(con: duckdb.DuckDBPyConnection, topic: str) -> dict[int, int]:
    """The next offset to read, per partition, as committed with the rows."""
    rows = con.execute(
        'select "partition", next_offset from sink_offsets where topic = ?', [topic]
    ).fetchall()
    return {int(p): int(o) for p, o in rows}


def write_activity(
    con: duckdb.DuckDBPyConnection,
    rows: Iterable[ActivityRow],
    topic: str,
    next_offsets: Mapping[int, int],
    now: datetime | None = None,
    table: str = "activity_current",
) -> int:
    """Upsert the newest state of each row and the positions read, atomically. Returns rows written."""
    latest: dict[tuple[str, str], ActivityRow] = {}
    for row in rows:
        latest[(row.neighbourhood_id, row.channel.value)] = row
    stamp = now or datetime.now(UTC)
    batch = pa.Table.from_pylist(
        [
            {
                "neighbourhood_id": r.neighbourhood_id,
                "channel": r.channel.value,
                "events": r.events,
                "first_event_time": r.first_event_time,
                "last_event_time": r.last_event_time,
                "source_partition": r.source_partition,
                "applied_offset": r.applied_offset,
                "updated_at": stamp,
            }
            for r in latest.values()
        ],
        schema=_ACTIVITY_SCHEMA,
    )
    con.begin()
    try:
        con.register("incoming_activity", batch)
        con.execute(f"insert or replace into {table} select * from incoming_activity")
        sink_positions.store(con, topic, next_offsets, stamp)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("incoming_activity")
    return int(batch.num_rows)


_EVENTS_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("neighbourhood_id", pa.string()),
        ("event_type", pa.string()),
        ("channel", pa.string()),
        ("theme", pa.string()),
        ("event_time", pa.timestamp("us", tz="UTC")),
        ("recorded_time", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("marking", pa.string()),
        ("text", pa.string()),
        ("payload", pa.string()),
        ("source_partition", pa.int32()),
        ("source_offset", pa.int64()),
    ]
)


_WITHDRAWALS_SCHEMA = pa.schema(
    [
        ("withdrawn_event_id", pa.string()),
        ("neighbourhood_id", pa.string()),
        ("reason", pa.string()),
        ("requested_by", pa.string()),
        ("withdrawn_at", pa.timestamp("us", tz="UTC")),
        ("tombstone_event_id", pa.string()),
    ]
)


def write_events(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[Mapping[str, object]],
    topic: str,
    next_offsets: Mapping[int, int],
    withdrawals: Sequence[Mapping[str, object]] = (),
) -> int:
    """Keep each event once (the first position that carried its id), with the positions read.

    A withdrawal (``withdrawals``) deletes the record it names from the evidence, and keeps it out
    if it comes again or comes later; the tombstone itself stays, as the record of who asked and why.
    """
    batch = pa.Table.from_pylist(list(rows), schema=_EVENTS_SCHEMA)
    withdrawn = pa.Table.from_pylist(list(withdrawals), schema=_WITHDRAWALS_SCHEMA)
    con.begin()
    try:
        con.register("incoming_events", batch)
        con.register("incoming_withdrawals", withdrawn)
        con.execute("insert or ignore into withdrawals select * from incoming_withdrawals")
        con.execute(
            "delete from events where event_id in (select withdrawn_event_id from incoming_withdrawals)"
        )
        con.execute(
            "insert or ignore into events select * from incoming_events "
            "where event_id not in (select withdrawn_event_id from withdrawals) "
            "qualify row_number() over (partition by event_id order by source_partition, source_offset) = 1"
        )
        sink_positions.store(con, topic, next_offsets)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("incoming_events")
        con.unregister("incoming_withdrawals")
    return int(batch.num_rows)


def one_of(column: str, name: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """``column in ($name_0, $name_1, ...)`` and its parameters: a list of values, not a subquery.

    DuckDB answers a list of values on a key column (``events.event_id``, the primary key) from the
    column's index, and ``in (select unnest($list))`` by reading the whole table: for the 220
    events behind a tension change among 10,000,000, 14 ms against 257 (docs/performance.md). No
    values: a condition no row meets.
    """
    if not values:
        return "false", {}
    params = {f"{name}_{i}": value for i, value in enumerate(values)}
    return f"{column} in ({', '.join('$' + key for key in params)})", params


def check_read_only(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRejected(f"the query does not parse: {exc}") from exc
    if not statements:
        raise QueryRejected("the query is empty; give one SELECT statement")
    for statement in statements:
        if statement.type not in READ_STATEMENTS:
            raise QueryRejected(
                f"only SELECT and EXPLAIN are answered here, not {statement.type.name}; "
                "projections change only through events"
            )


def query_csv(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Run an analyst's read-only SQL; answer plain CSV (quotes only where a value needs them)."""
    check_read_only(sql)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        raise QueryRejected(f"the query failed: {exc}") from exc
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in r] for r in rows)
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return value
