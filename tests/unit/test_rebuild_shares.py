"""How a rebuild deals the log's partitions to its folding processes, and finds an event id that two
of them folded (``projections.rebuild``)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka.errors import KafkaTimeoutError

from engage import event_log
from engage.settings import Settings
from projections.rebuild import fold_elsewhere, id_digests, shared_ids, shares


def test_each_partition_with_events_goes_to_one_process_and_empty_ones_to_none() -> None:
    dealt = shares({0: 100, 1: 50, 2: 0, 3: 70}, 2)
    assert len(dealt) == 2
    assert sorted(p for share in dealt for p in share) == [0, 1, 3]
    assert {p: e for share in dealt for p, e in share.items()} == {0: 100, 1: 50, 3: 70}


def test_the_largest_partitions_are_spread_first() -> None:
    dealt = shares({0: 10, 1: 100, 2: 90, 3: 20}, 2)
    loads = sorted(sum(share.values()) for share in dealt)
    # 100 + 10 and 90 + 20, not 100 + 90 and 10 + 20.
    assert loads == [110, 110]


def test_no_more_processes_than_partitions_with_events() -> None:
    assert shares({0: 5, 1: 0}, 8) == [{0: 5}]
    assert shares({0: 0}, 2) == []


@given(st.dictionaries(st.integers(0, 63), st.integers(0, 10**6), max_size=64), st.integers(1, 16))
def test_a_deal_keeps_every_partition_once_and_no_share_is_empty(
    ends: dict[int, int], processes: int
) -> None:
    dealt = shares(ends, processes)
    assert len(dealt) == min(processes, sum(1 for e in ends.values() if e > 0))
    assert all(dealt)
    merged = {p: e for share in dealt for p, e in share.items()}
    assert merged == {p: e for p, e in ends.items() if e > 0}
    assert sum(len(share) for share in dealt) == len(merged)


def test_an_id_two_processes_folded_is_found() -> None:
    first = id_digests(["a", "b", "c"])
    second = id_digests(["d", "b"])
    assert shared_ids([first, second]) == 1
    assert shared_ids([first, id_digests(["d", "e"])]) == 0
    assert shared_ids([]) == 0


def test_digests_are_the_same_in_every_process() -> None:
    # Compared across processes, so they may not depend on the interpreter's string hashing.
    # BLAKE2b, pinned: Python's own str hash differs from one process to the next.
    assert id_digests(["event-1"]).tolist() == [2107970223676160285]
    assert id_digests(["event-1", "event-2"]).dtype == np.uint64
    assert len(set(id_digests([f"id-{i}" for i in range(10_000)]).tolist())) == 10_000


class Sent:
    """What a folding process puts on its queue."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, object]] = []

    def put(self, message: tuple[str, object]) -> None:
        self.messages.append(message)


def test_a_folding_process_that_cannot_read_the_log_says_why_before_it_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_broker(settings: Settings, client_id: str) -> None:
        raise KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:9")

    monkeypatch.setattr(event_log, "log_reader", no_broker)
    sent = Sent()
    with pytest.raises(KafkaTimeoutError):
        fold_elsewhere(Settings(), {0: 10}, sent, os.getppid())
    assert sent.messages == [
        ("failed", "KafkaTimeoutError: KafkaTimeoutError: Unable to bootstrap from 127.0.0.1:9")
    ]
