"""The sink's log positions as an Arrow table: stored in ``sink_offsets`` with the rows they produced."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from projections import fault_hook


def table(topic: str, next_offsets: Mapping[int, int], stamp: datetime | None = None) -> pa.Table:
    when = stamp or datetime.now(UTC)
    return pa.table(
        {
            "topic": [topic] * len(next_offsets),
            "partition": pa.array(list(next_offsets), pa.int32()),
            "next_offset": pa.array(list(next_offsets.values()), pa.int64()),
            "updated_at": pa.array([when] * len(next_offsets), pa.timestamp("us", tz="UTC")),
        }
    )


def store(
    con: duckdb.DuckDBPyConnection, topic: str, next_offsets: Mapping[int, int], stamp: datetime | None = None
) -> None:
    """Upsert the next offset per partition; call inside the transaction that writes the rows."""
    if not next_offsets:
        return
    con.register("incoming_offsets", table(topic, next_offsets, stamp))
    try:
        con.execute("insert or replace into sink_offsets select * from incoming_offsets")
    finally:
        con.unregister("incoming_offsets")
    fault_hook.inside_sink_transaction(topic, next_offsets)
