"""A batch's unanswered sends: waited for oldest first, down to the limit, and every one at the end."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.unanswered import Unanswered


class SendFailed(Exception):
    pass


async def _answer_in_order(futures: list[asyncio.Future[int]], answered: list[int]) -> None:
    """A broker that answers each message in the order it was handed over, one loop turn apart."""
    for n, future in enumerate(futures):
        await asyncio.sleep(0)
        answered.append(n)
        future.set_result(n)


def test_waits_for_the_oldest_until_the_rest_fits() -> None:
    async def scenario() -> tuple[int, list[int], int]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[int]] = [loop.create_future() for _ in range(5)]
        answered: list[int] = []
        unanswered = Unanswered(limit_bytes=10)
        for future in futures:
            unanswered.add(future, 6)
        broker = asyncio.create_task(_answer_in_order(futures, answered))
        await unanswered.answered_down_to_limit()
        left = unanswered.bytes
        awaited = [n for n, f in enumerate(futures) if f.done()]
        await unanswered.all_answered()
        await broker
        return left, awaited, unanswered.bytes

    left, awaited, at_end = asyncio.run(scenario())
    # 30 bytes handed over, limit 10: the four oldest are waited for (30, 24, 18, 12 > 10), the
    # newest is left unanswered until the end.
    assert left == 6
    assert awaited[:4] == [0, 1, 2, 3]
    assert at_end == 0


def test_within_the_limit_nothing_is_waited_for() -> None:
    async def scenario() -> tuple[int, bool]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        unanswered = Unanswered(limit_bytes=100)
        unanswered.add(future, 100)
        # Never answered: waiting for it here would time out.
        await asyncio.wait_for(unanswered.answered_down_to_limit(), timeout=1)
        return unanswered.bytes, future.done()

    assert asyncio.run(scenario()) == (100, False)


def test_a_failed_send_raises_at_the_end_of_the_batch() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ok: asyncio.Future[int] = loop.create_future()
        failed: asyncio.Future[int] = loop.create_future()
        ok.set_result(1)
        failed.set_exception(SendFailed("the broker refused the record"))
        unanswered = Unanswered(limit_bytes=1 << 20)
        unanswered.add(ok, 10)
        unanswered.add(failed, 10)
        await unanswered.answered_down_to_limit()
        await unanswered.all_answered()

    with pytest.raises(SendFailed):
        asyncio.run(scenario())


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=50), max_size=30),
    limit=st.integers(min_value=0, max_value=200),
)
def test_after_waiting_the_unanswered_bytes_fit_and_the_answered_are_the_oldest(
    sizes: list[int], limit: int
) -> None:
    async def scenario() -> tuple[int, list[bool]]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[int]] = [loop.create_future() for _ in sizes]
        unanswered = Unanswered(limit_bytes=limit)
        for future, size in zip(futures, sizes, strict=True):
            unanswered.add(future, size)
        broker = asyncio.create_task(_answer_in_order(futures, []))
        await unanswered.answered_down_to_limit()
        left = unanswered.bytes
        consumed = len(sizes) - len(unanswered._pending)
        await unanswered.all_answered()
        await broker
        return left, [n < consumed for n in range(len(sizes))]

    left, consumed = asyncio.run(scenario())
    assert left <= limit
    assert left == sum(s for s, c in zip(sizes, consumed, strict=True) if not c)
    # Only as many as needed, oldest first: without the newest one waited for, it would not fit.
    waited = sum(consumed)
    assert consumed == [True] * waited + [False] * (len(sizes) - waited)
    if waited:
        assert left + sizes[waited - 1] > limit
