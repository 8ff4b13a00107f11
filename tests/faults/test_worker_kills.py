"""kill -9 of the Faust worker at five seeded points of a run; its supervisor starts it again each time."""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import processes
from engage.settings import Settings
from tests.faults.conftest import (
    EVENTS,
    assert_accounted,
    assert_live_equals_rebuild,
    catch_up_limit,
    log_lines,
    make_batch,
    send_file,
    wait_caught_up,
    worker_committed,
)

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

KILLS = 5
SEED = 20261204


@dataclass(frozen=True)
class Kill:
    pid: int
    target: int
    """The seeded point: kill once the worker has committed this many events."""
    committed: int
    backlog: int
    """Published events the killed worker had not committed."""


def faust_worker(settings: Settings, timeout: float = 120) -> int:
    """The pid of the Faust worker the supervisor runs (its only child)."""
    supervisor = processes.pid_of(settings, "worker")
    assert supervisor is not None, "the supervisor is not running"
    children: list[str] = []

    def started() -> bool:
        nonlocal children
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        return bool(children)

    processes.wait_until(started, timeout, "the supervisor starting a worker", interval=0.1)
    return int(children[0])


class TestKillMinusNineOfTheWorker:
    def test_five_kills_at_seeded_points_lose_and_double_nothing(
        self, fault_stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        # The run is fed in KILLS + 1 parts and each kill lands at a seeded point inside the part just
        # sent, so every kill comes mid-run, after the new worker has committed work of its own,
        # however fast the pipeline is.
        parts = [
            events[i * EVENTS // (KILLS + 1) : (i + 1) * EVENTS // (KILLS + 1)] for i in range(KILLS + 1)
        ]
        rng = random.Random(SEED)
        bad_lines = 0
        killed: list[Kill] = []
        sent = 0
        for number, part in enumerate(parts):
            batch = make_batch(part, tmp_path / f"part-{number}.jsonl")
            send_file(fault_stack, neighbourhoods, batch.path, len(part), batch.bad_lines)
            bad_lines += batch.bad_lines
            if number == KILLS:
                break
            target = sent + max(1, round(rng.uniform(0.1, 0.9) * len(part)))
            sent += len(part)
            processes.wait_until(
                lambda target=target: worker_committed(fault_stack) >= target,  # type: ignore[misc]
                catch_up_limit(EVENTS),
                f"the worker committing {target} events",
                interval=0.2,
            )
            # Looked up only now: the worker may have been restarted since (the supervisor restarts
            # one that stops itself, see docs/reliability.md), and the kill is for the one running.
            victim = faust_worker(fault_stack)
            assert all(victim != k.pid for k in killed), "the supervisor did not start a new worker"
            os.kill(victim, signal.SIGKILL)
            committed = worker_committed(fault_stack)
            killed.append(Kill(victim, target, committed, sent - committed))
            log.info("worker_killed", pid=victim, target=target, committed=committed, published=sent)
        caught_up_s = wait_caught_up(fault_stack, EVENTS)

        assert len(killed) == KILLS
        assert all(k.target <= k.committed < EVENTS for k in killed), f"a kill was not mid-run: {killed}"
        exits = log_lines(fault_stack, "worker", "worker_exited_restarting")
        assert [e["code"] for e in exits].count(-signal.SIGKILL) == KILLS
        assert_accounted(fault_stack, events, bad_lines)
        assert_live_equals_rebuild(fault_stack, EVENTS)
        log.info(
            "fault_scenario_done",
            scenario="worker_kills",
            events=EVENTS,
            kills=len(killed),
            committed_at_kills=[k.committed for k in killed],
            backlog_at_kills=[k.backlog for k in killed],
            worker_starts=len(log_lines(fault_stack, "worker", "worker_started")),
            worker_exits=[e["code"] for e in exits],
            caught_up_after_last_kill_s=round(caught_up_s, 1),
            wall_s=round(time.monotonic() - started, 1),
        )
