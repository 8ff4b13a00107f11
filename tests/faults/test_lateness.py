"""Events out of order, within the lateness the tension model allows and beyond it.

``projections/tension.py``: buckets more than ``lateness`` (48 h) behind a neighbourhood's watermark
are sealed (in steps of ``seal_every``, 24 buckets); an indicator that arrives for a sealed bucket is
counted in ``too_late`` and not scored. So, documented both ways:

- within the lateness, the order of arrival does not matter: every event here arrives at most 24 h
  behind the watermark, and tension equals what the same events give in event-time order;
- beyond it, a late indicator changes no level and no evidence, and is counted: a seeded 1% of the
  indicators arrive 5 days late (past 48 h plus the 24 h a seal step may lag), each one in
  ``too_late``; as an event it is still processed (evidence table, activity), not rejected.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import structlog

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import kafka_admin
from engage.settings import Settings
from events import Envelope
from projections import neighbourhood, read_models, store, tension
from streams import packed
from tests.faults.conftest import (
    EVENTS,
    assert_accounted,
    assert_live_equals_rebuild,
    make_batch,
    send_file,
    wait_caught_up,
)
from tests.integration.conftest import query

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

SEED = 20261208
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=28)
JITTER = timedelta(hours=24)
"""Most an on-time event arrives behind events later than it: half the lateness."""
LATE_BY = timedelta(days=5)
LATE_SHARE = 0.01
TENSION_SQL = (
    "select * exclude (recorded_at, version) from tension_current order by all",
    "select * exclude (recorded_at) from tension_history order by all",
)
"""What tension shows; ``version`` counts every event applied, the late ones too."""


def is_indicator(event: Envelope) -> bool:
    return bool(tension.evolve(None, event).signals)


def arrival_order(events: list[Envelope], late: set[str], seed: int) -> list[Envelope]:
    rng = random.Random(seed)

    def arrives(event: Envelope) -> datetime:
        if event.event_id in late:
            return event.event_time + LATE_BY
        return event.event_time + rng.uniform(0, 1) * JITTER

    return [e for _, e in sorted(((arrives(e), e) for e in events), key=lambda pair: pair[0])]


def tension_rows(
    views: Iterable[neighbourhood.NeighbourhoodView | neighbourhood.HistoryErased],
) -> list[list[dict[str, str]]]:
    """What the read side's tension tables would hold for these views, read as the API reads them."""
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    con.execute(read_models.ddl())
    read_models.write_views(con, list(views))
    return [list(csv.DictReader(io.StringIO(store.query_csv(con, sql)))) for sql in TENSION_SQL]


def live_states(settings: Settings) -> Mapping[str, dict[str, object]]:
    """Each neighbourhood's state as the worker last wrote it to its table's changelog (packed)."""
    states: dict[str, dict[str, object]] = {}
    changelog = f"{settings.worker_id}-neighbourhood-state-changelog"
    largest = 0
    for value in kafka_admin.read_all(settings, changelog):
        if value:
            largest = max(largest, len(value))
            state = json.loads(packed.unpack(value))
            states[state["neighbourhood_id"]] = state
    print(f"largest neighbourhood state written: {largest:,} bytes before compression")  # run with -s
    return states


class TestLateEvents:
    def test_out_of_order_within_the_lateness_counts_and_beyond_it_is_counted_too_late(
        self, fault_stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED, start=START, span=SPAN))
        rng = random.Random(SEED)
        # Late ones are taken from the middle of the span, so that the stream goes on for days after
        # their time and seals their buckets; the first days stay on time, to start every timeline.
        candidates = [
            e
            for e in events
            if is_indicator(e) and START + timedelta(days=3) < e.event_time < START + SPAN - LATE_BY * 2
        ]
        late = {e.event_id for e in rng.sample(candidates, round(len(events) * LATE_SHARE))}
        arrival = arrival_order(events, late, SEED)
        assert arrival != sorted(events, key=lambda e: e.event_time)
        batch = make_batch(arrival, tmp_path / "out-of-order.jsonl")
        send_file(fault_stack, neighbourhoods, batch.path, len(arrival), batch.bad_lines)
        wait_caught_up(fault_stack, EVENTS)

        # Beyond the lateness: each late indicator counted in too_late, by the live worker as by the
        # model folding the same arrival order, and none of them behind any level or alert.
        states = live_states(fault_stack)
        too_late = {nid: int(s["tension"]["too_late"]) for nid, s in states.items()}  # type: ignore[index]
        model = tension.fold(arrival)
        assert too_late == {nid: s.too_late for nid, s in model.items()}
        assert sum(too_late.values()) == len(late) > 0
        cited = query(fault_stack, "select distinct unnest(evidence_ids) as id from tension_history")
        cited += query(fault_stack, "select distinct unnest(evidence_ids) as id from tension_alerts")
        assert late.isdisjoint(r["id"] for r in cited)
        # Within it: tension as if every on-time event had come in event-time order.
        in_order = sorted((e for e in events if e.event_id not in late), key=lambda e: e.event_time)
        expected = tension_rows(neighbourhood.replay(in_order))
        live = [query(fault_stack, sql) for sql in TENSION_SQL]
        assert live[0] == expected[0], "tension_current differs from the in-order fold"
        assert live[1] == expected[1], "tension_history differs from the in-order fold"
        assert any(int(r["level"]) > 1 for r in live[1]), "no level ever rose: the test shows nothing"
        # A late event is still an event: processed, not rejected.
        assert_accounted(fault_stack, events, batch.bad_lines)
        assert_live_equals_rebuild(fault_stack, EVENTS)
        log.info(
            "fault_scenario_done",
            scenario="lateness",
            events=EVENTS,
            late=len(late),
            too_late=sum(too_late.values()),
            wall_s=round(time.monotonic() - started, 1),
        )
