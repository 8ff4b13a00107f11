"""The broker stopped and started again mid-run, its data kept: worker, sink and publisher carry on."""

from __future__ import annotations

import subprocess
import time
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
    log_lines,
    mid_run,
    send_file,
    wait_caught_up,
)

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

SEED = 20261205
OUTAGE_S = 15.0
"""How long the broker stays down: longer than the worker's session timeout (6 s here)."""


def broker_running(settings: Settings) -> bool:
    env = processes._env(settings)  # the same KAFKA_PORT and KAFKA_DATA_DIR that started it
    status = subprocess.run(["bash", str(processes.KAFKA_SCRIPT), "status"], env=env, check=False)
    return status.returncode == 0


class TestBrokerRestart:
    def test_a_broker_stopped_and_started_mid_run_loses_and_doubles_nothing(
        self, fault_stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        first, second, committed = mid_run(fault_stack, neighbourhoods, events, tmp_path)
        processes.broker(fault_stack, "stop")
        assert not broker_running(fault_stack)
        time.sleep(OUTAGE_S)
        processes.broker(fault_stack, "start")
        assert processes.pid_of(fault_stack, "service") is not None, "the service died with the broker"
        send_file(fault_stack, neighbourhoods, second.path, len(second.events), second.bad_lines)
        caught_up_s = wait_caught_up(fault_stack, EVENTS)

        assert 0 < committed < EVENTS
        assert_accounted(fault_stack, events, first.bad_lines + second.bad_lines)
        assert_live_equals_rebuild(fault_stack, EVENTS)
        exits = log_lines(fault_stack, "worker", "worker_exited_restarting")
        log.info(
            "fault_scenario_done",
            scenario="broker_restart",
            events=EVENTS,
            committed_at_stop=committed,
            outage_s=OUTAGE_S,
            worker_starts=len(log_lines(fault_stack, "worker", "worker_started")),
            worker_exits=[e["code"] for e in exits],
            sink_starts=len(log_lines(fault_stack, "service", "sink_started")),
            caught_up_after_restart_s=round(caught_up_s, 1),
            wall_s=round(time.monotonic() - started, 1),
        )
