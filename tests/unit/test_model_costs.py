"""The per-model cost benchmark folds every event in every pass and reports a time per event."""

from __future__ import annotations

from typing import Any

from benchmarks.model_costs import best_us_per_event
from benchmarks.workload import Workload
from events import Envelope


def test_each_pass_folds_every_event_into_fresh_states() -> None:
    events = list(Workload(5, seed=3).events(200))
    calls: list[tuple[Any, Envelope]] = []

    def evolve(state: Any, event: Envelope) -> int:
        calls.append((state, event))
        return (state or 0) + 1

    assert best_us_per_event(evolve, events, passes=3) > 0
    assert len(calls) == 600
    # every pass starts from no state: each neighbourhood's first event of a pass sees None
    firsts = [state for state, _ in calls if state is None]
    assert len(firsts) == 3 * len({e.neighbourhood_id for e in events})
