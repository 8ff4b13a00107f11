"""The most events a second this machine's cores could decode and fold, before any reading or writing.

    .venv/bin/python -m benchmarks.fold_ceiling [EVENTS] [EVERY]   (default 1000000, 100000)

Builds the benchmark's workload (``benchmarks.workload``: seeded, synthetic, 4,000 neighbourhoods at
2,000 events a second of event time), encodes each event as a connector publishes it, and puts it
through the two steps every path from the log to the projections takes, timing each in this process's
CPU (``time.process_time``):

- **decode**: ``events.codec.decode_envelope``, the one decode per event of the worker and the rebuild;
- **fold**: what a rebuild does with a decoded event (``projections.rebuild.LogFold.fold``, fed the
  events instead of reading Kafka): drop an id seen before, the activity row, and ``neighbourhood.replay``,
  the same pure fold the live worker applies, with its views of record and, at the end, each
  neighbourhood's newest view.

Every EVERY events it prints the microseconds per event of each step since the last line, and the
*ceiling*: the events a second that all of this machine's cores could decode and fold at that cost,
if they did nothing else. A rebuild also reads the log and writes its views, and the live worker also
parses, encodes and stores states and sends views, so both run below the ceiling; a target above it
cannot be met on this machine without a cheaper fold. To make the ceiling the best this code could
do, every event is built and encoded before the timing starts, and the cycle collector is off while
it runs (the worker and the rebuild run it: ``relax_cycle_collector``); the process holds every
neighbourhood's state, as one rebuilding process holds its share's.
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tqdm import tqdm

from benchmarks.run import Params
from engage.settings import Settings
from events import Envelope
from events.codec import decode_envelope, encode
from projections.activity import ActivityRow
from projections.neighbourhood import HistoryErased, NeighbourhoodView
from projections.rebuild import LogFold

STEPS = ("decode", "fold")


@dataclass
class Spent:
    """CPU seconds per step since the last report, and the events they cover."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    events: int = 0

    def per_event_us(self) -> dict[str, float]:
        return {s: self.seconds[s] / self.events * 1e6 if self.events else 0.0 for s in STEPS}


def ceiling(us_per_event: float, cores: int) -> float:
    """Events a second ``cores`` cores manage at ``us_per_event`` of CPU each, doing nothing else."""
    return cores * 1e6 / us_per_event if us_per_event > 0 else float("inf")


def folded(
    settings: Settings, raw: Iterator[bytes], every: int, report: Callable[[int, Spent], None]
) -> tuple[list[NeighbourhoodView | HistoryErased], dict[str, ActivityRow], float]:
    """Decode ``raw`` and fold it by the rebuild's ``LogFold``, as one partition, calling
    ``report(events so far, spent)`` every ``every`` events and after the last; also the views, the
    activity rows, and the CPU seconds of the end of the fold (each neighbourhood's newest view),
    which no report includes."""
    clock = time.process_time
    spent = Spent()
    fold = LogFold(settings)
    done = 0
    resumed = clock()  # the fold's clock runs from here until the feed is asked for the next chunk

    def fed() -> Iterator[tuple[int, int, Envelope]]:
        nonlocal done, resumed, spent
        while True:
            spent.seconds["fold"] += clock() - resumed
            chunk = list(itertools.islice(raw, every))
            if spent.events:
                report(done, spent)
                spent = Spent()
            if not chunk:
                resumed = clock()
                return
            decoding = clock()
            events = [decode_envelope(blob) for blob in chunk]
            spent.seconds["decode"] += clock() - decoding
            first = done
            spent.events += len(events)
            done += len(events)
            resumed = clock()
            yield from ((0, offset, event) for offset, event in enumerate(events, start=first))

    views = list(fold.fold(fed()))
    return views, fold.rows, clock() - resumed


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 1_000_000
    every = int(argv[1]) if len(argv) > 1 else 100_000
    cores = len(os.sched_getaffinity(0))
    feed = Params().workload().events(events)
    raw = [encode(event) for event in tqdm(feed, total=events, desc="encode", disable=None)]
    # A ceiling is the best the code could do: nothing but the decode and the fold is timed, and the
    # cycle collector, which the worker and the rebuild run, is off.
    gc.collect()
    gc.disable()
    print(
        f"{'events':>9} "
        + " ".join(f"{s + ' us':>10}" for s in STEPS)
        + f" {'total us':>9} {f'ceiling on {cores} core(s), events/s':>34}"
    )
    total = Spent()

    def report(done: int, spent: Spent) -> None:
        per = spent.per_event_us()
        both = sum(per.values())
        print(
            f"{done:>9,} "
            + " ".join(f"{per[s]:>10.1f}" for s in STEPS)
            + f" {both:>9.1f} {ceiling(both, cores):>34,.0f}",
            flush=True,
        )
        for s in STEPS:
            total.seconds[s] += spent.seconds[s]
        total.events += spent.events

    views, rows, newest = folded(Settings(), iter(raw), every, report)
    neighbourhoods = len({row.neighbourhood_id for row in rows.values()})
    print(f"each neighbourhood's newest view at the end: {newest:.2f} s for {neighbourhoods:,}")
    total.seconds["fold"] += newest
    per = total.per_event_us()
    both = sum(per.values())
    print(
        f"all {total.events:,} events: decode {per['decode']:.1f} us, fold {per['fold']:.1f} us an event; "
        f"{len(views):,} views, {len(rows):,} activity rows; ceiling {ceiling(both, cores):,.0f} events/s "
        f"on {cores} core(s) (the fold alone: {ceiling(per['fold'], cores):,.0f})"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
