"""The worker folds each partition in log order: a batch that would skip an offset is not taken."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.fold_order import FoldOrder, Gap


class TestFoldOrder:
    def test_a_partition_starts_at_its_committed_offset_and_moves_one_offset_at_a_time(self) -> None:
        order = FoldOrder()
        assert order.take([(3, 960), (3, 961), (0, 5)], lambda p: {3: 960, 0: 5}[p]) is None
        assert order.next_offset == {3: 962, 0: 6}

    def test_the_message_at_the_committed_offset_dropped_is_a_gap(self) -> None:
        # What the scale-out test saw: after a rebalance, offset 960 (the committed one) never
        # reached the agent, and 961 on came.
        order = FoldOrder()
        gap = order.take([(3, 961), (3, 962)], lambda p: 960)
        assert gap == Gap(partition=3, expected=960, got=961)
        assert order.next_offset == {}, "nothing of a batch with a gap is taken"

    def test_a_gap_later_in_the_batch_takes_nothing_of_it(self) -> None:
        order = FoldOrder()
        assert order.take([(1, 0), (2, 0), (1, 1), (1, 3)], lambda p: 0) == Gap(1, 2, 3)
        assert order.next_offset == {}
        assert order.take([(1, 0), (2, 0), (1, 1), (1, 2)], lambda p: 0) is None
        assert order.next_offset == {1: 3, 2: 1}

    def test_redeliveries_below_the_next_offset_pass_and_do_not_move_it(self) -> None:
        order = FoldOrder()
        assert order.take([(0, 10), (0, 11), (0, 12)], lambda p: 10) is None
        # faust sought back to the committed offset: 10 to 12 come again, then 13.
        assert order.take([(0, 10), (0, 11), (0, 12), (0, 13)], lambda p: 10) is None
        assert order.next_offset == {0: 14}

    def test_a_partition_assigned_again_starts_from_what_others_committed(self) -> None:
        order = FoldOrder()
        assert order.take([(2, 100), (2, 101)], lambda p: 100) is None
        # Another worker folded and committed up to 500 while this one did not hold partition 2.
        assert order.take([(2, 500)], lambda p: 500) is None
        assert order.next_offset == {2: 501}

    def test_an_earlier_offset_after_a_later_one_in_a_batch_is_a_gap(self) -> None:
        order = FoldOrder()
        assert order.take([(0, 6), (0, 5)], lambda p: 5) == Gap(0, 5, 6)

    def test_retention_restarts_a_partition_at_its_first_offset_in_the_log(self) -> None:
        order = FoldOrder()
        assert order.take([(0, 700)], lambda p: 0) == Gap(0, 0, 700)
        order.restart_at(0, 700)
        assert order.take([(0, 700), (0, 701)], lambda p: 0) is None

    @given(
        st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=60),
        st.integers(min_value=0, max_value=59),
    )
    def test_any_in_order_feed_is_taken_and_any_skipped_offset_is_caught(
        self, partitions: list[int], drop: int
    ) -> None:
        """A feed of every offset of each partition, in log order per partition, split into batches, is
        taken whole; the same feed with one message removed stops at the next message of its
        partition, if there is one."""
        counters: dict[int, int] = {}
        feed = []
        for partition in partitions:
            feed.append((partition, counters.get(partition, 0)))
            counters[partition] = counters.get(partition, 0) + 1
        whole = FoldOrder()
        for start in range(0, len(feed), 7):
            assert whole.take(feed[start : start + 7], lambda p: 0) is None
        assert whole.next_offset == counters

        drop %= len(feed)
        dropped_partition, dropped_offset = feed[drop]
        holed = feed[:drop] + feed[drop + 1 :]
        gap = FoldOrder().take(holed, lambda p: 0)
        later = [o for p, o in holed if p == dropped_partition and o > dropped_offset]
        if later:
            assert gap == Gap(dropped_partition, dropped_offset, dropped_offset + 1)
        else:
            assert gap is None
