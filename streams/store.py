"""faust's in-memory table store, corrected for a worker that keeps partitions through a rebalance.

After every rebalance faust's recovery reads each assigned changelog partition again, from where its
last recovery stopped to the changelog's end as it stood when the rebalance began, and applies those
records over the table. For a partition the worker kept, every such record is the worker's own
earlier write, and its table already holds something newer: the agent goes on folding while recovery
runs. Measured here with a second worker joining and the first killed (tests/integration/
test_scale_out.py): an activity row went from 361 events back to the 133 of an own write 3.5 s older,
while the committed offset had moved past the events in between, so they were lost for good.

This store does not apply changelog records to a partition whose recovery it completed and which it
has owned (as an active, not a standby) ever since: that table is already at least as new as its
changelog, because only a partition's owner writes to it. Any other partition (new to the worker, lost
and given back, a standby, or one whose recovery a rebalance cut short) is recovered as faust does
it. Everything else is faust's memory store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from faust.stores import STORES, memory
from faust.types import TP, EventT

SCHEME = "engage-memory"


class Store(memory.Store):  # type: ignore[type-arg]  # generic in faust, with no parameters given
    def __post_init__(self) -> None:
        super().__post_init__()
        self.recovered: frozenset[int] = frozenset()
        """Active changelog partitions whose recovery completed and which the worker has held since."""
        self.kept: frozenset[int] = frozenset()
        """Those of them still active after the latest rebalance: their table is their newest state."""

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        changelog = self.table.changelog_topic.get_topic_name()
        actives = self.app.assignor.assigned_actives()
        active = frozenset(tp.partition for tp in actives if tp.topic == changelog)
        # A partition lost in between may have been written by another worker since, and one whose
        # recovery a new rebalance cut short is incomplete: both are recovered as faust does it.
        self.recovered &= active
        self.kept = self.recovered

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        changelog = self.table.changelog_topic.get_topic_name()
        self.recovered = frozenset(tp.partition for tp in active_tps if tp.topic == changelog)

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        fresh = [event for event in batch if event.message.partition not in self.kept]
        super().apply_changelog_batch(fresh, to_key, to_value)


STORES.aliases[SCHEME] = f"{__name__}:Store"
