"""The stall detector names a partition only when its commits stand still with nothing in flight."""

from __future__ import annotations

from streams.stalls import StallDetector


class TestStallDetector:
    def test_a_partition_idle_below_its_end_for_patience_checks_is_stuck(self) -> None:
        detector: StallDetector[int] = StallDetector(patience=3)
        seen = [detector.observe({0: 10}, {0: 50}, {0: True}) for _ in range(3)]
        assert seen == [[], [], [0]]

    def test_progress_resets_the_count(self) -> None:
        detector: StallDetector[int] = StallDetector(patience=2)
        assert detector.observe({0: 10}, {0: 50}, {0: True}) == []
        assert detector.observe({0: 11}, {0: 50}, {0: True}) == []
        assert detector.observe({0: 11}, {0: 50}, {0: True}) == [0]

    def test_work_in_flight_or_a_caught_up_partition_is_never_stuck(self) -> None:
        detector: StallDetector[int] = StallDetector(patience=1)
        assert (
            detector.observe({0: 10, 1: 50, 2: None}, {0: 50, 1: 50, 2: 9}, {0: False, 1: True, 2: True})
            == []
        )
