"""What the worker's pure work costs per event as a run goes on, at the benchmark's own pace.

    .venv/bin/python -m benchmarks.state_growth [EVENTS] [EVERY]     (default 200000, 20000)

Feeds the end-to-end run's workload (``benchmarks.workload``: 4,000 neighbourhoods, 2,000 events a
second of event time) through what the worker does for each event, without Kafka or faust: parse the
neighbourhood's state from its JSON (what ``ParsedTable`` does when the state is not held parsed),
fold the event (``neighbourhood.step``), build its view, and encode both. Every EVERY events it prints
the microseconds per event each step took since the last line, and the mean size of the states
written. In the worker a state is parsed only when it is not held (``worker_parsed_values``), and a
batch builds one view per neighbourhood it touched, so the worker's own cost is lower; what this
shows is how each part grows as the states do. CPU of this process only (``time.process_time``).
"""

from __future__ import annotations

import sys
import time

from benchmarks.run import Params
from benchmarks.workload import Workload
from engage.settings import Settings, relax_cycle_collector
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState

STEPS = ("parse", "fold", "view", "encode")


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 200_000
    every = int(argv[1]) if len(argv) > 1 else 20_000
    relax_cycle_collector(Settings())  # as the worker does
    blobs: dict[str, bytes] = {}
    spent = dict.fromkeys(STEPS, 0.0)
    written = 0
    print(
        f"{'events':>9} "
        + " ".join(f"{s + ' us':>10}" for s in STEPS)
        + f" {'total us':>9} {'state bytes':>12}"
    )
    clock = time.process_time
    feed = Workload(neighbourhoods=Params.neighbourhoods, per_second=Params.rate, seed=Params.seed)
    for index, event in enumerate(feed.events(events), start=1):
        nid = event.neighbourhood_id
        began = clock()
        stored = blobs.get(nid)
        state = NeighbourhoodState.model_validate_json(stored) if stored is not None else None
        parsed = clock()
        state, _ = neighbourhood.step(state, event)
        folded = clock()
        view = neighbourhood.view(state)
        viewed = clock()
        blob = encode(state)
        encode(view)
        ended = clock()
        blobs[nid] = blob
        written += len(blob)
        spent["parse"] += parsed - began
        spent["fold"] += folded - parsed
        spent["view"] += viewed - folded
        spent["encode"] += ended - viewed
        if index % every and index != events:
            continue
        n = every if index % every == 0 else index % every
        per = {s: spent[s] / n * 1e6 for s in STEPS}
        print(
            f"{index:>9,} "
            + " ".join(f"{per[s]:>10.0f}" for s in STEPS)
            + f" {sum(per.values()):>9.0f} {written // n:>12,}",
            flush=True,
        )
        spent = dict.fromkeys(STEPS, 0.0)
        written = 0


if __name__ == "__main__":
    main(sys.argv[1:])
