"""What the worker's pure work costs per event as a run goes on, at the benchmark's own pace.

    .venv/bin/python -m benchmarks.state_growth [EVENTS] [EVERY] [BATCH]   (default 200000, 20000, 1)

Feeds the end-to-end run's workload (``benchmarks.workload``: 4,000 neighbourhoods, 2,000 events a
second of event time) through what the worker does, without Kafka or faust, in batches of BATCH
events as ``take_events`` hands them over in a backlog. For each neighbourhood a batch touches it
unpacks and parses the state from its stored bytes (what ``ParsedTable`` does when the state is not
held parsed), folds the batch's events into it (``neighbourhood.step``), builds one view, encodes
state and view to JSON, and packs the state (``streams.packed``). Every EVERY events it prints the
microseconds per event each step took since the last line, the states touched per event, and the
mean size of the states written, as JSON and packed. In the worker a state is parsed only when it
is not held (``worker_parsed_values``), so the worker's parse cost is lower; what this shows is how
each part grows as the states do, and what batching saves. CPU of this process only
(``time.process_time``).
"""

from __future__ import annotations

import itertools
import sys
import time

from benchmarks.run import Params
from benchmarks.workload import Workload
from engage.settings import Settings, relax_cycle_collector
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState
from streams import packed

STEPS = ("parse", "fold", "view", "encode", "pack")


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 200_000
    every = int(argv[1]) if len(argv) > 1 else 20_000
    batch = int(argv[2]) if len(argv) > 2 else 1
    if every % batch:
        raise SystemExit(f"EVERY ({every}) must be a multiple of BATCH ({batch}): a line ends on a batch")
    relax_cycle_collector(Settings())  # as the worker does
    stored: dict[str, bytes] = {}
    spent = dict.fromkeys(STEPS, 0.0)
    touched = written = written_packed = 0
    print(
        f"{'events':>9} "
        + " ".join(f"{s + ' us':>10}" for s in STEPS)
        + f" {'total us':>9} {'states/ev':>9} {'state bytes':>12} {'packed':>9}"
    )
    clock = time.process_time
    feed = iter(
        Workload(neighbourhoods=Params.neighbourhoods, per_second=Params.rate, seed=Params.seed).events(
            events
        )
    )
    done = 0
    while chunk := list(itertools.islice(feed, batch)):
        states: dict[str, NeighbourhoodState | None] = {}
        for event in chunk:
            nid = event.neighbourhood_id
            if nid not in states:
                began = clock()
                blob = stored.get(nid)
                states[nid] = (
                    None if blob is None else NeighbourhoodState.model_validate_json(packed.unpack(blob))
                )
                spent["parse"] += clock() - began
            began = clock()
            states[nid], _ = neighbourhood.step(states[nid], event)
            spent["fold"] += clock() - began
        for nid, state in states.items():
            assert state is not None
            began = clock()
            view = neighbourhood.view(state)
            viewed = clock()
            json = encode(state)
            encode(view)
            encoded = clock()
            stored[nid] = packed.pack(state)
            ended = clock()
            spent["view"] += viewed - began
            spent["encode"] += encoded - viewed
            spent["pack"] += ended - encoded
            written += len(json)
            written_packed += len(stored[nid])
        touched += len(states)
        done += len(chunk)
        if done % every and done != events:
            continue
        n = every if done % every == 0 else done % every
        per = {s: spent[s] / n * 1e6 for s in STEPS}
        print(
            f"{done:>9,} "
            + " ".join(f"{per[s]:>10.0f}" for s in STEPS)
            + f" {sum(per.values()):>9.0f} {touched / n:>9.3f}"
            + f" {written // touched:>12,} {written_packed // touched:>9,}",
            flush=True,
        )
        spent = dict.fromkeys(STEPS, 0.0)
        touched = written = written_packed = 0


if __name__ == "__main__":
    main(sys.argv[1:])
