"""The fold ceiling's timing harness folds exactly what a rebuild folds, and accounts for every event."""

from __future__ import annotations

from benchmarks.fold_ceiling import Spent, ceiling, folded
from benchmarks.workload import Workload
from engage.settings import Settings
from events.codec import encode
from projections import activity, neighbourhood


def test_chunked_feed_gives_the_views_and_rows_of_one_replay_and_reports_every_event() -> None:
    events = list(Workload(30, seed=11, per_second=20).events(2_500))
    duplicate = events[100]
    raw = [encode(e) for e in [*events, duplicate]]  # a re-sent record is dropped, as the worker does
    reports: list[tuple[int, Spent]] = []

    views, rows, newest = folded(
        Settings(), iter(raw), 1_000, lambda done, spent: reports.append((done, spent))
    )

    assert views == list(neighbourhood.replay(events))
    assert {k: r.model_dump(exclude={"source_partition", "applied_offset"}) for k, r in rows.items()} == {
        k: r.model_dump(exclude={"source_partition", "applied_offset"})
        for k, r in activity.fold(events).items()
    }
    assert [done for done, _ in reports] == [1_000, 2_000, 2_501]
    assert sum(spent.events for _, spent in reports) == len(raw)
    assert all(spent.seconds["decode"] > 0 and spent.seconds["fold"] > 0 for _, spent in reports)
    assert newest > 0


def test_ceiling_is_cores_over_the_cost_of_an_event() -> None:
    assert ceiling(100.0, 2) == 20_000
    assert ceiling(10.0, 2) == 200_000
    assert ceiling(0.0, 2) == float("inf")
