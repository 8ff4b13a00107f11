"""The broker frozen mid-run: it keeps every connection open and answers nothing for longer than the
worker waits for its writes. The worker stops itself, its supervisor starts another, and once the
broker answers again the unacknowledged batch is folded again: nothing lost, nothing doubled.

A broker that is down refuses connections, and every client notices (``test_broker_restart.py``).
One that holds the connection and says nothing is noticed only by the worker's own limit
(``worker_delivery_limit_s``): without it the worker would wait on a send for as long as faust's
producer request timeout (20 minutes), with its batch unacknowledged and no stalled partition to show
it. Sends taken and never answered is what a stuck first worker looked like in the benchmark's
warm-up (docs/reliability.md, "the warm-up stall"); SIGSTOP makes that happen on purpose.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import structlog

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import processes
from engage.settings import Settings
from streams.app import CRASH_EXIT_CODE
from tests.faults.conftest import (
    EVENTS,
    assert_accounted,
    assert_live_equals_rebuild,
    log_lines,
    mid_run,
    send_file,
    wait_caught_up,
)

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

SEED = 20261207
SCENARIO_EVENTS = max(EVENTS // 5, 2_000)
"""A fifth of the other scenarios': the fault is one freeze, and batches are small here (below), so
a run this long has many batches still to fold when the broker freezes."""
DELIVERY_LIMIT_S = 5.0
"""The worker's limit in this scenario (120 s by default), so the freeze outlasts it quickly."""
BATCH_SIZE = 200
"""Small batches, so the freeze finds the worker in the middle of a backlog, handing over or waiting
on writes, rather than between its last batch and an empty topic."""
UNANSWERED_BYTES = 0
"""Each neighbourhood's writes answered before the next is folded: a round trip to the broker each, so
the first half of the scenario takes the worker several of its commit intervals (2.8 s), and the
commit seen after a third of it is not already the whole of it. Once the worker had no parsed-state
cache and let go of each folded batch it committed all of the first half within one interval and
the freeze came after the run (twelfth session, with 1,000-event batches and 8 MB unanswered)."""
FROZEN_S = 20.0
"""How long the broker answers nothing: the limit, the worker's exit and a restart fit well inside."""


@pytest.mark.parametrize(
    "fault_stack",
    [
        {
            "worker_delivery_limit_s": DELIVERY_LIMIT_S,
            "worker_batch_size": BATCH_SIZE,
            "worker_unanswered_bytes": UNANSWERED_BYTES,
        }
    ],
    indirect=True,
)
class TestBrokerFrozen:
    def test_a_broker_that_answers_nothing_for_a_while_loses_and_doubles_nothing(
        self, fault_stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], SCENARIO_EVENTS, seed=SEED))
        first, second, committed = mid_run(fault_stack, neighbourhoods, events, tmp_path)
        exits_before = len(log_lines(fault_stack, "worker", "worker_exited_restarting"))
        pid = processes.broker_pid(fault_stack)
        assert pid is not None, "the scenario's broker is not running"
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(FROZEN_S)
            stopped = log_lines(fault_stack, "worker", "worker_exited_restarting")[exits_before:]
        finally:
            os.kill(pid, signal.SIGCONT)
        send_file(fault_stack, neighbourhoods, second.path, len(second.events), second.bad_lines)
        caught_up_s = wait_caught_up(fault_stack, SCENARIO_EVENTS)

        assert 0 < committed < len(first.events), "the freeze did not come mid-run"
        # Stopped by its own limit while the broker said nothing, not after it woke.
        assert any(e["code"] == CRASH_EXIT_CODE for e in stopped), (
            f"the worker did not stop itself while the broker was frozen: {stopped}"
        )
        failures = log_lines(fault_stack, "worker", "batch_failed_stopping")
        assert any("TimeoutError" in str(f.get("exception", "")) for f in failures), failures
        assert_accounted(fault_stack, events, first.bad_lines + second.bad_lines)
        assert_live_equals_rebuild(fault_stack, SCENARIO_EVENTS)
        log.info(
            "fault_scenario_done",
            scenario="broker_frozen",
            events=SCENARIO_EVENTS,
            committed_at_freeze=committed,
            frozen_s=FROZEN_S,
            delivery_limit_s=DELIVERY_LIMIT_S,
            worker_exits_while_frozen=[e["code"] for e in stopped],
            worker_starts=len(log_lines(fault_stack, "worker", "worker_started")),
            caught_up_after_thaw_s=round(caught_up_s, 1),
            wall_s=round(time.monotonic() - started, 1),
        )
