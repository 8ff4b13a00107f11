"""A rebuild folded in one process and in several, on the same log, run after run.

    .venv/bin/python -m benchmarks.rebuild_processes [EVENTS] [RUNS] [PROCESSES]
                                                     (default 200000, 2, 0: one per core)

Starts a broker of its own (``docker/kafka/kafka.sh``, on ``ENGAGE_KAFKA_PORT`` or 29192, its data in
``var/bench-rebuild``, emptied first), publishes EVENTS events of the benchmark's workload once
(``benchmarks.workload``: seeded, synthetic, 4,000 neighbourhoods), then rebuilds every projection from
that log RUNS times each way, alternating (one process, then PROCESSES), each into a fresh DuckDB file,
with ``projections.rebuild.rebuild``: what ``POST /rebuild`` and ``engage rebuild`` run. Prints each
run's seconds and events/s, and checks that both ways wrote the same rows to every table.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

from benchmarks.pipeline import bulk_publish, encoded
from benchmarks.run import Params
from engage import kafka_admin, processes
from engage.settings import REPO_ROOT, Settings, relax_cycle_collector
from projections import read_models, store
from projections.rebuild import RebuildSummary, rebuild

VAR_DIR = REPO_ROOT / "var" / "bench-rebuild"


def rebuilt(settings: Settings, path: Path, processes_: int) -> RebuildSummary:
    path.unlink(missing_ok=True)
    con = store.connect(path)
    try:
        return rebuild(
            settings.model_copy(update={"rebuild_processes": processes_, "rebuild_parallel_from": 0}),
            con,
            threading.Lock(),
        )
    finally:
        con.close()


def differing_rows(one: Path, other: Path) -> dict[str, int]:
    """Rows of each rebuilt table that one file holds and the other does not, both ways."""
    con = store.connect(one)
    try:
        con.execute(f"attach '{other}' as other (read_only)")
        tables = [*read_models.REBUILT, "activity_current"]
        found = {}
        for table in tables:
            columns = "* exclude (updated_at)" if table == "activity_current" else "*"
            a, b = f"select {columns} from {table}", f"select {columns} from other.{table}"
            row = con.execute(
                f"select count(*) from (({a} except all {b}) union all ({b} except all {a}))"
            ).fetchone()
            found[table] = int(row[0]) if row else 0
        return found
    finally:
        con.close()


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 200_000
    runs = int(argv[1]) if len(argv) > 1 else 2
    many = int(argv[2]) if len(argv) > 2 else 0
    relax_cycle_collector(Settings())
    settings = Settings(
        var_dir=VAR_DIR, kafka_port=int(os.environ.get("ENGAGE_KAFKA_PORT") or 29192), briefing_schedule=False
    )
    processes.broker(settings, "stop")
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    processes.broker(settings, "start")
    try:
        kafka_admin.ensure_topics(settings)
        workload = Params().workload()
        print(f"publishing {events:,} events ...", flush=True)
        bulk_publish(settings, encoded(workload.events(events)))
        ways = {"1 process": 1, f"{many or 'one per core'} processes": many}
        files = {name: VAR_DIR / f"rebuilt-{n}.duckdb" for name, n in ways.items()}
        for run in range(1, runs + 1):
            for name, n in ways.items():
                started = time.perf_counter()
                summary = rebuilt(settings, files[name], n)
                seconds = time.perf_counter() - started
                print(
                    f"run {run}, {name}: {summary.events_read:,} events in {seconds:.1f} s, "
                    f"{summary.events_read / seconds:,.0f} events/s ({summary.views_written:,} views)",
                    flush=True,
                )
        one, other = files.values()
        print(f"rows that differ between the two ways: {differing_rows(one, other)}")
    finally:
        processes.broker(settings, "stop")


if __name__ == "__main__":
    main(sys.argv[1:])
