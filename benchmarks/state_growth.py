"""What the worker's pure work costs per event as a run goes on, at the benchmark's own pace.

    .venv/bin/python -m benchmarks.state_growth [EVENTS] [EVERY] [BATCH] [BUDGET]
                                                (default 200000, 20000, 1, 0)

Feeds the end-to-end run's workload (``benchmarks.workload``: 4,000 neighbourhoods, 2,000 events a
second of event time) through what the worker does, without Kafka or faust, in batches of BATCH
events as the worker takes them in a backlog (``streams/batches.py``), one neighbourhood at a time
as the worker folds them. For each neighbourhood a batch touches it unpacks and parses the state
from its stored bytes unless the worker's cache holds it parsed (``streams.parsed.ParsedTable`` with
a BUDGET of stored bytes, ``worker_parsed_bytes``), folds the batch's events into it
(``neighbourhood.step``), builds one view, encodes state and view to JSON, and packs the state
(``streams.packed``). Every EVERY events it prints the microseconds per event each step took since
the last line, the states touched and parsed per event, the mean size of the states written (JSON
and packed), and the process's peak RSS so far (``VmHWM``: the interpreter and the workload's
generator take about 155 MB before the first event). CPU of this process only
(``time.process_time``).
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

from benchmarks.run import Params
from engage.settings import Settings, relax_cycle_collector
from events import Envelope
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState
from streams import packed
from streams.parsed import ParsedTable

STEPS = ("parse", "fold", "view", "encode", "pack")


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 200_000
    every = int(argv[1]) if len(argv) > 1 else 20_000
    batch = int(argv[2]) if len(argv) > 2 else 1
    budget = int(argv[3]) if len(argv) > 3 else 0
    if every % batch:
        raise SystemExit(f"EVERY ({every}) must be a multiple of BATCH ({batch}): a line ends on a batch")
    relax_cycle_collector(Settings())  # as the worker does
    stored: dict[str, bytes] = {}
    parses = 0

    def parse(blob: bytes) -> NeighbourhoodState:
        nonlocal parses
        parses += 1
        return NeighbourhoodState.model_validate_json(packed.unpack(blob))

    states = ParsedTable(stored, parse, budget, write=packed.pack)
    spent = dict.fromkeys(STEPS, 0.0)
    touched = written = written_packed = 0
    print(
        f"{'events':>9} "
        + " ".join(f"{s + ' us':>10}" for s in STEPS)
        + f" {'total us':>9} {'states/ev':>9} {'parsed/ev':>9}"
        + f" {'state bytes':>12} {'packed':>9} {'peak RSS':>9}"
    )
    clock = time.process_time
    feed = iter(Params().workload().events(events))
    done = 0
    while chunk := list(itertools.islice(feed, batch)):
        groups: dict[str, list[Envelope]] = {}
        for event in chunk:
            groups.setdefault(event.neighbourhood_id, []).append(event)
        for nid, group in groups.items():
            began = clock()
            state = states.get(nid)
            folding = clock()
            for event in group:
                state, _ = neighbourhood.step(state, event)
            assert state is not None
            folded = clock()
            view = neighbourhood.view(state)
            viewed = clock()
            json = encode(state)
            encode(view)
            encoded = clock()
            states.put(nid, state)
            ended = clock()
            spent["parse"] += folding - began
            spent["fold"] += folded - folding
            spent["view"] += viewed - folded
            spent["encode"] += encoded - viewed
            spent["pack"] += ended - encoded
            written += len(json)
            written_packed += len(stored[nid])
        touched += len(groups)
        done += len(chunk)
        if done % every and done != events:
            continue
        n = every if done % every == 0 else done % every
        per = {s: spent[s] / n * 1e6 for s in STEPS}
        print(
            f"{done:>9,} "
            + " ".join(f"{per[s]:>10.0f}" for s in STEPS)
            + f" {sum(per.values()):>9.0f} {touched / n:>9.3f} {parses / n:>9.3f}"
            + f" {written // touched:>12,} {written_packed // touched:>9,} {peak_rss_mb():>6} MB",
            flush=True,
        )
        spent = dict.fromkeys(STEPS, 0.0)
        touched = written = written_packed = parses = 0


def peak_rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
