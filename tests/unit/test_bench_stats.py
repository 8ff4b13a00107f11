"""The benchmark's pure parts: percentiles, rates and ratios, targets, the table and its verdicts."""

from __future__ import annotations

import math

import pytest

from benchmarks.run import BenchmarkSetupError, Params, Results, table_rows
from benchmarks.stats import Row, at_least, at_most, format_value, percentile, rate, ratio, render

INF = float("inf")


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
        ([4, 1, 3, 2], 25, 1.75),  # order of the input does not matter
        ([7], 99, 7),
        (list(range(1, 101)), 99, 99.01),
        (list(range(1, 101)), 95, 95.05),
    ],
)
def test_percentile_interpolates_linearly_between_ranks(
    values: list[float], q: float, expected: float
) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_a_percentile_that_falls_on_a_missing_sample_is_infinite_not_flattered() -> None:
    values = [0.1] * 98 + [INF, INF]
    assert percentile(values, 50) == pytest.approx(0.1)
    assert math.isinf(percentile(values, 99))


def test_percentile_refuses_nothing_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_rate_and_ratio_are_none_when_nothing_was_measured() -> None:
    assert rate(1000, 2.0) == 500
    assert rate(0, 2.0) is None
    assert rate(10, 0.0) is None
    assert ratio(2.0, 4.0) == 0.5
    assert ratio(None, 4.0) is None
    assert ratio(2.0, None) is None
    assert ratio(2.0, 0.0) is None
    assert ratio(INF, 1.0) is None


