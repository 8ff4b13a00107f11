"""kill -9 of the worker and of the read-side service mid-run: after restart nothing is lost or doubled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectors.canonical import CanonicalConnector
from connectors.placing import Neighbourhoods
from connectors.synthetic import generate, write_jsonl
from engage import processes
from engage.settings import Settings
from projections.activity import fold
from tests.integration.conftest import counts, publish, query, rebuild, snapshot

pytestmark = pytest.mark.integration

EVENTS = 30_000


def row_counts(settings: Settings) -> dict[tuple[str, str], int]:
    rows = query(settings, "select neighbourhood_id, channel, events from activity_current")
    return {(r["neighbourhood_id"], r["channel"]): int(r["events"]) for r in rows}


def sink_rows_read(settings: Settings) -> int:
    return int(str(processes.service_get(settings, "/status")["updates_read"]))


def kill_mid_run(settings: Settings, timeout: float = 120) -> int:
    """Once the worker has sent its first rows of this run, kill -9 worker and service together.

    Returns how many events the worker still had to commit at that moment (more than 0: mid-run).
    """
    start = sink_rows_read(settings)
    deadline = time.monotonic() + timeout
    while sink_rows_read(settings) == start:
        assert time.monotonic() < deadline, "the worker sent nothing"
        time.sleep(0.02)
    behind = processes.caught_up(settings)[1]["worker"]
    processes.stop(settings, "worker", kill=True)
    processes.stop(settings, "service", kill=True)
    processes.start(settings, "worker")
    processes.start(settings, "service")
    processes.wait_for_service(settings)
    return behind


class TestCrashRecovery:
    def test_kill_minus_nine_of_worker_and_sink_loses_and_doubles_nothing(
        self, stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        processes.wait(stack, timeout=120)
        before = row_counts(stack)
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=20261125))
        halves = (events[: EVENTS // 2], events[EVENTS // 2 :])
        kills = []
        for number, half in enumerate(halves):
            path = tmp_path / f"synthetic-{number}.jsonl"
            write_jsonl(iter(half), path)
            assert publish(stack, CanonicalConnector(), path, neighbourhoods).published == len(half)
            kills.append(kill_mid_run(stack))
        processes.wait(stack, timeout=600)

        expected = {(r.neighbourhood_id, r.channel.value): r.events for r in fold(events).values()}
        after = row_counts(stack)
        changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        assert all(behind > 0 for behind in kills), f"a kill came after the worker had finished: {kills}"
        assert changed == expected

    def test_after_the_crashes_every_projection_equals_a_rebuild_from_the_log(self, stack: Settings) -> None:
        processes.wait(stack, timeout=300)
        live = snapshot(stack)
        summary = rebuild(stack)
        assert int(str(summary["distinct_events"])) >= EVENTS
        assert snapshot(stack) == live
        assert live["priority_current"] and live["tension_current"] and live["coverage_current"]

    def test_the_totals_still_match_after_a_clean_restart(self, stack: Settings) -> None:
        processes.wait(stack, timeout=120)
        before = counts(stack)
        for name in processes.COMPONENTS:
            processes.stop(stack, name)
            processes.start(stack, name)
        processes.wait(stack, timeout=120)
        assert counts(stack) == before
