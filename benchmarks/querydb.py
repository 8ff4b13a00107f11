"""Analyst queries on a large read-side database, built without Kafka.

The database is what the read side would hold after the workload's first ``events`` events: the
same pure folds (``projections.neighbourhood.replay``, ``projections.activity``) and the same writes
(``read_models.write_views``, ``store.write_events``, ``store.write_activity``) as the worker and the
sink. Neighbourhoods are independent, so it is built in shards (one process per core, each folding
the neighbourhoods ``i mod shards``) merged into one file; the evidence store's partition and offset
columns then hold the shard and the event's number in it, not a log position. A built database is
kept under the cache folder and reused while its parameters and the fold's source are the same.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

import duckdb

from benchmarks.workload import Workload
from connectors.placing import Neighbourhood
from engage.settings import REPO_ROOT
from events import Envelope, topics
from projections import evidence, neighbourhood, read_models, store
from projections.activity import ActivityRow, evolve_at, row_key

VIEW_BATCH = 20_000
EVENT_BATCH = 50_000
SOURCES = ("benchmarks/workload.py", "benchmarks/querydb.py", "projections", "events")
READERS = ("projections/briefing", "projections/api", "projections/dashboard")
"""Folders of ``SOURCES`` that only read the database: a change there keeps a built one valid (a
10,000,000-event database takes about an hour to build)."""


def source_digest() -> str:
    """A digest of the code a database's content depends on, so a stale cache is never reused."""
    digest = hashlib.sha256()
    readers = tuple(f"{folder}/" for folder in READERS)
    for name in SOURCES:
        path = REPO_ROOT / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            relative = file.relative_to(REPO_ROOT).as_posix()
            if relative.startswith(readers):
                continue
            digest.update(relative.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Spec:
    events: int
    neighbourhoods: int
    seed: int
    per_second: float
    """The feed's pace in event time: events per second."""

    def workload(self) -> Workload:
        return Workload(self.neighbourhoods, seed=self.seed, per_second=self.per_second)

    def file_name(self) -> str:
        pace = f"{self.per_second:.6g}".replace(".", "p")
        return f"query-{self.events}e-{self.neighbourhoods}n-s{self.seed}-r{pace}-{source_digest()}.duckdb"


def _shard_events(spec: Spec, shard: int, shards: int) -> Iterator[Envelope]:
    for event in spec.workload().events(spec.events):
        if int(event.neighbourhood_id.removeprefix("BENCH")) % shards == shard:
            yield event


def build_shard(spec: Spec, shard: int, shards: int, path: Path) -> int:
    """Fold and write one shard's neighbourhoods into its own file; returns its events."""
    path.unlink(missing_ok=True)
    con = store.connect(path)
    pending: list[dict[str, object]] = []
    rows: dict[str, ActivityRow] = {}
    count = 0

    def kept() -> Iterator[Envelope]:
        nonlocal count
        for event in _shard_events(spec, shard, shards):
            pending.append(evidence.row(event, shard, count))
            key = row_key(event.neighbourhood_id, event.channel)
            rows[key] = evolve_at(rows.get(key), event, shard, count)
            count += 1
            if len(pending) >= EVENT_BATCH:
                store.write_events(con, pending, topics.EVENTS, {})
                pending.clear()
            yield event

    views = neighbourhood.replay(kept())
    while batch := list(islice(views, VIEW_BATCH)):
        read_models.write_views(con, batch)
    store.write_events(con, pending, topics.EVENTS, {})
    store.write_activity(con, rows.values(), topics.EVENTS, {})
    con.close()
    return count


def _build_shard_star(args: tuple[Spec, int, int, Path]) -> int:
    return build_shard(*args)


def build(spec: Spec, cache_dir: Path, processes: int) -> tuple[Path, float, bool]:
    """The database for ``spec`` (built, or found in the cache); returns (path, build seconds, reused)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = cache_dir / spec.file_name()
    if final.exists():
        return final, 0.0, True
    started = time.perf_counter()
    shards = max(1, processes)
    parts = [cache_dir / f"{final.stem}.shard{i}.duckdb" for i in range(shards)]
    jobs = [(spec, i, shards, parts[i]) for i in range(shards)]
    if shards == 1:
        counts = [_build_shard_star(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(shards) as pool:
            counts = pool.map(_build_shard_star, jobs)
    if sum(counts) != spec.events:
        raise RuntimeError(f"the shards hold {sum(counts)} events, not {spec.events}; remove {cache_dir}")
    building = final.with_suffix(".building")
    building.unlink(missing_ok=True)
    con = store.connect(building)
    tables = (*read_models.TABLES, "events", "activity_current")
    for i, part in enumerate(parts):
        con.execute(f"attach '{part}' as shard{i} (read_only)")
        for table in tables:
            con.execute(f"insert into {table} select * from shard{i}.{table}")
        con.execute(f"detach shard{i}")
    ids = spec.workload().ids
    store.replace_neighbourhoods(con, [Neighbourhood(i, name_of(i)) for i in ids])
    con.execute("checkpoint")
    con.close()
    building.rename(final)
    for part in parts:
        part.unlink(missing_ok=True)
        part.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    return final, time.perf_counter() - started, False


def name_of(neighbourhood_id: str) -> str:
    return f"Synthetic {neighbourhood_id.removeprefix('BENCH')}"


def boundaries(ids: list[str], path: Path) -> Path:
    """A GeoJSON of one small square per synthetic neighbourhood, for the service's name table."""
    features = []
    for n, nid in enumerate(ids):
        x, y = -0.5 + (n % 100) * 0.001, 51.0 + (n // 100) * 0.001
        square = [[x, y], [x + 0.0009, y], [x + 0.0009, y + 0.0009], [x, y + 0.0009], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"id": nid, "name": name_of(nid)},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def working_copy(database: Path, directory: Path) -> Path:
    """A copy to query and serve: the service writes its neighbourhoods and offsets into the file."""
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / "analyst.duckdb"
    copy.unlink(missing_ok=True)
    copy.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    shutil.copyfile(database, copy)
    return copy


def hold_positions(path: Path, ends: dict[str, dict[int, int]]) -> None:
    """Store the topics' end offsets as the sink's positions, so a service started on the file has
    nothing to read: it answers queries on this database alone, with no ingest beside."""
    con = store.connect(path)
    try:
        con.executemany(
            "insert or replace into sink_offsets values (?, ?, ?, now())",
            [[topic, p, o] for topic, offsets in ends.items() for p, o in offsets.items()],
        )
    finally:
        con.close()


@dataclass(frozen=True)
class Query:
    name: str
    question: str
    sql: str


def _ts(when: datetime) -> str:
    return f"TIMESTAMPTZ '{when.isoformat()}'"


def analyst_queries(con: duckdb.DuckDBPyConnection, area_size: int = 40) -> list[Query]:
    """The fixed set of questions, with their parameters chosen from the database itself."""
    busiest = con.execute(
        "select neighbourhood_id from projection_versions order by version desc, neighbourhood_id limit 1"
    ).fetchone()
    if busiest is None:
        raise RuntimeError("the analyst database holds no views; build it from one event or more")
    nid = str(busiest[0])
    span = con.execute(
        "select min(valid_from), max(valid_from) from priority_history where neighbourhood_id = ?", [nid]
    ).fetchone()
    first, last = (span[0], span[1]) if span is not None else (None, None)
    as_of: datetime = first + (last - first) / 2 if first is not None and last is not None else datetime.now()
    area = [
        str(r[0])
        for r in con.execute(
            "select neighbourhood_id from neighbourhoods order by neighbourhood_id limit ?", [area_size]
        ).fetchall()
    ]
    area_sql = ", ".join(f"'{a}'" for a in area)
    alert = con.execute(
        "select evidence_ids from tension_alerts order by raised_at desc, neighbourhood_id limit 1"
    ).fetchone()
    if alert is None:
        alert = con.execute(
            "select evidence_ids from tension_history where len(evidence_ids) > 0 "
            "order by valid_from desc, neighbourhood_id, seq limit 1"
        ).fetchone()
    # The ids as a list of values, as ``GET /evidence`` and the pack look them up (``store.one_of``):
    # DuckDB answers that from the primary key's index, and a join by reading every event.
    evidence_ids = ", ".join("'" + str(e).replace("'", "''") + "'" for e in (alert[0] if alert else []))
    evidence_sql = (
        "select e.event_id, e.event_type, e.channel, e.event_time, e.marking, e.text from events e "
        f"where e.event_id in ({evidence_ids or 'null'}) order by e.event_time, e.event_id"
    )
    return [
        Query(
            "top_priorities_as_of",
            f"top 5 priorities of {nid} as of {as_of.isoformat()} (priority_history)",
            "select theme, rank, round(score, 3) as score, voices, channels, agreed from priority_history "
            f"where neighbourhood_id = '{nid}' and valid_from <= {_ts(as_of)} "
            f"and (valid_to > {_ts(as_of)} or valid_to is null) and rank <= 5 order by rank",
        ),
        Query(
            "tension_now_area",
            f"tension now in an area of {len(area)} neighbourhoods (tension_current)",
            "select n.name, t.level, t.label, t.modelled_level, t.since, len(t.evidence_ids) as evidence "
            "from tension_current t join neighbourhoods n using (neighbourhood_id) "
            f"where t.neighbourhood_id in ({area_sql}) order by t.level desc, t.score desc, n.name",
        ),
        Query(
            "evidence_for_alert",
            "the events behind the latest tension alert (its evidence_ids, looked up in events)",
            evidence_sql,
        ),
        Query(
            "coverage_gaps",
            "the 50 least-heard neighbourhoods with a channel or seldom-heard group missing",
            "select n.name, c.channels_missing, c.seldom_heard_gaps, c.voices_12m "
            "from coverage_current c join neighbourhoods n using (neighbourhood_id) "
            "where len(c.channels_missing) > 0 or len(c.seldom_heard_gaps) > 0 "
            "order by c.voices_12m, n.name limit 50",
        ),
        Query(
            "you_said_we_did_area",
            f"feedback by status in the area of {len(area)} (feedback_current)",
            "select status, count(*) as themes, round(avg(days_to_action), 1) as mean_days_to_action, "
            "sum(reported_back::int) as reported_back from feedback_current "
            f"where neighbourhood_id in ({area_sql}) group by status order by themes desc",
        ),
    ]


def time_direct(con: duckdb.DuckDBPyConnection, sql: str, runs: int) -> list[float]:
    """Seconds per run through DuckDB in this process: execute and fetch every row, nothing else."""
    cursor = con.cursor()
    cursor.execute(sql).fetchall()  # the first run warms DuckDB's caches, as a running service has
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        cursor.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return times


def as_of_end(spec: Spec) -> datetime:
    """The feed's last event time: a pack is built as of then."""
    return spec.workload().time_at(spec.events) + timedelta(seconds=1)
