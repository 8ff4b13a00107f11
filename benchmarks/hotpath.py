"""CPU per event of each stage of the hot path, without Kafka: what the worker and the sink compute.

    .venv/bin/python -m benchmarks.hotpath [EVENTS] [NEIGHBOURHOODS] [BATCH]

Folds the benchmark's workload (``benchmarks/workload.py``, synthetic) in batches as the worker does
(``neighbourhood.apply_at`` per event, then ``to_send`` and the state's and views' JSON per touched
neighbourhood), then writes the views to a new DuckDB file in batches as the sink does
(``read_models.write_views``). Figures are CPU seconds of this process (``time.process_time``, which
counts DuckDB's threads too), so they move less with other load on the machine than wall time does;
they leave out everything Kafka and faust add, which ``make bench`` measures end to end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.workload import Workload
from events.codec import decode_envelope, encode
from projections import neighbourhood, read_models, store
from projections.neighbourhood import NeighbourhoodState, NeighbourhoodView


@contextmanager
def cpu(totals: dict[str, float], stage: str) -> Iterator[None]:
    started = time.process_time()
    try:
        yield
    finally:
        totals[stage] = totals.get(stage, 0.0) + time.process_time() - started


def measure(events: int, neighbourhoods: int, batch: int) -> dict[str, object]:
    raw = [encode(e) for e in Workload(neighbourhoods, seed=2026, per_second=2000).events(events)]
    totals: dict[str, float] = {}
    states: dict[str, NeighbourhoodState] = {}
    sent: list[list[bytes]] = []
    offset = 0
    for start in range(0, events, batch):
        with cpu(totals, "decode"):
            decoded = [decode_envelope(r) for r in raw[start : start + batch]]
        touched: dict[str, NeighbourhoodState] = {}
        with cpu(totals, "fold"):
            for event in decoded:
                nid = event.neighbourhood_id
                stepped = neighbourhood.apply_at(touched.get(nid, states.get(nid)), event, 0, offset, offset)
                offset += 1
                if stepped is not None:
                    touched[nid] = stepped[0]
        out: list[bytes] = []
        for nid, state in touched.items():
            with cpu(totals, "view"):
                state, views = neighbourhood.to_send(state, offset)
            with cpu(totals, "encode_state"):
                encode(state)
            with cpu(totals, "encode_views"):
                out.extend(encode(v) for v in views)
            states[nid] = state
        sent.append(out)
    views_sent = sum(len(b) for b in sent)
    with tempfile.TemporaryDirectory() as folder:
        con = store.connect(Path(folder) / "hotpath.duckdb")
        for number, blobs in enumerate(sent):
            with cpu(totals, "sink_decode"):
                received = [NeighbourhoodView.model_validate_json(b) for b in blobs]
            with cpu(totals, "sink_write"):
                read_models.write_views(con, received, "views", {0: number + 1})
        con.close()
    worker = sum(totals[s] for s in ("decode", "fold", "view", "encode_state", "encode_views"))
    sink = totals["sink_decode"] + totals["sink_write"]
    return {
        "events": events,
        "neighbourhoods": neighbourhoods,
        "batch": batch,
        "views_sent": views_sent,
        "cpu_s": {k: round(v, 3) for k, v in totals.items()},
        "worker_events_per_cpu_s": round(events / worker),
        "sink_events_per_cpu_s": round(events / sink),
        "both_events_per_cpu_s": round(events / (worker + sink)),
    }


def main() -> None:
    given = [int(a) for a in sys.argv[1:4]]
    events, neighbourhoods, batch = given + [100_000, 4000, 5000][len(given) :]
    print(json.dumps(measure(events, neighbourhoods, batch), indent=1))


if __name__ == "__main__":
    main()
