"""The worker's table store: a rebalance does not put a partition's own older changelog writes back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from faust.types import TP

from streams import store as table_store

PARTITIONS = 4


def changelog_record(partition: int, key: str, value: object) -> Any:
    return SimpleNamespace(key=key, value=value, message=SimpleNamespace(partition=partition, value=value))


class Worker:
    """A faust app with one table in our store, driven through the calls faust makes on a rebalance."""

    def __init__(self) -> None:
        self.app = faust.App(
            "unit-table-store",
            broker="kafka://127.0.0.1:1",  # never connected: nothing here starts the app
            store=f"{table_store.SCHEME}://",
            web_enabled=False,
        )
        self.table = self.app.Table("state", default=None, partitions=PARTITIONS)
        self.store = cast(table_store.Store, self.table.data)
        self.changelog = self.table.changelog_topic.get_topic_name()
        self.actives: set[TP] = set()
        self.app.assignor.assigned_actives = lambda: self.actives  # type: ignore[method-assign]

    def tps(self, partitions: Iterable[int]) -> set[TP]:
        return {TP(self.changelog, p) for p in partitions}

    def rebalance(self, partitions: Iterable[int]) -> None:
        self.actives = self.tps(partitions)
        asyncio.run(self.store.on_rebalance(self.actives, set(), set()))

    def recovered(self) -> None:
        asyncio.run(self.store.on_recovery_completed(self.actives, set()))

    def replay(self, *records: Any) -> None:
        self.store.apply_changelog_batch(list(records), to_key=lambda k: k, to_value=lambda v: v)


@pytest.fixture
def worker() -> Worker:
    return Worker()


class TestTableStore:
    def test_the_first_recovery_applies_every_record(self, worker: Worker) -> None:
        worker.rebalance([0, 1])
        worker.replay(changelog_record(0, "a", 1), changelog_record(1, "b", 1))
        assert dict(worker.store.data) == {"a": 1, "b": 1}

    def test_a_partition_held_through_a_rebalance_keeps_its_newer_state(self, worker: Worker) -> None:
        worker.rebalance([0, 1, 2, 3])
        worker.replay(changelog_record(0, "a", 1), changelog_record(2, "c", 1))
        worker.recovered()
        worker.store.data["a"] = 5  # the agent folds on
        worker.rebalance([0, 1])  # another worker joined and took 2 and 3
        worker.replay(changelog_record(0, "a", 3))  # faust reads back the worker's own older write
        assert worker.store.data["a"] == 5

    def test_a_partition_given_back_is_recovered_again(self, worker: Worker) -> None:
        worker.rebalance([0, 1, 2, 3])
        worker.recovered()
        worker.rebalance([0, 1])  # 2 is another worker's for a while, and comes back at once
        worker.rebalance([0, 1, 2, 3])
        worker.replay(changelog_record(2, "c", 7))
        assert worker.store.data["c"] == 7

    def test_a_recovery_cut_short_by_a_rebalance_is_completed(self, worker: Worker) -> None:
        worker.rebalance([0, 1])
        worker.recovered()
        worker.rebalance([0, 1, 2, 3])  # recovery of 2 and 3 starts, and is cut short
        worker.rebalance([0, 1, 2, 3])
        worker.replay(changelog_record(2, "c", 7), changelog_record(0, "a", 1))
        assert worker.store.data["c"] == 7
        assert "a" not in worker.store.data
