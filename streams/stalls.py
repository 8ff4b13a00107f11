"""Detecting a partition whose committed offset is stuck although there is more to read.

faust-streaming 0.15 can drop a message that it fetched while flow was suspended for a
rebalance or a table recovery: the message is marked read but never reaches the agent, so it
is never acknowledged and the partition's commits stop at it until the worker restarts. Nothing
is lost from the log (the offset is never committed), but the projection stops moving.
The worker re-seeks such a partition to its committed offset; the folds are idempotent by
offset and event id, so the messages read again change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Partition = TypeVar("Partition")


@dataclass
class StallDetector(Generic[Partition]):
    """Pure bookkeeping: call ``observe`` on a timer; it names partitions stuck for ``patience`` calls."""

    patience: int = 2
    _last: dict[Partition, int] = field(default_factory=dict)
    _still: dict[Partition, int] = field(default_factory=dict)

    def observe(
        self, committed: Mapping[Partition, int | None], highwater: Mapping[Partition, int]
    ) -> list[Partition]:
        stuck: list[Partition] = []
        for tp, offset in committed.items():
            end = highwater.get(tp)
            if offset is None or end is None or offset >= end:
                self._still.pop(tp, None)
                self._last.pop(tp, None)
                continue
            if self._last.get(tp) == offset:
                self._still[tp] = self._still.get(tp, 0) + 1
            else:
                self._still[tp] = 0
            self._last[tp] = offset
            if self._still[tp] >= self.patience:
                stuck.append(tp)
                self._still[tp] = 0
        return stuck
