"""``engage rebuild``: every projection recomputed from the retained event log, then swapped in.

The log is read from its start to the end offsets it had when the rebuild began, partition by
partition, and folded by the same pure functions the worker calls (``projections.neighbourhood``,
``projections.activity``). The results go into twin tables (suffix ``__rebuild``) and replace the
live ones in one transaction, taken while the sink is between two writes; the sink then carries on
from where it was, and its version checks keep an older view from replacing a rebuilt one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import duckdb
import structlog
from kafka import TopicPartition
from pydantic import ValidationError
from tqdm import tqdm

from engage import event_log
from engage.settings import Settings
from events import Envelope, topics
from events.codec import UndecodableEvent, decode_envelope
from projections import erasure, neighbourhood, read_models, store
from projections.activity import ActivityRow, evolve_at, row_key
from projections.neighbourhood import HistoryErased, NeighbourhoodState, NeighbourhoodView

log = structlog.get_logger(__name__)

SUFFIX = "__rebuild"
WRITE_BATCH = 20_000


@dataclass
class RebuildSummary:
    events_read: int = 0
    distinct_events: int = 0
    undecodable: int = 0
    views_written: int = 0
    activity_rows: int = 0
    neighbourhoods: int = 0
    withdrawals: int = 0
    """Tombstones met, each folding its neighbourhood again from the log before it."""
    end_offsets: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "events_read": self.events_read,
            "distinct_events": self.distinct_events,
            "undecodable": self.undecodable,
            "views_written": self.views_written,
            "activity_rows": self.activity_rows,
            "neighbourhoods": self.neighbourhoods,
            "withdrawals": self.withdrawals,
            "end_offsets": {str(p): o for p, o in sorted(self.end_offsets.items())},
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_read / self.seconds) if self.seconds else None,
        }


def log_events(settings: Settings, summary: RebuildSummary) -> Iterator[tuple[int, int, Envelope]]:
    """``(partition, offset, event)`` for the whole events topic as it stands now, partition by partition."""
    consumer = event_log.log_reader(settings, "engage-rebuild")
    try:
        tps = [
            TopicPartition(topics.EVENTS, p)
            for p in sorted(consumer.partitions_for_topic(topics.EVENTS) or ())
        ]
        ends = consumer.end_offsets(tps) if tps else {}
        summary.end_offsets = {tp.partition: int(o) for tp, o in ends.items()}
        for tp in tps:
            if ends[tp] == 0:
                continue
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            done = False
            while not done:
                for messages in consumer.poll(timeout_ms=1000).values():
                    for message in messages:
                        if message.offset >= ends[tp]:
                            done = True
                            break
                        summary.events_read += 1
                        try:
                            yield tp.partition, message.offset, decode_envelope(message.value)
                        except (UndecodableEvent, ValidationError):
                            # The worker's codec rejects the same bytes, so neither side folds them.
                            summary.undecodable += 1
                        done = message.offset + 1 >= ends[tp]
                        if done:
                            break
    finally:
        consumer.close()


def rebuild(settings: Settings, con: duckdb.DuckDBPyConnection, lock: threading.Lock) -> RebuildSummary:
    """Recompute every projection into twin tables and swap them in; ``lock`` is the sink's."""
    started = time.perf_counter()
    summary = RebuildSummary()
    for table in (*read_models.TABLES, "activity_current"):
        con.execute(f"drop table if exists {table}{SUFFIX}")
    con.execute(read_models.ddl(SUFFIX))
    con.execute(store.ACTIVITY_DDL.format(table=f"activity_current{SUFFIX}"))
    rows: dict[str, ActivityRow] = {}
    seen: set[str] = set()
    withdrawn: set[str] = set()
    positions: dict[str, tuple[int, int]] = {}

    def distinct() -> Iterator[Envelope]:
        for partition, offset, event in log_events(settings, summary):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            if erasure.is_tombstone(event):
                positions[event.event_id] = (partition, offset)
            elif event.event_id not in withdrawn:
                key = row_key(event.neighbourhood_id, event.channel)
                rows[key] = evolve_at(rows.get(key), event, partition, offset)
            yield event

    def withdraw(
        tombstone: Envelope, state: NeighbourhoodState | None
    ) -> tuple[NeighbourhoodState, tuple[HistoryErased | NeighbourhoodView, ...]]:
        # The same fold again as the live worker's, from the same part of the log.
        partition, offset = positions.pop(tombstone.event_id)
        history = event_log.neighbourhood_log(settings, partition, tombstone.neighbourhood_id, offset)
        again = erasure.refold(tombstone, state, history, partition, offset, committed=offset)
        rows.update({key: tracked.row for key, tracked in again.activity.items()})
        withdrawn.update(again.state.withdrawn)
        summary.withdrawals += 1
        return again.state, again.announced()

    views = neighbourhood.replay(
        tqdm(distinct(), desc="rebuild", unit="event", disable=None), withdraw=withdraw
    )
    while batch := list(islice(views, WRITE_BATCH)):
        summary.views_written += read_models.write_views(con, batch, suffix=SUFFIX)
    summary.distinct_events = len(seen)
    summary.activity_rows = store.write_activity(
        con, rows.values(), topics.EVENTS, {}, table=f"activity_current{SUFFIX}"
    )
    summary.neighbourhoods = len({r.neighbourhood_id for r in rows.values()})
    with lock:
        read_models.swap_in(con, SUFFIX, f"activity_current{SUFFIX}")
    con.execute(f"drop table if exists tension_alerts{SUFFIX}")
    summary.seconds = time.perf_counter() - started
    log.info("rebuilt", **summary.as_dict())
    return summary
