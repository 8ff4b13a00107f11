"""The Faust worker: folds the events topic into the activity table and emits projection rows.

Delivery is at-least-once; exactly-once effects come from the data:
- ``seen_events`` drops an event id already folded (a re-sent record);
- each activity row keeps the offset it has applied, so a redelivery after a crash is a no-op;
- every skip re-emits the row's current state, because the crash may have come after the
  table's changelog write but before the update reached the projection topic. Rows carry
  absolute state, so the sink can take the same row twice.
faust flushes its producer (changelogs and sends) before it commits the consumer's offsets.
A timer re-seeks a partition whose commits have stalled (see ``streams/stalls.py``).
"""

from __future__ import annotations

from typing import Any

import faust
import structlog
from faust.serializers import codecs

from engage.settings import Settings
from events import Envelope, topics
from events.codec import decode_envelope, encode
from projections.activity import ActivityRow, apply_at, row_key
from streams.stalls import StallDetector

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
        broker=f"kafka://{settings.bootstrap_servers}",
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

    def fold_one(event: Envelope, partition: int, offset: int) -> ActivityRow | None:
        key = row_key(event.neighbourhood_id, event.channel)
        stored = activity.get(key)
        row = ActivityRow.model_validate(stored) if stored is not None else None
        folded = None if seen_events.get(event.event_id) else apply_at(row, event, partition, offset)
        if folded is not None:
            activity[key] = folded.model_dump(mode="json")
        seen_events[event.event_id] = offset
        return folded or row

    @app.agent(events_topic)
    async def fold_activity(stream: faust.StreamT[Envelope]) -> None:
        async for event in stream.events():
            row = fold_one(event.value, event.message.partition, event.message.offset)
            if row is not None:
                await updates_topic.send(key=row.neighbourhood_id.encode(), value=encode(row))

    stalls: StallDetector[Any] = StallDetector(patience=settings.worker_stall_checks)

    @app.timer(settings.worker_stall_check_interval_s)
    async def reseek_stalled_partitions() -> None:
        recovery: Any = getattr(app.tables, "recovery", None)
        if app.rebalancing or recovery is None or not recovery.completed.is_set():
            return
        consumer: Any = app.consumer
        assigned = [tp for tp in consumer.assignment() if tp.topic == topics.EVENTS]
        # faust keeps no public view of committed offsets; this private map is what it commits from.
        committed = {tp: consumer._committed_offset.get(tp) for tp in assigned}
        highwater = {tp: consumer.highwater(tp) for tp in assigned}
        for tp in stalls.observe(committed, highwater):
            offset = committed[tp]
            log.warning(
                "partition_stalled_reseeking",
                topic=tp.topic,
                partition=tp.partition,
                committed=offset,
                highwater=highwater[tp],
            )
            await consumer.seek(tp, offset)

    return app
