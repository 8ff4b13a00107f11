"""Scale-out on the real broker: a second worker joins the consumer group mid-run and takes half the
partitions, the first is killed with SIGKILL and the second takes the rest; nothing is lost or doubled
and every projection equals a rebuild from the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.canonical import CanonicalConnector
from connectors.placing import Neighbourhoods
from connectors.synthetic import generate, write_jsonl
from engage import kafka_admin, processes
from engage.settings import Settings
from events import topics
from projections.activity import fold
from tests.integration.conftest import publish, query, rebuild, snapshot

pytestmark = pytest.mark.integration

Snapshot = dict[str, list[dict[str, str]]]

EVENTS = 12_000
"""Small enough for today's end-to-end rate on two shared cores, large enough to outlast a rebalance."""
SEED = 20261204


def row_counts(settings: Settings) -> dict[tuple[str, str], int]:
    rows = query(settings, "select neighbourhood_id, channel, events from activity_current")
    return {(r["neighbourhood_id"], r["channel"]): int(r["events"]) for r in rows}


def sink_rows_read(settings: Settings) -> int:
    return int(str(processes.service_get(settings, "/status")["updates_read"]))


def held(settings: Settings) -> list[frozenset[int]]:
    """The events topic's partitions each member of the worker group holds."""
    return kafka_admin.assignments(settings, settings.worker_id, topics.EVENTS)


def differences(live: Snapshot, rebuilt: Snapshot, most: int = 4) -> str:
    """Per table, a few rows only the live projection has and a few only the rebuild has."""
    lines = []
    for table in sorted(live.keys() | rebuilt.keys()):
        mine = {json.dumps(r, sort_keys=True) for r in live.get(table, [])}
        theirs = {json.dumps(r, sort_keys=True) for r in rebuilt.get(table, [])}
        if mine != theirs:
            lines.append(f"{table}: {len(mine - theirs)} rows only live, {len(theirs - mine)} only rebuilt")
            lines.extend(f"  live    {row}" for row in sorted(mine - theirs)[:most])
            lines.extend(f"  rebuilt {row}" for row in sorted(theirs - mine)[:most])
    return "\n".join(lines)


class TestScaleOut:
    def test_a_second_worker_shares_the_partitions_then_takes_over_from_a_killed_first(
        self, stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        processes.wait(stack, timeout=120)
        before = row_counts(stack)
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        paths = []
        for number, half in enumerate((events[: EVENTS // 2], events[EVENTS // 2 :])):
            paths.append(tmp_path / f"synthetic-{number}.jsonl")
            write_jsonl(iter(half), paths[-1])

        start = sink_rows_read(stack)
        assert publish(stack, CanonicalConnector(), paths[0], neighbourhoods).published == EVENTS // 2
        # The first worker is mid-run once the sink has rows of this run from it.
        processes.wait_until(lambda: sink_rows_read(stack) > start, 120, "the first worker's first rows")
        second = processes.start_worker(stack, 2)
        try:
            processes.wait_until(
                lambda: processes.workers_split(stack, 2), 180, "two workers sharing the partitions"
            )
            shared = held(stack)
            # More work arrives while both run, so the kill below finds the first worker busy.
            assert publish(stack, CanonicalConnector(), paths[1], neighbourhoods).published == EVENTS // 2
            behind = processes.caught_up(stack)[1]["worker"]
            processes.stop(stack, "worker", kill=True)
            processes.wait_until(
                lambda: processes.workers_split(stack, 1), 180, "the second worker taking over"
            )
            processes.wait_until(lambda: processes.caught_up(stack)[0], 600, "the second worker catching up")
            survivor = processes.pid_of(stack, second)
        finally:
            processes.stop(stack, second)
            # Leave the stack as `engage up` made it for the tests that follow.
            processes.start(stack, "worker")

        expected = {(r.neighbourhood_id, r.channel.value): r.events for r in fold(events).values()}
        after = row_counts(stack)
        changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        assert len(shared) == 2 and not shared[0] & shared[1], f"not a split: {shared}"
        assert behind > 0, "the first worker had finished before it was killed"
        assert survivor is not None, "the second worker died too"
        assert changed == expected

    # An expected failure until the ninth session: after a rebalance faust could lose the message at a
    # partition's committed offset on its way to the agent, which folded the later ones first, and the
    # lost one was folded late when the partition was read again (a view of record one event short).
    # The worker now checks the order where it folds (streams/fold_order.py; docs/scaling.md).
    def test_after_the_scale_out_every_projection_equals_a_rebuild_from_the_log(
        self, stack: Settings
    ) -> None:
        processes.wait(stack, timeout=300)
        live = snapshot(stack)
        summary = rebuild(stack)
        assert int(str(summary["distinct_events"])) >= EVENTS
        rebuilt = snapshot(stack)
        assert rebuilt == live, differences(live, rebuilt)
        assert live["priority_current"] and live["tension_current"] and live["coverage_current"]
