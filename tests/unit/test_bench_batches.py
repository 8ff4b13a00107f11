"""The benchmark reads the worker's batch sizes from its log, as the worker reports them."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.pipeline import worker_batches
from engage.settings import Settings


def test_batch_reports_in_the_worker_log_are_summed(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    settings.log_dir.mkdir(parents=True)
    reports = [
        {"batches": 4, "events": 10_000, "largest": 5_000, "event": "batches_folded"},
        {"batches": 2, "events": 40_000, "largest": 20_000, "event": "batches_folded"},
    ]
    lines = [
        json.dumps({"event": "worker_started", "pid": 1}),
        json.dumps(reports[0]),
        "\x1b[?25h" + json.dumps(reports[1]),  # after faust's cursor escape, as a supervisor line can be
        '{"event": "batches_folded", "batches": ',  # cut short by a kill
    ]
    (settings.log_dir / "worker.log").write_text("\n".join(lines) + "\n")
    assert worker_batches(settings) == {
        "batches": 6,
        "events": 50_000,
        "mean_events": 8333.3,
        "largest": 20_000,
    }


def test_no_log_is_no_batches(tmp_path: Path) -> None:
    assert worker_batches(Settings(var_dir=tmp_path))["batches"] == 0
