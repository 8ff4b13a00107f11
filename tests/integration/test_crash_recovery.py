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
from tests.integration.conftest import counts
from tests.integration.test_pipeline import publish

pytestmark = pytest.mark.integration

EVENTS = 30_000


def row_counts(settings: Settings) -> dict[tuple[str, str], int]:
    from tests.integration.conftest import query

    rows = query(settings, "select neighbourhood_id, channel, events from activity_current")
    return {(r["neighbourhood_id"], r["channel"]): int(r["events"]) for r in rows}


def wait_for_progress(
    settings: Settings, component: str, fraction: float, total: int, timeout: float = 120
) -> int:
    """Block until `component` ("worker" or "sink") has done `fraction` of `total` but not all of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, behind = processes.caught_up(settings)
        if behind[component] <= total * (1 - fraction):
            return behind[component]
        time.sleep(0.05)
    raise AssertionError(f"{component} made no progress in {timeout}s")


class TestCrashRecovery:
    def test_kill_minus_nine_of_worker_and_sink_loses_and_doubles_nothing(
        self, stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        processes.wait(stack, timeout=120)
        before = row_counts(stack)
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=20261125))
        path = tmp_path / "synthetic.jsonl"
        write_jsonl(iter(events), path)
        summary = publish(stack, CanonicalConnector(), path, neighbourhoods)
        assert summary.published == EVENTS

        kills = []
        for fraction in (0.25, 0.6):
            behind = wait_for_progress(stack, "worker", fraction, EVENTS)
            processes.stop(stack, "worker", kill=True)
            processes.stop(stack, "service", kill=True)
            kills.append(behind)
            processes.start(stack, "worker")
            processes.start(stack, "service")
        processes.wait(stack, timeout=300)

        expected = {(r.neighbourhood_id, r.channel.value): r.events for r in fold(events).values()}
        after = row_counts(stack)
        changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        assert changed == expected
        assert all(b > 0 for b in kills), f"a kill came after the worker had finished: {kills}"

    def test_the_totals_still_match_after_a_clean_restart(self, stack: Settings) -> None:
        processes.wait(stack, timeout=120)
        before = counts(stack)
        for name in processes.COMPONENTS:
            processes.stop(stack, name)
            processes.start(stack, name)
        processes.wait(stack, timeout=120)
        assert counts(stack) == before
