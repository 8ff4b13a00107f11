"""How long a TT&CG pack takes for many neighbourhoods, PDF included (the target: 600 in at most 10 s).

    .venv/bin/python benchmarks/briefing_pack.py                 # 600 neighbourhoods
    .venv/bin/python benchmarks/briefing_pack.py --neighbourhoods 100 --events-each 40

Builds a DuckDB file of SYNTHETIC events (``connectors.synthetic.generate``, seeded) through the same
fold and writes as the read side (kept under ``var/bench/`` and reused while its parameters are the
same, because folding takes far longer than the pack), then times ``build`` for every neighbourhood:
the figures printed are the pack's wall-clock time (best of ``--runs``) and its CPU time, with each
stage's share.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from connectors import synthetic
from connectors.placing import Neighbourhood
from engage.settings import REPO_ROOT
from projections import evidence, neighbourhood, read_models, store
from projections.briefing import builder as build_module
from projections.briefing import exports, html, layout, opendata, pdf, read
from projections.briefing.assess import assess
from projections.briefing.model import DEFAULT_RULES

START = datetime(2025, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 2, 15, 6, tzinfo=UTC)


def database(path: Path, count: int, events_each: int, seed: int) -> None:
    ids = [f"SYN{i:04d}" for i in range(count)]
    events = sorted(
        synthetic.generate(ids, count * events_each, seed=seed, start=START, span=AS_OF - START),
        key=lambda e: e.event_time,
    )
    path.unlink(missing_ok=True)
    con = store.connect(path)
    read_models.write_views(con, list(neighbourhood.replay(events)))
    store.write_events(con, [evidence.row(e, 0, i) for i, e in enumerate(events)], "engage.events.v1", {})
    store.replace_neighbourhoods(
        con,
        [Neighbourhood(id=n, name=f"Synthetic ward {n[3:]}") for n in ids],
    )
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbourhoods", type=int, default=600)
    parser.add_argument("--events-each", type=int, default=40, help="synthetic events per neighbourhood")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cache = (
        REPO_ROOT / "var" / "bench" / f"briefing_{args.neighbourhoods}_{args.events_each}_{args.seed}.duckdb"
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    if not cache.exists():
        started = time.perf_counter()
        database(cache, args.neighbourhoods, args.events_each, args.seed)
        print(f"database built in {time.perf_counter() - started:.1f} s: {cache}")
    con = duckdb.connect(str(cache), read_only=True)
    events = con.execute("select count(*) from events").fetchone()
    timings: list[float] = []
    cpu: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            started, started_cpu = time.perf_counter(), time.process_time()
            manifest = build_module.build(con, "bench", AS_OF, Path(folder))
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            pages = len(re.findall(rb"/Type /Page[^s]", (Path(folder) / "pack.pdf").read_bytes()))
    # One more run, stage by stage, to show where the time goes.
    stages: dict[str, float] = {}
    stages_cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        clock, clock_cpu = time.perf_counter(), time.process_time()

        def lap(name: str) -> None:
            nonlocal clock, clock_cpu
            now, now_cpu = time.perf_counter(), time.process_time()
            stages[name] = round(now - clock, 3)
            stages_cpu[name] = round(now_cpu - clock_cpu, 3)
            clock, clock_cpu = now, now_cpu

        snap = read.snapshot(con, AS_OF, AS_OF - timedelta(days=14), None, DEFAULT_RULES)
        lap("read (SQL)")
        pack = assess(snap, "bench", DEFAULT_RULES)
        lap("assess (rules)")
        doc = layout.document(pack, build_module.LONDON)
        lap("layout and charts")
        (out / "pack.html").write_text(html.render(doc), encoding="utf-8")
        lap("html")
        (out / "pack.pdf").write_bytes(pdf.render(doc))
        lap("pdf")
        exports.write(pack, out)
        opendata.write(pack, out, build_module.LONDON)
        lap("csv, json, parquet, open data")
    print(
        json.dumps(
            {
                "neighbourhoods": len(manifest.neighbourhoods),
                "events": events[0] if events else 0,
                "pdf_pages": pages,
                "files": len(manifest.files) + 1,
                "build_seconds": [round(t, 2) for t in timings],
                "best_seconds": round(min(timings), 2),
                # CPU time of this process: what the pack costs when the machine is not shared
                "cpu_seconds": [round(t, 2) for t in cpu],
                "stages_seconds": stages,
                "stages_cpu_seconds": stages_cpu,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
