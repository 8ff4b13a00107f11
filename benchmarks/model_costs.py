"""CPU per event of each model's fold on its own, and of the neighbourhood's fold around them.

    .venv/bin/python -m benchmarks.model_costs [EVENTS] [NEIGHBOURHOODS] [PER_SECOND] [PASSES]
                                               (default 200000, 4000, 2000, 3)

Builds a seeded feed (``benchmarks.workload``: the benchmark's is 4,000 neighbourhoods at 2,000
events a second of event time; a low PER_SECOND spreads the events over months, so that each state
holds a year of days and meetings as a force's do), decodes it, then folds every event into each
model's state by its ``evolve`` alone (coverage, tension, priority, feedback), and by
``neighbourhood.evolve``, which makes all four and the neighbourhood's state around them. Prints the
best of PASSES passes of each, in µs of this process's CPU an event, with the cycle collector off.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.workload import Workload
from events import Envelope
from events.codec import decode_envelope, encode
from projections import coverage, feedback, neighbourhood, priority, tension

FOLDS: dict[str, Callable[[Any, Envelope], Any]] = {
    "coverage": coverage.evolve,
    "tension": tension.evolve,
    "priority": priority.evolve,
    "feedback": feedback.evolve,
    "neighbourhood": neighbourhood.evolve,
}


def best_us_per_event(
    evolve: Callable[[Any, Envelope], Any], events: Sequence[Envelope], passes: int
) -> float:
    """The fastest of ``passes`` folds of ``events`` into fresh states, in µs of CPU an event."""
    best = float("inf")
    for _ in range(passes):
        states: dict[str, Any] = {}
        started = time.process_time()
        for event in events:
            states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event)
        best = min(best, time.process_time() - started)
    return best / len(events) * 1e6


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 200_000
    neighbourhoods = int(argv[1]) if len(argv) > 1 else 4000
    per_second = float(argv[2]) if len(argv) > 2 else 2000.0
    passes = int(argv[3]) if len(argv) > 3 else 3
    feed = [
        decode_envelope(encode(e)) for e in Workload(neighbourhoods, per_second=per_second).events(events)
    ]
    span = max(e.event_time for e in feed) - min(e.event_time for e in feed)
    print(f"{events:,} events over {neighbourhoods:,} neighbourhoods, {span} of event time; best of {passes}")
    gc.collect()
    gc.disable()
    for name, evolve in FOLDS.items():
        print(f"{name:>14} {best_us_per_event(evolve, feed, passes):8.2f} us an event", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
