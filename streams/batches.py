"""Batches of events from a faust stream that fill up in a backlog and stay short in a steady feed.

faust's ``take_events(max, within)`` folds what arrived within ``within`` seconds of the last batch.
In a backlog that is not what the partitions hold but what faust's consumer thread handed over in
that time, and it hands over in bursts: while the worker folds a batch its loop is busy, so the next
0.25 s brings a few dozen events and a burst comes after. Measured on a 200,000-event backlog over
4,000 neighbourhoods (docs/performance.md, "2026-12-05 (fifth session)"): batches of 862 events on
average, median 36, never the 20,000 allowed; so nearly every event paid for reading, viewing and
writing a whole state. Folding fewer, fuller batches is what ``worker_batch_size`` was for.

``take_batches`` cuts a batch as faust does, at ``size`` events or after ``wait_s``, except while the
partitions still hold at least as many unread events as the batch: then it goes on filling, for at
most ``backlog_wait_s``. So a steady feed is folded every ``wait_s`` as before (views stay fresh), and
a backlog in batches close to ``size``.

The buffering is faust's own mechanism (a processor on the stream, the stream consumed in the
background, acknowledgements held until the batch is folded), written here because faust fixes its
wait when the generator starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from faust.types import ChannelT, EventT


def unread(last_offsets: Mapping[int, int], highwaters: Mapping[int, int | None]) -> int:
    """Events the partitions hold past the last offset taken from each (a highwater is the offset the
    next record will get; None: not known yet, counted as nothing unread)."""
    total = 0
    for partition, last in last_offsets.items():
        highwater = highwaters.get(partition)
        if highwater is not None:
            total += max(0, highwater - last - 1)
    return total


def last_offsets(events: Sequence[EventT[Any]]) -> dict[int, int]:
    """The largest offset per partition among ``events``."""
    last: dict[int, int] = {}
    for event in events:
        message = event.message
        if message.offset > last.get(message.partition, -1):
            last[message.partition] = message.offset
    return last


def keep_filling(held: int, waiting: int, size: int, waited_s: float, backlog_wait_s: float) -> bool:
    """Whether a batch of ``held`` events waits longer for more, ``waited_s`` past its first cut.

    Only in a backlog: while the partitions hold at least as many unread events as the batch (so
    waiting would at least double it), while it is not full, and for at most ``backlog_wait_s``.
    """
    return 0 < held < size and waiting >= held and waited_s < backlog_wait_s


async def take_batches(
    stream: Any,
    size: int,
    wait_s: float,
    backlog_wait_s: float,
    waiting: Callable[[Sequence[EventT[Any]]], int],
) -> AsyncIterator[list[EventT[Any]]]:
    """Batches of the stream's events; each is acknowledged when the caller asks for the next, and
    emptied then: a caller that needs its events later copies them.

    ``waiting(held)`` is the number of unread events behind the batch ``held`` (see ``unread``).
    """
    held: list[EventT[Any]] = []
    full = asyncio.Event()
    emptied = asyncio.Event()
    folding: asyncio.Future[None] | None = None

    async def hold(value: Any) -> Any:
        nonlocal folding
        try:
            # While a batch is folded, the background consumption waits here with its next event.
            if folding is not None:
                try:
                    await folding
                finally:
                    folding = None
            event = stream.current_event
            if event is None:
                raise RuntimeError("faust gave a value with no current event to the batch")
            held.append(event)
            if len(held) >= size:
                full.set()
                emptied.clear()
                # At most ``size`` events a batch: the next waits until this one is folded.
                await stream.wait(emptied)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await stream.crash(exc)
        return value

    restore_acks = stream.enable_acks
    # Acknowledged here once folded, not by the stream as each event passes through.
    stream.enable_acks = False
    stream.add_processor(hold)
    stream._enable_passive(cast(ChannelT[Any], aiter(stream.channel)))
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(full, timeout=wait_s)
            waited_s = 0.0
            while keep_filling(len(held), waiting(held), size, waited_s, backlog_wait_s):
                await stream.wait_for_stopped(full, timeout=wait_s)
                waited_s += wait_s
            if not held:
                continue
            folded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            folding = folded
            batch = list(held)
            try:
                yield batch
                # The caller asked for the next batch, so this one is folded. Not when it stopped
                # or failed inside one: faust acknowledges the batch then too.
                for event in batch:
                    await stream.ack(event)
            finally:
                # Emptied in place, so the caller's reference lets go too: otherwise the batch's events,
                # bytes and all, lived on beside the next batch as it filled (about 20 MB of a backlog's
                # 20,000, docs/performance.md).
                batch.clear()
                held.clear()
                if not folded.done():
                    folded.set_result(None)
                full.clear()
                emptied.set()
    finally:
        stream.enable_acks = restore_acks
        stream._processors.remove(hold)


@dataclass
class BatchTally:
    """How large the worker's batches were since the last report: logged once a minute at most
    (``batches_folded``), so the sizes a backlog or a feed gives can be read from the worker's log."""

    every_s: float = 60.0
    started: float = field(default_factory=time.monotonic)
    batches: int = 0
    events: int = 0
    largest: int = 0

    def add(self, size: int) -> dict[str, float | int] | None:
        """Count a batch; returns the summary to log when one is due (and starts counting afresh)."""
        self.batches += 1
        self.events += size
        self.largest = max(self.largest, size)
        now = time.monotonic()
        if now - self.started < self.every_s:
            return None
        summary: dict[str, float | int] = {
            "batches": self.batches,
            "events": self.events,
            "mean_events": round(self.events / self.batches, 1),
            "largest": self.largest,
            "seconds": round(now - self.started, 1),
        }
        self.started, self.batches, self.events, self.largest = now, 0, 0, 0
        return summary
