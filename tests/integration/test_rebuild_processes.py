"""A rebuild folded by several processes, on a broker of its own: every table equals a fold of the log
in one process, and an event id on two partitions sends the fold back to one process, which keeps the
copy an in-order fold keeps (``projections.rebuild``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka.partitioner.default import murmur2
from structlog.testing import capture_logs

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import kafka_admin, processes
from engage.settings import Settings
from projections import read_models, store
from projections.rebuild import RebuildSummary, rebuild
from tests.integration.conftest import send

pytestmark = pytest.mark.integration

EVENTS = 3_000
SEED = 20261206


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("engage-rebuild"),
        kafka_port=int(os.environ.get("ENGAGE_TEST_REBUILD_KAFKA_PORT", "19392")),
        briefing_schedule=False,
    )
    processes.broker(settings, "start")
    try:
        kafka_admin.ensure_topics(settings)
        yield settings
    finally:
        processes.broker(settings, "stop")


def partition_of(neighbourhood_id: str, partitions: int) -> int:
    """Where the publisher puts a neighbourhood's events (kafka-python's default partitioner)."""
    hashed: int = murmur2(neighbourhood_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions


def rebuilt(settings: Settings, path: Path, **changes: Any) -> tuple[RebuildSummary, dict[str, list[Any]]]:
    """A rebuild into a DuckDB file of its own, in this process; its summary and every table's rows."""
    con = store.connect(path)
    try:
        summary = rebuild(settings.model_copy(update=changes), con, threading.Lock())
        rows = {
            table: con.execute(f"select * from {table} order by all").fetchall()
            for table in read_models.REBUILT
        }
        rows["activity_current"] = con.execute(
            "select * exclude (updated_at) from activity_current order by all"
        ).fetchall()
    finally:
        con.close()
    return summary, rows


def same_counts(summary: RebuildSummary) -> dict[str, object]:
    return {k: v for k, v in summary.as_dict().items() if k not in ("seconds", "events_per_second")}


class TestRebuildInProcesses:
    def test_two_folding_processes_give_the_tables_one_gives(
        self, broker: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        send(broker, generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        with capture_logs() as logs:
            apart, apart_rows = rebuilt(
                broker, tmp_path / "apart.duckdb", rebuild_processes=2, rebuild_parallel_from=0
            )
        together, together_rows = rebuilt(broker, tmp_path / "together.duckdb", rebuild_processes=1)
        assert [e["processes"] for e in logs if e["event"] == "rebuilt"] == [2]
        assert apart.events_read == EVENTS
        assert same_counts(apart) == same_counts(together)
        assert apart.views_written > 0 and all(apart_rows[t] for t in ("priority_history", "tension_history"))
        for table, rows in together_rows.items():
            assert apart_rows[table] == rows, f"{table}: two processes differ from one"

    def test_an_event_id_on_two_partitions_is_folded_once_as_in_one_process(
        self, broker: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        ids = [n.id for n in neighbourhoods.all]
        first = next(iter(generate(ids, 1, seed=SEED + 1)))
        home = partition_of(first.neighbourhood_id, broker.partitions)
        elsewhere = next(n for n in ids if partition_of(n, broker.partitions) != home)
        # The same record placed in a second neighbourhood, on another partition.
        send(broker, [first, first.model_copy(update={"neighbourhood_id": elsewhere})])
        with capture_logs() as logs:
            apart, apart_rows = rebuilt(
                broker, tmp_path / "apart.duckdb", rebuild_processes=2, rebuild_parallel_from=0
            )
        together, together_rows = rebuilt(broker, tmp_path / "together.duckdb", rebuild_processes=1)
        folded_again = [e for e in logs if e["event"] == "rebuild_folding_again_in_one_process"]
        assert [e["ids_on_two_partitions"] for e in folded_again] == [1]
        assert [e["processes"] for e in logs if e["event"] == "rebuilt"] == [1]
        assert apart.distinct_events == apart.events_read - 1
        assert same_counts(apart) == same_counts(together)
        for table, rows in together_rows.items():
            assert apart_rows[table] == rows, f"{table}: differs from the fold in one process"
