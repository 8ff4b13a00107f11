"""What one busy neighbourhood costs as its events pile up: fold time, view time, state size.

    .venv/bin/python -m benchmarks.busy_neighbourhood [EVENTS] [EVERY]     (default 12000, 2000)

Feeds one neighbourhood the benchmark's mix (``benchmarks.workload``, one event every 50 s of event
time) through the pure fold, and every EVERY events prints: the fold's time per event since the last
line, the time to build the neighbourhood's view (what the worker does for every touched
neighbourhood in every batch), the state's JSON as the worker writes it to its changelog (raw,
zstd-compressed as its producer sends it, and aiokafka's LZ4 for comparison, with each codec's speed
on it), and the memory the state takes once parsed (``tracemalloc`` over ``model_validate_json``,
what ``ParsedTable`` holds). No Kafka, no faust: CPU of this process only. Where a view's time goes:

    .venv/bin/python -m cProfile -s cumtime -m benchmarks.busy_neighbourhood 12000 12000
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable

from aiokafka.codec import lz4_encode, zstd_encode

from benchmarks.workload import Workload
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState


def _packed(codec: Callable[[bytes], bytes], raw: bytes) -> tuple[int, float]:
    """Bytes after ``codec`` (aiokafka's, as the worker's producer calls it), and its MB/s on ``raw``."""
    began = time.perf_counter()
    packed = codec(raw)
    return len(packed), len(raw) / (time.perf_counter() - began) / 1e6


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 12_000
    every = int(argv[1]) if len(argv) > 1 else 2_000
    feed = list(Workload(neighbourhoods=1, per_second=0.02).events(events))
    state: NeighbourhoodState | None = None
    print(
        f"{'events':>8} {'fold ms/event':>14} {'view ms':>8} {'state bytes':>12} {'zstd bytes':>10} "
        f"{'zstd MB/s':>9} {'lz4 bytes':>10} {'lz4 MB/s':>8} {'parsed bytes':>13}"
    )
    started = time.process_time()
    for index, event in enumerate(feed, start=1):
        state, _ = neighbourhood.step(state, event)
        if index % every and index != events:
            continue
        fold_ms = (time.process_time() - started) / every * 1000
        began = time.process_time()
        neighbourhood.view(state)
        view_ms = (time.process_time() - began) * 1000
        raw = encode(state)
        tracemalloc.start()
        held = NeighbourhoodState.model_validate_json(raw)  # kept alive while it is measured
        parsed, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del held
        zstd_bytes, zstd_rate = _packed(zstd_encode, raw)
        lz4_bytes, lz4_rate = _packed(lz4_encode, raw)
        print(
            f"{index:>8,} {fold_ms:>14.3f} {view_ms:>8.1f} {len(raw):>12,} {zstd_bytes:>10,} "
            f"{zstd_rate:>9.0f} {lz4_bytes:>10,} {lz4_rate:>8.0f} {parsed:>13,}"
        )
        started = time.process_time()


if __name__ == "__main__":
    main(sys.argv[1:])
