"""The read-side service ended inside a sink transaction, three times: rows and positions roll back
together, and the restarted sink writes each row again from the positions that did commit."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
import structlog

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import processes
from engage.settings import Settings
from projections import fault_hook
from tests.faults.conftest import (
    EVENTS,
    assert_accounted,
    assert_live_equals_rebuild,
    catch_up_limit,
    log_lines,
    make_batch,
    send_file,
    wait_caught_up,
)

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

CRASHES = 3
SEED = 20261206


class TestSinkCrashInsideATransaction:
    def test_the_service_ended_mid_transaction_three_times_loses_and_doubles_nothing(
        self,
        fault_stack: Settings,
        neighbourhoods: Neighbourhoods,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        parts = [
            events[i * EVENTS // (CRASHES + 1) : (i + 1) * EVENTS // (CRASHES + 1)]
            for i in range(CRASHES + 1)
        ]
        # Every armed service has at least three transactions to write: each of the three topics it
        # reads gets new records from the part (its events, then the worker's rows and views for them),
        # and records of different topics are never written in the same transaction.
        writes = random.Random(SEED).sample(range(1, 4), CRASHES)
        bad_lines = 0
        armed: list[int] = []
        for number, part in enumerate(parts):
            batch = make_batch(part, tmp_path / f"part-{number}.jsonl")
            bad_lines += batch.bad_lines
            processes.stop(fault_stack, "service")
            if number < CRASHES:
                armed.append(writes[number])
                monkeypatch.setenv(fault_hook.ENV, str(armed[-1]))
            else:
                monkeypatch.delenv(fault_hook.ENV)
            processes.start(fault_stack, "service")
            send_file(fault_stack, neighbourhoods, batch.path, len(part), batch.bad_lines)
            if number < CRASHES:
                processes.wait_until(
                    lambda: processes.pid_of(fault_stack, "service") is None,
                    catch_up_limit(len(part)),
                    "the fault hook ending the service",
                )
        processes.wait_for_service(fault_stack)
        caught_up_s = wait_caught_up(fault_stack, EVENTS)

        faults = log_lines(fault_stack, "service", "test_fault_sink_exit")
        assert [f["writes"] for f in faults] == armed
        starts = log_lines(fault_stack, "service", "sink_started")
        assert len(starts) == CRASHES + 2  # the stack's own start, one per crash, the last
        for fault, restart in zip(faults, starts[2:], strict=True):
            # The positions the crashed transaction was about to commit were not: the next sink
            # started below each of them, and read those rows again.
            resumed = restart["resume_from"][fault["topic"]]
            for partition, offset in fault["next_offsets"].items():
                assert resumed.get(partition, 0) < offset, (fault, restart)
        assert_accounted(fault_stack, events, bad_lines)
        assert_live_equals_rebuild(fault_stack, EVENTS)
        log.info(
            "fault_scenario_done",
            scenario="sink_crash",
            events=EVENTS,
            crashes=[(f["topic"], f["writes"]) for f in faults],
            sink_starts=len(starts),
            caught_up_after_last_crash_s=round(caught_up_s, 1),
            wall_s=round(time.monotonic() - started, 1),
        )
