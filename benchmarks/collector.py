"""What Python's cycle collector costs the fold, at the standard threshold and at the project's.

    .venv/bin/python -m benchmarks.collector [EVENTS] [THRESHOLD ...]   (default 100000, 700 50000)

Folds the benchmark's workload (``benchmarks.workload``, 4,000 neighbourhoods) as the worker does,
in batches of ``worker_batch_size``: each touched neighbourhood's state is stepped, its views built
and written as JSON with the state, and the state parsed back from that JSON (as the worker's table
gives it after a restart or an eviction). Every state stays in memory, as in a rebuild. For each
threshold (``gc.set_threshold``'s first figure; the others stay standard) it prints the CPU seconds
of the whole fold and the part spent in the collector (``gc.callbacks``). No Kafka, no faust.
"""

from __future__ import annotations

import gc
import sys
import time

from benchmarks.workload import Workload
from engage.settings import Settings
from events import Envelope
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState


class _CollectorClock:
    """Sums the process time between each collection's start and stop."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def fold(events: list[Envelope], batch_size: int) -> None:
    states: dict[str, NeighbourhoodState] = {}
    for first in range(0, len(events), batch_size):
        touched: set[str] = set()
        for event in events[first : first + batch_size]:
            states[event.neighbourhood_id], _ = neighbourhood.step(states.get(event.neighbourhood_id), event)
            touched.add(event.neighbourhood_id)
        for nid in touched:
            state, views = neighbourhood.to_send(states[nid], committed=0)
            for view in views:
                encode(view)
            states[nid] = NeighbourhoodState.model_validate_json(encode(state))


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 100_000
    thresholds = [int(a) for a in argv[1:]] or [700, Settings().gc_young_threshold]
    events = list(Workload(neighbourhoods=4_000).events(count))
    batch_size = Settings().worker_batch_size
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    standard = gc.get_threshold()
    print(f"{'threshold':>10} {'fold CPU s':>11} {'collector CPU s':>16}   ({count:,} events)")
    for threshold in thresholds:
        gc.collect()
        gc.set_threshold(threshold, standard[1], standard[2])
        clock.seconds = 0.0
        began = time.process_time()
        fold(events, batch_size)
        print(f"{threshold:>10,} {time.process_time() - began:>11.1f} {clock.seconds:>16.1f}", flush=True)
    gc.set_threshold(*standard)


if __name__ == "__main__":
    main(sys.argv[1:])
