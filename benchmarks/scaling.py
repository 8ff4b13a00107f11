"""Worker throughput with one worker and with two in the same consumer group, on a real local broker.

    .venv/bin/python -m benchmarks.scaling

What it measures: the worker stage alone (the stage that scales out by partition). It starts a broker
of its own (ports ``SCALING_KAFKA_PORT``, default 39092, and ``SCALING_SERVICE_PORT``, 38765, kept free
for the read side, which is not started: its single writer does not scale with workers and would take
CPU from them), publishes ``SCALING_EVENTS`` events (default 20,000) of the benchmark's synthetic feed
over ``SCALING_NEIGHBOURHOODS`` neighbourhoods (default 200) once, then for each worker count in
``SCALING_WORKERS`` (default ``1,2``) starts that many supervised workers in a fresh consumer group
(so each run folds the same backlog from offset 0, with new tables) and polls the group's lag until it
is 0. Reported per run:

- ``events_per_s``: events / seconds from the first committed progress to a lag of 0 (steady folding);
- ``events_per_s_with_start``: events / seconds from starting the processes (start-up, joining,
  rebalancing and table recovery included);
- ``worker_cpu_seconds``: CPU the workers (and their supervisors) used, from ``/proc``: on a machine
  whose cores other work also wants, two processes get a larger share of them than one, so a speed-up
  there is partly a larger share, and equal CPU seconds for the same events say the work did not grow;
- the 1-, 5- and 15-minute load averages before and after, and the cores.

Ends with one JSON line of every figure. ``SCALING_VAR_DIR`` (default ``var/bench-scaling``) holds the
broker's data, emptied first (only a folder this benchmark made).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog

from benchmarks.pipeline import bulk_publish, encoded
from benchmarks.run import BenchmarkSetupError
from benchmarks.workload import Workload
from engage import kafka_admin, logs, processes
from engage.errors import NotCaughtUp
from engage.settings import REPO_ROOT, Settings
from events import topics

log = structlog.get_logger(__name__)

POLL_S = 0.5
MARKER = ".made-by-benchmarks-scaling"


@dataclass(frozen=True)
class Run:
    workers: int
    events: int
    seconds_to_first_progress: float
    seconds_to_caught_up: float
    events_per_s: float
    events_per_s_with_start: float
    worker_cpu_seconds: float
    """CPU the supervisors and their workers used, start-up included (sampled every ``POLL_S``)."""
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def cpu_seconds(groups: set[int]) -> dict[int, float]:
    """CPU seconds (user + system) so far of every process in the given process groups, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name, in parentheses, may hold spaces: the fields after it are split safely.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while read
        if int(fields[2]) in groups:
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return used


def _load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def measure(base: Settings, workers: int, events: int, timeout: float) -> Run:
    """Fold the whole backlog with ``workers`` workers in a consumer group of their own."""
    settings = base.model_copy(update={"worker_id": f"engage-scaling-{workers}w-{uuid.uuid4().hex[:6]}"})
    load_before = _load()
    started = time.perf_counter()
    names = ["worker"]
    processes.start(settings, "worker")
    names.extend(processes.start_worker(settings, n) for n in range(2, workers + 1))
    # Each supervisor leads its own process group (processes.start), its workers inside it.
    groups = {pid for name in names if (pid := processes.pid_of(settings, name)) is not None}
    cpu: dict[int, float] = {}
    first: float | None = None
    try:
        while True:
            cpu.update(cpu_seconds(groups))
            behind = kafka_admin.lag(settings, settings.worker_id, topics.EVENTS).total
            now = time.perf_counter()
            if first is None and behind < events:
                first = now
            if behind == 0:
                break
            if now - started > timeout:
                raise NotCaughtUp(f"{workers} worker(s) still {behind} events behind after {timeout:.0f}s")
            time.sleep(POLL_S)
    finally:
        for name in names:
            processes.stop(settings, name)
    done = time.perf_counter()
    assert first is not None
    return Run(
        workers=workers,
        events=events,
        seconds_to_first_progress=round(first - started, 2),
        seconds_to_caught_up=round(done - started, 2),
        events_per_s=round(events / max(done - first, POLL_S)),
        events_per_s_with_start=round(events / (done - started)),
        worker_cpu_seconds=round(sum(cpu.values()), 1),
        load_before=load_before,
        load_after=_load(),
    )


def fresh_var_dir(var_dir: Path) -> None:
    """Empty the benchmark's folder; refuse one it did not make, rather than delete someone's data."""
    marker = var_dir / MARKER
    if var_dir.exists() and any(var_dir.iterdir()) and not marker.exists():
        raise BenchmarkSetupError(
            f"{var_dir} is not empty and was not made by this benchmark; give SCALING_VAR_DIR a new folder"
        )
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    marker.touch()


def main(env: Mapping[str, str]) -> list[Run]:
    logs.configure("warning")
    var_dir = Path(env.get("SCALING_VAR_DIR", str(REPO_ROOT / "var" / "bench-scaling")))
    fresh_var_dir(var_dir)
    events = int(env.get("SCALING_EVENTS", "20000"))
    counts = [int(n) for n in env.get("SCALING_WORKERS", "1,2").split(",")]
    settings = Settings(
        var_dir=var_dir,
        kafka_port=int(env.get("SCALING_KAFKA_PORT", "39092")),
        service_port=int(env.get("SCALING_SERVICE_PORT", "38765")),
        briefing_schedule=False,
    )
    processes.broker(settings, "start")
    runs: list[Run] = []
    try:
        kafka_admin.ensure_topics(settings)
        workload = Workload(int(env.get("SCALING_NEIGHBOURHOODS", "200")))
        publish_s = bulk_publish(settings, encoded(workload.events(events)))
        print(f"published {events} events in {publish_s:.1f}s; {os.cpu_count()} cores; load {_load()}")
        for workers in counts:
            run = measure(settings, workers, events, timeout=float(env.get("SCALING_TIMEOUT_S", "900")))
            runs.append(run)
            print(
                f"{run.workers} worker(s): {run.events_per_s} events/s folding "
                f"({run.events_per_s_with_start} events/s with start-up; caught up in "
                f"{run.seconds_to_caught_up}s, {run.worker_cpu_seconds} CPU s); "
                f"load {run.load_before} -> {run.load_after}"
            )
    finally:
        processes.broker(settings, "stop")
    print(json.dumps({"cores": os.cpu_count(), "runs": [asdict(r) for r in runs]}))
    return runs


if __name__ == "__main__":
    main(os.environ)