def test_targets_pass_on_the_threshold_and_miss_past_it() -> None:
    half = at_least(0.5, "x")
    assert half.text == ">= 0.50 x"
    assert (half.verdict(0.5), half.verdict(0.49), half.verdict(None)) == ("PASS", "MISS", "n/a")
    second = at_most(1.0, "s")
    assert second.text == "<= 1 s"
    assert (second.verdict(1.0), second.verdict(1.01), second.verdict(INF)) == ("PASS", "MISS", "MISS")
    assert at_least(200_000, "events/s").text == ">= 200,000 events/s"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1_234_567.4, "events/s", "1,234,567 events/s"),
        (0.01234, "s", "0.0123 s"),
        (12.34, "ms", "12.3 ms"),
        (350.2, "MB", "350 MB"),
        (1500.0, "s", "1,500 s"),
        (0.5, "x", "0.50 x"),
        (0.0013, "x", "0.0013 x"),
        (None, "s", "-"),
        (INF, "s", "never s"),
    ],
)
def test_format_value(value: float | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_render_lines_up_columns_and_cuts_long_notes() -> None:
    rows = [
        Row("rebuild", 250_000.0, "events/s", at_least(200_000, "events/s"), "fine"),
        Row("latency p99", 1.5, "s", at_most(1.0, "s"), "x" * 100),
        Row("no target", None, "MB"),
    ]
    lines = render(rows, width=20).splitlines()
    assert lines[0].split() == ["measurement", "figure", "target", "verdict", "note"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert "250,000 events/s" in lines[2] and "PASS" in lines[2]
    assert "MISS" in lines[3] and lines[3].endswith("x" * 19 + "…")
    assert lines[4].split()[:3] == ["no", "target", "-"]
    # every figure ends in the same column
    ends = {
        line.index(cell) + len(cell) for line, cell in zip(lines[2:], ("events/s", "1.5 s", "-"), strict=True)
    }
    assert len(ends) == 1


def test_a_row_for_json_keeps_an_infinite_figure_as_never() -> None:
    data = Row("latency p99", INF, "s", at_most(1.0, "s")).as_dict()
    assert data["value"] is None and data["never"] is True
    assert data["verdict"] == "MISS" and data["target"] == "<= 1 s"


def test_params_read_the_environment() -> None:
    params = Params.from_env(
        {
            "BENCH_EVENTS": "1,000,000",
            "BENCH_RATE": "2_000",
            "BENCH_ONLY": "e2e, limit",
            "BENCH_QUERY_DAYS": "",
        }
    )
    assert (params.events, params.rate, params.only, params.query_days) == (
        1_000_000,
        2000.0,
        ("e2e", "limit"),
        0,
    )
    assert Params.from_env({}).events == 1_000_000
    assert Params.from_env({}).query_events == 10_000_000
    with pytest.raises(BenchmarkSetupError, match="choose among"):
        Params.from_env({"BENCH_ONLY": "everything"})
    with pytest.raises(BenchmarkSetupError, match="not a number"):
        Params.from_env({"BENCH_EVENTS": "many"})


def test_the_table_gives_ratios_and_verdicts_from_the_raw_figures() -> None:
    results = Results(
        raw={
            "limit_aiokafka_read": {"events": 1000, "seconds": 1.0},
            "limit_aiokafka_decode": {"events": 1000, "seconds": 4.0},
            "end_to_end": {
                "events": 1000,
                "publish_seconds": 0.2,
                "queryable_seconds": 2.0,
                "committed_seconds": 3.0,
                "timed_out": False,
            },
            "peer": {"events": 1000, "seconds": 4.0},
            "latency": {
                "latencies_s": [0.1] * 99 + [INF],
                "markers": 100,
                "achieved_rate": 2000.0,
                "poll_interval_s": 0.02,
            },
            "rebuild": {"events_read": 1_000_000, "seconds": 4.0},
            "pack": {"seconds": 12.5, "neighbourhoods": 600, "files": 9},
            "queries": {"q": {"direct_s": [0.001] * 10, "service_s": [0.1] * 10}},
            "memory_after_run_2_kb": {"worker": 400 * 1024, "service": 100 * 1024},
            "memory_end_kb": {"worker": 450 * 1024, "service": 120 * 1024},
        },
        failures={"limit_confluent-kafka_read": "RuntimeError: broker gone"},
    )
    rows = {r.name.strip(): r for r in table_rows(Params(), results)}
    assert rows["2. ours: end to end, first publish to queryable"].value == 500
    assert rows["ours / limit (aiokafka, read)"].value == 0.5
    assert rows["ours / limit (aiokafka, read)"].verdict == "PASS"
    assert rows["ours / peer (Quix Streams)"].value == 2.0
    assert rows["ours / peer (Quix Streams)"].verdict == "PASS"
    assert rows["2. publish-to-queryable p50 at 2,000/s"].value == pytest.approx(0.1)
    assert rows["2. publish-to-queryable p99 at 2,000/s"].verdict == "MISS"
    assert rows["4. rebuild from the retained log"].value == 250_000
    assert rows["4. rebuild from the retained log"].verdict == "PASS"
    pack = rows["5. TT&CG pack, 600 neighbourhoods"]
    assert pack.value == 12.5
    assert pack.verdict == "MISS"
    assert rows["6. q p95, DuckDB"].verdict == "PASS"
    assert rows["6. q p95, POST /query"].verdict == "MISS"
    assert rows["7. worker peak RSS during run 2"].value == 400
    assert rows["7. worker peak RSS during run 2"].verdict == "MISS"
    after = rows["7. worker peak RSS to the table's end"]
    assert after.value == 450
    assert "then latency and rebuild" in after.note
    assert rows["1. limit: confluent-kafka, read and count"].note == "failed: RuntimeError: broker gone"


def test_a_timed_out_run_is_reported_as_a_lower_bound() -> None:
    results = Results(
        raw={
            "end_to_end": {"events": 1000, "timed_out": True, "folded_at_timeout": 300, "waited_seconds": 3.0}
        }
    )
    row = next(r for r in table_rows(Params(only=("e2e",)), results) if r.name.startswith("2. ours"))
    assert row.value == 100
    assert "TIMED OUT" in row.note and "lower bound" in row.note


def test_the_peak_to_the_tables_end_is_shown_only_when_a_run_followed_run_2() -> None:
    memory = {"memory_after_run_2_kb": {"worker": 270 * 1024}, "memory_end_kb": {"worker": 270 * 1024}}
    alone = table_rows(Params(only=("e2e", "memory")), Results(raw=memory))
    assert not [r for r in alone if "table's end" in r.name]
    latency = {"latencies_s": [0.5], "markers": 1, "achieved_rate": 2000.0, "poll_interval_s": 0.02}
    raw = {**memory, "latency": latency, "memory_end_kb": {"worker": 310 * 1024}}
    followed = table_rows(Params(only=("e2e", "latency", "memory")), Results(raw=raw))
    (row,) = [r for r in followed if "table's end" in r.name]
    assert row.value == 310
    assert row.verdict == ""  # no target: the target is set after run 2


def test_the_worker_count_is_a_whole_number_of_at_least_one() -> None:
    assert Params.from_env({}).workers == 1
    assert Params.from_env({"BENCH_WORKERS": "2"}).workers == 2
    for wrong in ("0", "1.5", "-2"):
        with pytest.raises(BenchmarkSetupError, match="BENCH_WORKERS"):
            Params.from_env({"BENCH_WORKERS": wrong})


def test_with_two_workers_the_highest_is_judged_and_each_with_their_sum_is_noted() -> None:
    peaks = {"worker": 250 * 1024, "instance:worker": 250 * 1024, "instance:worker-2": 190 * 1024}
    e2e = {"events": 1000, "publish_seconds": 0.2, "queryable_seconds": 2.0, "timed_out": False}
    raw = {"memory_after_run_2_kb": peaks, "cpu_seconds_run_2": {"worker": 600.0}, "end_to_end": e2e}
    rows = table_rows(Params(only=("e2e", "memory"), workers=2), Results(raw=raw))
    (row,) = [r for r in rows if r.name == "7. worker peak RSS during run 2"]
    assert row.value == 250
    assert row.verdict == "PASS"
    assert "the highest of 2 workers (250 and 190 MB, 440 MB together" in row.note
    assert "4,000 neighbourhoods, 2 workers;" in next(r for r in rows if r.name.startswith("2. ours")).note
    alone = table_rows(
        Params(only=("e2e", "memory")), Results(raw={"memory_after_run_2_kb": {"worker": 1024}})
    )
    assert not [r for r in alone if "highest of" in r.note]


def test_the_steady_runs_cpu_gives_the_cores_its_pace_needs() -> None:
    latency = {
        "latencies_s": [0.5],
        "markers": 1,
        "achieved_rate": 2000.0,
        "poll_interval_s": 0.02,
        "published": 120_000,
        "wall_seconds": 150.0,
    }
    cpu = {"worker": 120.0, "service": 60.0, "broker": 30.0, "harness": 30.0}
    raw = {"latency": latency, "cpu_seconds_latency": cpu}
    (row,) = [r for r in table_rows(Params(only=("latency",)), Results(raw=raw)) if "p99" in r.name]
    # 240 CPU s for 120,000 events: 2,000 us an event, so 4 cores at 2,000 events/s.
    assert "stack CPU 2,000 us/event (worker 120, service 60, broker 30, harness 30 s" in row.note
    assert row.note.endswith("4.00 cores at 2,000/s")
    without = {"latency": {**latency, "wall_seconds": None}}
    (bare,) = [r for r in table_rows(Params(only=("latency",)), Results(raw=without)) if "p99" in r.name]
    assert bare.note == ""
