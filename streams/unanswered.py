"""The sends of a batch the broker has not answered yet, bounded in bytes.

A batch hands every message it writes (views, state and activity changelogs, alerts) to the producer,
and is acknowledged only once the broker has answered each of them. Handed over all at once, they sat
in the producer's buffers until the batch's end: the worker's event loop was busy folding, so the
producer's sender had no turn to send them. In a backlog a batch of 20,000 events writes a view and a
state for most of the 4,000 neighbourhoods, tens of MB, which set the worker's peak memory
(docs/performance.md, "eleventh session").

``Unanswered`` keeps the answers in the order the messages were handed over. Once their bytes pass the
limit, ``answered_down_to_limit`` waits for the oldest: that gives the sender its turn, and the batch
goes on folding as soon as what is left fits. Every answer is still awaited before the batch is
acknowledged (``all_answered``), so a failed send stops the batch as before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable
from typing import Any


class Unanswered:
    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        """Bytes of handed-over messages the batch may leave unanswered before it waits; 0 waits for
        every message as soon as it is handed over."""
        self.bytes = 0
        self._pending: deque[tuple[Awaitable[Any], int]] = deque()

    def add(self, answer: Awaitable[Any], size: int) -> None:
        """A message handed over, with its answer and its value's size."""
        self._pending.append((answer, size))
        self.bytes += size

    async def answered_down_to_limit(self) -> None:
        """Wait for the oldest answers until the unanswered bytes are within the limit."""
        await self._answered_down_to(self.limit_bytes)

    async def all_answered(self) -> None:
        """Wait for every answer not yet awaited; a failed send raises here."""
        await self._answered_down_to(-1)

    async def _answered_down_to(self, bytes_left: int) -> None:
        while self._pending and self.bytes > bytes_left:
            answer, size = self._pending.popleft()
            await answer
            self.bytes -= size
