"""Detecting a partition whose commits are stuck while the worker has nothing in flight for it.

A safety net under ``streams/transport.py``: should faust still lose a fetched message before it
reaches the agent, that offset is never acknowledged and the partition's commits stop at it. The
worker then stops itself, its supervisor starts a new one, which reads again from the committed
offset, and the folds apply each position exactly once. Seeking back inside the running worker is
not done: faust's bookkeeping of messages already in flight makes that unsafe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Partition = TypeVar("Partition")

STALL_EXIT_CODE = 75
"""The worker's exit status when it stops itself over a stall (EX_TEMPFAIL): restart it."""


@dataclass
class StallDetector(Generic[Partition]):
    """Pure bookkeeping: call ``observe`` on a timer; it names partitions stuck for ``patience`` calls.

    A partition is stuck when nothing of it is waiting for acknowledgement, check after check,
    while its committed offset stays below the end.
    """

    patience: int = 3
    _still: dict[Partition, int] = field(default_factory=dict)
    _last: dict[Partition, int] = field(default_factory=dict)

    def observe(
        self,
        committed: Mapping[Partition, int | None],
        highwater: Mapping[Partition, int],
        idle: Mapping[Partition, bool],
    ) -> list[Partition]:
        stuck: list[Partition] = []
        for tp, offset in committed.items():
            end = highwater.get(tp)
            if offset is None or end is None or offset >= end or not idle.get(tp, False):
                self._still.pop(tp, None)
                self._last.pop(tp, None)
                continue
            self._still[tp] = self._still.get(tp, 0) + 1 if self._last.get(tp) == offset else 1
            self._last[tp] = offset
            if self._still[tp] >= self.patience:
                stuck.append(tp)
        return stuck
