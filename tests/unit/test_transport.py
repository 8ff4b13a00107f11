"""The worker's consumer commits only over acknowledged offsets, and delivers every fetched message."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace

import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams.transport import Consumer, ForgetfulOffsets


def bookkeeping(committed: int | None, acked: list[int]) -> SimpleNamespace:
    return SimpleNamespace(
        _acked=defaultdict(list, {"tp": list(acked)}),
        _acked_index=defaultdict(set, {"tp": set(acked)}),
        _committed_offset=defaultdict(lambda: None, {"tp": committed}),
    )


class TestNewOffset:
    def test_a_run_from_the_committed_offset_is_committed(self) -> None:
        state = bookkeeping(10, [12, 10, 11, 14])
        assert Consumer._new_offset(state, "tp") == 13  # type: ignore[arg-type]
        assert state._acked["tp"] == [14]

    def test_a_single_unacknowledged_offset_at_the_head_holds_the_commit(self) -> None:
        # faust 0.15.3 commits 13 here, over offset 10 that never reached the agent.
        assert Consumer._new_offset(bookkeeping(10, [11, 12]), "tp") is None  # type: ignore[arg-type]

    def test_nothing_acknowledged_commits_nothing(self) -> None:
        assert Consumer._new_offset(bookkeeping(10, []), "tp") is None  # type: ignore[arg-type]


class TestForgetfulOffsets:
    def test_it_never_reports_a_read_offset(self) -> None:
        offsets = ForgetfulOffsets()
        offsets["tp"] = 5
        offsets.update({"tp": 7})
        assert offsets["tp"] is None and offsets.pop("tp", None) is None and not offsets


class TestConfirmedOffsets:
    """Positions the folds may forget: only what the broker accepted, never a failed commit."""

    A, B = TP("engage.events.v1", 0), TP("engage.events.v1", 1)

    def test_a_failed_commit_leaves_the_confirmed_offset(self, monkeypatch: pytest.MonkeyPatch) -> None:
        outcome = {"ok": False}

        async def commit(self: object, offsets: object) -> bool:
            return outcome["ok"]

        monkeypatch.setattr(faust_aiokafka.Consumer, "_commit", commit)
        consumer = object.__new__(Consumer)
        consumer.confirmed = {self.A: 10}
        assert asyncio.run(consumer._commit({self.A: 20})) is False
        assert consumer.confirmed == {self.A: 10}
        outcome["ok"] = True
        assert asyncio.run(consumer._commit({self.A: 20})) is True
        assert consumer.confirmed == {self.A: 20}

    def test_an_assignment_starts_from_what_the_broker_holds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def seek(self: object) -> dict[TP, int | None]:
            return {TestConfirmedOffsets.A: 7, TestConfirmedOffsets.B: None}

        monkeypatch.setattr(faust_aiokafka.Consumer, "seek_to_committed", seek)
        consumer = object.__new__(Consumer)
        consumer.confirmed = {TP("old", 0): 99}
        consumer.expected = {}
        asyncio.run(consumer.seek_to_committed())
        assert consumer.confirmed == {self.A: 7}
        assert consumer.expected == {self.A: 7}


class TestDeliveredInOrder:
    """Nothing is delivered ahead of an offset faust skipped: the rest of the partition waits for it."""

    A = TP("engage.events.v1", 0)

    @pytest.fixture
    def consumer(self) -> Consumer:
        consumer = object.__new__(Consumer)
        consumer.expected, consumer.holding = {self.A: 31}, set()
        return consumer

    def test_each_next_offset_and_redeliveries_pass(self, consumer: Consumer) -> None:
        assert all(consumer._in_order(self.A, offset) for offset in (29, 31, 32, 30, 33))
        assert consumer.expected[self.A] == 34

    def test_offsets_past_a_skipped_one_wait_until_it_comes(self, consumer: Consumer) -> None:
        assert not consumer._in_order(self.A, 32)
        assert not consumer._in_order(self.A, 33)
        assert consumer._in_order(self.A, 31)  # fetched again after faust's seek
        assert consumer._in_order(self.A, 32) and consumer._in_order(self.A, 33)
        assert not consumer.holding

    def test_without_a_committed_offset_every_message_passes(self, consumer: Consumer) -> None:
        other = TP("engage.events.v1", 1)
        assert consumer._in_order(other, 7) and consumer._in_order(other, 10)
