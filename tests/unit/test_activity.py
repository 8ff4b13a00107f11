"""The activity fold: pure, and exactly-once over an at-least-once delivery with gaps."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.synthetic import generate
from events import Envelope
from projections.activity import ActivityRow, TrackedRow, apply_at, fold, row_key, weight

NEIGHBOURHOODS = ["N1", "N2", "N3"]


class FaustLikeDelivery:
    """One partition read the way the worker reads it: in order, acknowledged, committed up to the
    first unacknowledged offset; a message may be skipped (read, never delivered) and the worker may
    crash or re-seek, both of which resume from the committed offset."""

    def __init__(self, events: list[Envelope]) -> None:
        self.log = events
        self.rows: dict[str, TrackedRow] = {}
        self.acked: set[int] = set()
        self.committed = 0
        self.position = 0

    def commit(self) -> None:
        while self.committed in self.acked:
            self.committed += 1

    def step(self, action: str) -> None:
        if action in ("crash", "reseek"):
            self.position = self.committed
            return
        if action == "stale":
            # faust delivers again a message below the commit (fetched twice around a seek).
            if self.committed:
                offset = self.committed - 1
                event = self.log[offset]
                key = row_key(event.neighbourhood_id, event.channel)
                folded = apply_at(self.rows.get(key), event, 0, offset, self.committed)
                if folded is not None:
                    self.rows[key] = folded
            return
        if self.position >= len(self.log):
            return
        offset, event = self.position, self.log[self.position]
        self.position += 1
        if action == "skip":
            return
        key = row_key(event.neighbourhood_id, event.channel)
        folded = apply_at(self.rows.get(key), event, 0, offset, self.committed)
        if folded is not None:
            self.rows[key] = folded
        self.acked.add(offset)
        if action == "process_and_commit":
            self.commit()

    def finish(self) -> dict[str, ActivityRow]:
        self.commit()
        self.position = self.committed
        while self.position < len(self.log):
            self.step("process_and_commit")
        return {k: t.row for k, t in self.rows.items()}


def counts(rows: dict[str, ActivityRow]) -> dict[str, int]:
    return {k: r.events for k, r in rows.items()}


def comparable(rows: dict[str, ActivityRow]) -> dict[str, dict[str, object]]:
    return {k: r.model_dump(exclude={"source_partition", "applied_offset"}) for k, r in rows.items()}


class TestFold:
    def test_counts_equal_the_weights_of_the_events(self) -> None:
        events = list(generate(NEIGHBOURHOODS, 500, seed=1))
        expected: Counter[str] = Counter()
        for e in events:
            expected[row_key(e.neighbourhood_id, e.channel)] += weight(e)
        assert counts(fold(events)) == dict(expected)

    def test_first_and_last_event_times_bound_the_events(self) -> None:
        events = list(generate(NEIGHBOURHOODS, 200, seed=2))
        for key, row in fold(events).items():
            times = [e.event_time for e in events if row_key(e.neighbourhood_id, e.channel) == key]
            assert (row.first_event_time, row.last_event_time) == (min(times), max(times))


class TestDelivery:
    @settings(max_examples=80, deadline=None)
    @given(
        seed=st.integers(0, 10_000),
        actions=st.lists(
            st.sampled_from(["process", "process", "process_and_commit", "skip", "crash", "reseek", "stale"]),
            max_size=400,
        ),
    )
    def test_skips_crashes_and_reseeks_give_the_rebuild_exactly(self, seed: int, actions: list[str]) -> None:
        events = list(generate(NEIGHBOURHOODS, 150, seed=seed))
        delivery = FaustLikeDelivery(events)
        for action in actions:
            delivery.step(action)
        assert comparable(delivery.finish()) == comparable(fold(events))

    def test_a_skipped_message_read_after_later_ones_is_still_applied(self) -> None:
        events = [
            e.model_copy(update={"neighbourhood_id": "N1"}) for e in generate(NEIGHBOURHOODS, 5, seed=4)
        ]
        same_row = [
            e.model_copy(update={"payload": events[0].payload, "event_type": events[0].event_type})
            for e in events
        ]
        delivery = FaustLikeDelivery(same_row)
        for action in ["skip", "process", "process", "process", "process", "reseek"]:
            delivery.step(action)
        assert counts(delivery.finish()) == counts(fold(same_row))

    def test_apply_at_returns_none_for_an_applied_position_and_forgets_committed_ones(self) -> None:
        event = next(generate(NEIGHBOURHOODS, 1, seed=3))
        tracked = apply_at(None, event, 0, 7, committed=0)
        assert tracked is not None and tracked.row.events == weight(event)
        assert apply_at(tracked, event, 0, 7, committed=0) is None
        later = apply_at(tracked, event, 0, 9, committed=8)
        assert later is not None and later.applied == (9,)
        assert later.row.events == 2 * weight(event)

    def test_live_order_does_not_matter_within_a_row(self) -> None:
        events = list(generate(NEIGHBOURHOODS, 100, seed=5))
        shuffled = events[:]
        random.Random(5).shuffle(shuffled)
        assert comparable(fold(events)) == comparable(fold(shuffled))
