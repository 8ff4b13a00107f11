"""How the worker cuts its batches: at their size or after the wait in a steady feed, later while the
partitions hold a backlog; a batch is acknowledged only once the next one is asked for, and its events
are let go of then.

The stream is faust's own, fed through an agent's test context (an in-memory channel, no broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest

from streams.batches import BatchTally, keep_filling, last_offsets, take_batches, unread

WAIT_S = 0.05
BACKLOG_WAIT_S = 2.0


def test_unread_counts_what_each_partition_holds_past_the_last_offset_taken() -> None:
    assert unread({0: 9, 1: 4}, {0: 10, 1: 20}) == 0 + 15
    assert unread({0: 9}, {0: None}) == 0
    assert unread({2: 30}, {2: 10}) == 0, "a highwater behind the offset (stale) is nothing unread"


def test_last_offsets_are_the_largest_per_partition() -> None:
    # The parts of a faust event it reads: the message's partition and offset.
    records = [
        SimpleNamespace(message=SimpleNamespace(partition=p, offset=o))
        for p, o in [(0, 5), (1, 2), (0, 7), (0, 6)]
    ]
    assert last_offsets(cast(Any, records)) == {0: 7, 1: 2}


@pytest.mark.parametrize(
    ("held", "waiting", "waited_s", "expected"),
    [
        (100, 10_000, 0.0, True),  # a backlog: fill on
        (100, 100, 0.0, True),  # as many waiting as held: waiting doubles the batch
        (100, 99, 0.0, False),  # the tail of a backlog: fold it
        (0, 10_000, 0.0, False),  # nothing held: no batch to fill
        (1_000, 10_000, 0.0, False),  # full
        (100, 10_000, 3.0, False),  # waited long enough
    ],
)
def test_a_batch_fills_on_only_in_a_backlog(held: int, waiting: int, waited_s: float, expected: bool) -> None:
    assert keep_filling(held, waiting, 1_000, waited_s, 3.0) is expected


def batches_of(
    arrivals: Sequence[Sequence[int]], gap_s: float, waiting: Callable[[Sequence[Any]], int], size: int = 10
) -> list[list[int]]:
    """The batches ``take_batches`` makes of values put in groups ``gap_s`` apart."""
    app = faust.App("test-batches", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    got: list[list[int]] = []

    @app.agent()
    async def collect(stream: Any) -> None:
        async for batch in take_batches(stream, size, WAIT_S, BACKLOG_WAIT_S, waiting=waiting):
            got.append([event.value for event in batch])

    async def feed() -> None:
        async with collect.test_context() as agent:
            for group in arrivals:
                for value in group:
                    await agent.put(value)
                await asyncio.sleep(gap_s)
            total = sum(len(g) for g in arrivals)
            for _ in range(200):
                if sum(len(b) for b in got) >= total:
                    break
                await asyncio.sleep(WAIT_S)

    asyncio.run(feed())
    return got


def test_in_a_steady_feed_a_batch_is_cut_after_the_wait() -> None:
    got = batches_of([[0, 1, 2], [3, 4, 5, 6]], gap_s=0.3, waiting=lambda held: 0)
    assert got == [[0, 1, 2], [3, 4, 5, 6]]


def test_in_a_backlog_a_batch_fills_on_past_the_wait() -> None:
    got = batches_of([[0, 1, 2], [3, 4, 5, 6]], gap_s=0.3, waiting=lambda held: 1_000)
    assert got == [[0, 1, 2, 3, 4, 5, 6]]


def test_a_batch_never_holds_more_than_its_size() -> None:
    got = batches_of([list(range(25))], gap_s=0.0, waiting=lambda held: 1_000)
    assert got == [list(range(10)), list(range(10, 20)), list(range(20, 25))]


def put_then_wait(agent: Any, values: Iterable[int], done: Callable[[], bool]) -> None:
    """Put ``values`` to the agent's stream, then give it up to 100 waits for ``done()``."""

    async def feed() -> None:
        async with agent.test_context() as running:
            for value in values:
                await running.put(value)
            for _ in range(100):
                if done():
                    break
                await asyncio.sleep(WAIT_S)

    asyncio.run(feed())


def test_a_batch_is_acknowledged_only_when_the_next_is_asked_for() -> None:
    app = faust.App("test-batches-acks", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    seen: list[tuple[list[int], list[bool]]] = []
    first: list[Any] = []

    @app.agent()
    async def collect(stream: Any) -> None:
        async for batch in take_batches(stream, 3, WAIT_S, 0.0, waiting=lambda held: 0):
            if not first:
                first.extend(batch)
            seen.append(([e.value for e in batch], [e.message.acked for e in first]))

    put_then_wait(collect, range(6), lambda: len(seen) >= 2)
    assert seen[0] == ([0, 1, 2], [False, False, False]), "acknowledged while it was being folded"
    assert seen[1] == ([3, 4, 5], [True, True, True]), "not acknowledged once the next batch was asked for"


def test_a_folded_batch_lets_go_of_its_events_when_the_next_is_asked_for() -> None:
    app = faust.App("test-release", broker="kafka://127.0.0.1:1", store="memory://", web_enabled=False)
    yielded: list[list[Any]] = []
    sizes: list[tuple[int, int]] = []

    @app.agent()
    async def collect(stream: Any) -> None:
        async for batch in take_batches(stream, 3, WAIT_S, 0.0, waiting=lambda held: 0):
            # (events in this batch, events the caller's reference to the one before still holds)
            sizes.append((len(batch), len(yielded[-1]) if yielded else -1))
            yielded.append(batch)

    put_then_wait(collect, range(6), lambda: len(sizes) >= 2)
    assert sizes[:2] == [(3, -1), (3, 0)], "a folded batch's events were held beside the next batch"


def test_the_tally_reports_batch_sizes_once_due_and_starts_afresh() -> None:
    tally = BatchTally(every_s=3600.0)
    assert tally.add(5) is None and tally.add(15) is None
    tally.every_s = 0.0
    summary = tally.add(40)
    assert summary is not None
    assert (summary["batches"], summary["events"], summary["mean_events"], summary["largest"]) == (
        3,
        60,
        20.0,
        40,
    )
    again = tally.add(7)
    assert again is not None and (again["batches"], again["events"], again["largest"]) == (1, 7, 7)
