"""The Faust worker: folds the events topic into the activity table and emits projection rows.

Delivery is at-least-once; exactly-once effects come from the data, in one table write per event:
- each activity row keeps the log positions it has applied (``TrackedRow``), so a redelivery after
  a crash, or a message read again after faust skipped it, is applied exactly once;
- ``seen-events`` maps an event id to the position that first carried it, so a re-sent record (same
  id, new position) is dropped, while a redelivery of that first position is not mistaken for one;
- every event re-emits its row's current state, because a crash may come after the table's
  changelog write but before the update reached the projection topic. Rows carry absolute state,
  so the sink can take the same row twice.
faust flushes its producer (changelogs and sends) before it commits the consumer's offsets.
A timer stops the worker when a partition's commits have stalled (see ``streams/stalls.py``);
the supervisor (``python -m streams.supervisor``) starts a new one.
"""

from __future__ import annotations

import os
from typing import Any

import faust
import structlog
from faust.serializers import codecs
from faust.types import TP

from engage.settings import Settings
from events import Envelope, topics
from events.codec import decode_envelope, encode
from projections.activity import ActivityRow, TrackedRow, apply_at, row_key
from streams import transport
from streams.stalls import STALL_EXIT_CODE, StallDetector

log = structlog.get_logger(__name__)

EVENT_CODEC = "engage-envelope"


class EnvelopeCodec(codecs.Codec):
    """The one codec for canonical events: the same bytes the connectors write."""

    def _dumps(self, obj: Any) -> bytes:
        return encode(obj)

    def _loads(self, s: bytes) -> Any:
        return decode_envelope(s)


codecs.register(EVENT_CODEC, EnvelopeCodec())


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.worker_id,
        broker=f"{transport.SCHEME}://{settings.bootstrap_servers}",
        store="memory://",
        datadir=str(settings.var_dir / "faust"),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        table_standby_replicas=0,
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=settings.worker_session_timeout_s / 5,
    )
    events_topic = app.topic(topics.EVENTS, key_serializer="raw", value_serializer=EVENT_CODEC)
    updates_topic = app.topic(topics.ACTIVITY_UPDATES, key_serializer="raw", value_serializer="raw")
    # Keys and values are plain JSON (faust's table default): rows are rebuilt with pydantic.
    activity = app.Table("activity", default=None)
    seen_events = app.Table("seen-events", default=None)

    def committed_offset(partition: int) -> int:
        # faust keeps no public view of committed offsets; this private map is what it commits from.
        committed: dict[TP, int | None] = app.consumer._committed_offset  # type: ignore[attr-defined]
        return committed.get(TP(topics.EVENTS, partition)) or 0

    def fold_one(event: Envelope, partition: int, offset: int) -> ActivityRow | None:
        key = row_key(event.neighbourhood_id, event.channel)
        stored = activity.get(key)
        tracked = TrackedRow.model_validate(stored) if stored is not None else None
        position = [partition, offset]
        claimed_by = seen_events.get(event.event_id)
        if claimed_by is None or claimed_by == position:
            folded = apply_at(tracked, event, partition, offset, committed_offset(partition))
            if folded is not None:
                activity[key] = folded.model_dump(mode="json")
                tracked = folded
            if claimed_by is None:
                seen_events[event.event_id] = position
        return tracked.row if tracked is not None else None

    @app.agent(events_topic)
    async def fold_activity(stream: faust.StreamT[Envelope]) -> None:
        async for event in stream.events():
            row = fold_one(event.value, event.message.partition, event.message.offset)
            if row is not None:
                await updates_topic.send(key=row.neighbourhood_id.encode(), value=encode(row))

    stalls: StallDetector[Any] = StallDetector(patience=settings.worker_stall_checks)

    @app.timer(settings.worker_stall_check_interval_s)
    async def stop_on_stalled_partition() -> None:
        recovery: Any = getattr(app.tables, "recovery", None)
        if app.rebalancing or recovery is None or not recovery.completed.is_set():
            return
        # faust offers no public view of these; they are the maps its own commits are made from.
        consumer: Any = app.consumer
        assigned = [tp for tp in consumer.assignment() if tp.topic == topics.EVENTS]
        in_flight = {m.tp for m in list(consumer._unacked_messages)}
        committed = {tp: consumer._committed_offset.get(tp) for tp in assigned}
        highwater = {tp: consumer.highwater(tp) for tp in assigned}
        # Stuck, not slow: nothing in flight, and the acknowledged offsets (if any) do not start at
        # the committed one, so no commit can ever advance.
        idle = {
            tp: tp not in in_flight and (not consumer._acked[tp] or min(consumer._acked[tp]) != committed[tp])
            for tp in assigned
        }
        stuck = stalls.observe(committed, highwater, idle)
        if stuck:
            log.error(
                "partition_stalled_restarting",
                partitions=[tp.partition for tp in stuck],
                committed=[committed[tp] for tp in stuck],
                highwater=[highwater[tp] for tp in stuck],
            )
            # A hard stop is a crash the design already survives; the supervisor starts a new worker.
            os._exit(STALL_EXIT_CODE)

    return app
