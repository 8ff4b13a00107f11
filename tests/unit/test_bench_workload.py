"""The benchmark's workload: seeded, a live feed's clock, every channel, valid on the wire."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import duckdb

from benchmarks import querydb
from benchmarks.workload import LAG_SECONDS, MARKER_NEIGHBOURHOOD, MIX, Workload, marker, neighbourhood_ids
from events.codec import decode_envelope, encode
from projections import read_models


def test_the_same_seed_gives_the_same_events_ids_included() -> None:
    first = [encode(e) for e in Workload(50, seed=7).events(500)]
    again = [encode(e) for e in Workload(50, seed=7).events(500)]
    other = [encode(e) for e in Workload(50, seed=8).events(500)]
    assert first == again
    assert first != other
    # a longer run starts with the shorter one: the latency run continues the end-to-end feed
    assert [encode(e) for e in Workload(50, seed=7).events(600)][:500] == first


def test_event_ids_are_unique_and_every_event_survives_the_codec() -> None:
    events = list(Workload(20, seed=1).events(2000))
    assert len({e.event_id for e in events}) == len(events)
    assert all(decode_envelope(encode(e)) == e for e in events[:300])
    assert all(e.source == "synthetic" for e in events)


def test_event_time_advances_like_a_live_feed() -> None:
    workload = Workload(30, seed=3, per_second=100)
    events = list(workload.events(3000))
    taken_in = [e.recorded_time for e in events]
    assert taken_in == sorted(taken_in)
    assert taken_in[1000] - taken_in[0] == timedelta(seconds=10)
    assert workload.time_at(1000) == taken_in[1000]
    for e in events:
        least, most = LAG_SECONDS[e.event_type]
        assert timedelta(seconds=least) <= e.recorded_time - e.event_time <= timedelta(seconds=most)


def test_the_mix_has_every_channel_in_about_its_share() -> None:
    events = list(Workload(100, seed=5).events(20_000))
    counts = Counter(e.event_type for e in events)
    total = sum(w for _, w in MIX)
    for kind, weight in MIX:
        expected = 20_000 * weight / total
        assert abs(counts[kind] - expected) < 5 * expected**0.5 + 5, kind


def test_neighbourhoods_are_the_given_many_and_unequally_busy() -> None:
    ids = neighbourhood_ids(200)
    assert len(set(ids)) == 200 and ids[0] == "BENCH00000"
    counts = Counter(e.neighbourhood_id for e in Workload(200, seed=9).events(20_000))
    assert set(counts) <= set(ids)
    assert max(counts.values()) > 3 * (20_000 / 200)


def test_markers_are_unique_per_run_and_go_to_their_own_neighbourhood() -> None:
    when = Workload(1).time_at(0)
    a, b, c = marker("run1", 0, when), marker("run1", 1, when), marker("run2", 0, when)
    assert len({a.event_id, b.event_id, c.event_id}) == 3
    assert {a.neighbourhood_id, b.neighbourhood_id} == {MARKER_NEIGHBOURHOOD}
    assert MARKER_NEIGHBOURHOOD not in neighbourhood_ids(10_000)


def test_the_analyst_database_built_in_shards_equals_one_built_whole(tmp_path: Path) -> None:
    spec = querydb.Spec(events=600, neighbourhoods=12, seed=11, per_second=0.05)
    whole, _, reused = querydb.build(spec, tmp_path / "one", processes=1)
    sharded, _, _ = querydb.build(spec, tmp_path / "two", processes=2)
    assert not reused
    assert querydb.build(spec, tmp_path / "one", processes=1)[2]  # found in the cache the second time
    tables = (*read_models.REBUILT, "tension_alerts", "neighbourhoods")
    with duckdb.connect(str(whole), read_only=True) as a, duckdb.connect(str(sharded), read_only=True) as b:
        for table in tables:
            assert (
                a.sql(f"select * from {table} order by all").fetchall()
                == b.sql(f"select * from {table} order by all").fetchall()
            ), table
        assert a.execute("select count(*) from events").fetchone() == (600,)
        assert a.execute("select count(*) from priority_history").fetchone() != (0,)
        for query in querydb.analyst_queries(a):
            assert a.execute(query.sql).fetchall(), query.name
