"""The activity fold: pure, and exactly-once over an at-least-once delivery."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.synthetic import generate
from events import Envelope
from projections.activity import ActivityRow, apply_at, fold, row_key, weight

NEIGHBOURHOODS = ["N1", "N2", "N3"]


def deliver(log: list[tuple[int, int, Envelope]]) -> dict[str, ActivityRow]:
    """What the worker does: apply each (partition, offset, event) in the order it arrives."""
    rows: dict[str, ActivityRow] = {}
    for partition, offset, event in log:
        key = row_key(event.neighbourhood_id, event.channel)
        folded = apply_at(rows.get(key), event, partition, offset)
        if folded is not None:
            rows[key] = folded
    return rows


def positioned(events: list[Envelope]) -> list[tuple[int, int, Envelope]]:
    """Events as they sit on a topic keyed by neighbourhood: one partition each, offsets in order."""
    partition_of = {n: i for i, n in enumerate(NEIGHBOURHOODS)}
    next_offset: Counter[int] = Counter()
    log = []
    for event in events:
        p = partition_of[event.neighbourhood_id]
        log.append((p, next_offset[p], event))
        next_offset[p] += 1
    return log


def counts(rows: dict[str, ActivityRow]) -> dict[str, int]:
    return {k: r.events for k, r in rows.items()}


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

    @settings(max_examples=60, deadline=None)
    @given(seed=st.integers(0, 10_000), cut=st.integers(0, 300), rewind=st.integers(0, 300))
    def test_a_redelivered_suffix_changes_nothing(self, seed: int, cut: int, rewind: int) -> None:
        """A crash after offset `cut` with the last commit `rewind` earlier replays a suffix."""
        log = positioned(list(generate(NEIGHBOURHOODS, 300, seed=seed)))
        replay = log[:cut] + log[max(0, cut - rewind) :]
        assert counts(deliver(replay)) == counts(fold([e for _, _, e in log]))

    @given(seed=st.integers(0, 10_000))
    def test_live_delivery_equals_the_rebuild(self, seed: int) -> None:
        events = list(generate(NEIGHBOURHOODS, 200, seed=seed))
        live = deliver(positioned(events))
        rebuilt = fold(events)
        assert {k: r.model_dump(exclude={"source_partition", "applied_offset"}) for k, r in live.items()} == {
            k: r.model_dump(exclude={"source_partition", "applied_offset"}) for k, r in rebuilt.items()
        }

    def test_apply_at_returns_none_for_an_applied_position(self) -> None:
        event = next(generate(NEIGHBOURHOODS, 1, seed=3))
        row = apply_at(None, event, 0, 7)
        assert row is not None and row.events == weight(event)
        assert apply_at(row, event, 0, 7) is None
        assert apply_at(row, event, 0, 6) is None
        assert apply_at(row, event, 0, 8) is not None
