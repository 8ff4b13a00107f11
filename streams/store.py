"""faust's in-memory table store, corrected for a worker that keeps partitions through a rebalance.

After every rebalance faust's recovery reads each assigned changelog partition again, from where its
last recovery stopped to the changelog's end as it stood when the rebalance began, and applies those
records over the table. For a partition the worker kept, every such record is the worker's own
earlier write, and its table already holds something newer: the agent goes on folding while recovery
runs. Measured here with a second worker joining and the first killed (tests/integration/
test_scale_out.py): an activity row went from 361 events back to the 133 of an own write 3.5 s older,
while the committed offset had moved past the events in between, so they were lost for good.

This store applies changelog records only for partitions newly assigned to it (whose state another
worker wrote); a kept partition's table is already at least as new as its changelog, because only
the partition's owner writes to it. Everything else is faust's memory store.
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
        self.kept: frozenset[int] = frozenset()
        """Changelog partitions this worker held before the latest rebalance and holds after it."""

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        changelog = self.table.changelog_topic.get_topic_name()
        self.kept = frozenset(
            tp.partition for tp in assigned if tp.topic == changelog and tp not in newly_assigned
        )

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        fresh = [event for event in batch if event.message.partition not in self.kept]
        super().apply_changelog_batch(fresh, to_key, to_value)


STORES.aliases[SCHEME] = f"{__name__}:Store"
