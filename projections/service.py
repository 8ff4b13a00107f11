"""The read-side service: the one process that owns the DuckDB file.

It runs the sink (projection rows from Kafka into DuckDB, with their offsets, in one
transaction) in a thread, and the HTTP API (``projections.api.app``, FastAPI under uvicorn) that
answers analysts, partners and the public while ingest runs. It binds 127.0.0.1 unless told
otherwise (ENGAGE_SERVICE_HOST).

    GET  /health   liveness
    GET  /status   the sink's positions and counters                          (analysts)
    POST /query    body: one SELECT; answer: CSV                              (analysts)
    POST /rebuild  recompute every projection from the event log, swap them in (analysts)
    GET  /api/v1/  the views: priorities, tension, coverage, feedback, alerts, evidence
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from connectors.placing import Neighbourhoods
from engage.kafka_auth import client_options
from engage.settings import Settings
from events import topics
from events.codec import UndecodableEvent, decode_envelope
from projections import read_models, retention, store
from projections.activity import ActivityRow
from projections.evidence import row as evidence_row
from projections.evidence import withdrawal_row
from projections.neighbourhood import HistoryErased, NeighbourhoodView

log = structlog.get_logger(__name__)

SINK_GROUP = "engage-sink"
SINK_TOPICS = (topics.ACTIVITY_UPDATES, topics.NEIGHBOURHOOD_VIEWS, topics.EVENTS)
"""What the sink reads; each topic's positions are stored with the rows it wrote. The events
themselves (already redacted) are kept as the evidence behind scores."""


@dataclass
class SinkStats:
    batches: int = 0
    rows_written: int = 0
    updates_read: int = 0
    undecodable: int = 0
    positions: dict[str, dict[int, int]] = field(default_factory=dict)
    last_error: str = ""


class Sink:
    """Projection updates from Kafka into DuckDB; resumes from the offsets stored with the rows."""

    def __init__(self, settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
        self._settings = settings
        self._con = con
        self._stop = threading.Event()
        self.stats = SinkStats()
        self.lock = threading.Lock()
        """Held while the sink writes; a rebuild holds it to swap tables in between two writes."""

    def stop(self) -> None:
        self._stop.set()

    def stopped(self) -> bool:
        return self._stop.is_set()

    def wait_stopped(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking at once when the sink is told to stop."""
        return self._stop.wait(seconds)

    def _consumer(self) -> KafkaConsumer:
        consumer = KafkaConsumer(
            bootstrap_servers=self._settings.bootstrap_servers,
            group_id=SINK_GROUP,
            client_id="engage-sink",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._settings.sink_batch_size,
            fetch_max_wait_ms=self._settings.sink_batch_wait_ms,
            **client_options(self._settings),
        )
        assigned: list[TopicPartition] = []
        for topic in SINK_TOPICS:
            partitions: set[int] | None = None
            while not self._stop.is_set():
                partitions = consumer.partitions_for_topic(topic)
                if partitions:
                    break
                log.info("sink_waiting_for_topic", topic=topic)
                self._stop.wait(1.0)
            assigned.extend(TopicPartition(topic, p) for p in sorted(partitions or ()))
        consumer.assign(assigned)
        for topic in SINK_TOPICS:
            stored = store.positions(self._con, topic)
            for tp in assigned:
                if tp.topic != topic:
                    continue
                if tp.partition in stored:
                    consumer.seek(tp, stored[tp.partition])
                else:
                    consumer.seek_to_beginning(tp)
            self.stats.positions[topic] = dict(stored)
        log.info("sink_started", resume_from=self.stats.positions)
        return consumer

    def run(self) -> None:
        consumer = self._consumer()
        try:
            while not self._stop.is_set():
                polled = self._gather(consumer)
                if polled:
                    self._write(consumer, polled)
        finally:
            consumer.close(autocommit=False)

    def _gather(self, consumer: KafkaConsumer) -> dict[TopicPartition, list[Any]]:
        """Poll until the batch is full or its wait is over (a poll returns whatever one fetch holds)."""
        size = self._settings.sink_batch_size
        deadline = time.monotonic() + self._settings.sink_batch_wait_ms / 1000
        gathered: dict[TopicPartition, list[Any]] = {}
        count = 0
        while count < size and not self._stop.is_set():
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break
            for tp, messages in consumer.poll(timeout_ms=remaining_ms, max_records=size - count).items():
                gathered.setdefault(tp, []).extend(messages)
                count += len(messages)
        return gathered

    def _write(self, consumer: KafkaConsumer, polled: dict[TopicPartition, list[Any]]) -> None:
        rows: list[ActivityRow] = []
        views: list[NeighbourhoodView | HistoryErased] = []
        next_offsets: dict[str, dict[int, int]] = {topic: {} for topic in SINK_TOPICS}
        evidence: list[dict[str, object]] = []
        withdrawals: list[dict[str, object]] = []
        expired_before = retention.cutoff(self._settings.social_retention_days, datetime.now(UTC))
        for tp, messages in polled.items():
            for message in messages:
                self.stats.updates_read += 1
                next_offsets[tp.topic][tp.partition] = message.offset + 1
                try:
                    if tp.topic == topics.ACTIVITY_UPDATES:
                        rows.append(ActivityRow.model_validate_json(message.value))
                    elif tp.topic == topics.NEIGHBOURHOOD_VIEWS:
                        views.append(_view_or_erasure(message.value))
                    else:
                        event = decode_envelope(message.value)
                        row = evidence_row(event, tp.partition, message.offset)
                        if retention.kept(row, expired_before):
                            evidence.append(row)
                        withdrawal = withdrawal_row(event)
                        if withdrawal is not None:
                            withdrawals.append(withdrawal)
                except (ValidationError, UndecodableEvent) as exc:
                    # A record the worker or a connector could not have written: keep going, say so.
                    self.stats.undecodable += 1
                    log.error(
                        "sink_undecodable_record",
                        topic=tp.topic,
                        partition=tp.partition,
                        offset=message.offset,
                        error=str(exc)[:200],
                    )
        with self.lock:
            written = 0
            if next_offsets[topics.ACTIVITY_UPDATES]:
                written += store.write_activity(
                    self._con, rows, topics.ACTIVITY_UPDATES, next_offsets[topics.ACTIVITY_UPDATES]
                )
            if next_offsets[topics.EVENTS]:
                written += store.write_events(
                    self._con, evidence, topics.EVENTS, next_offsets[topics.EVENTS], withdrawals
                )
            if next_offsets[topics.NEIGHBOURHOOD_VIEWS]:
                written += read_models.write_views(
                    self._con, views, topics.NEIGHBOURHOOD_VIEWS, next_offsets[topics.NEIGHBOURHOOD_VIEWS]
                )
        self.stats.batches += 1
        self.stats.rows_written += written
        for topic, offsets in next_offsets.items():
            self.stats.positions.setdefault(topic, {}).update(offsets)
        try:
            # Only for monitoring (`engage wait`, lag dashboards): DuckDB holds the real positions.
            consumer.commit(
                {
                    TopicPartition(topic, p): OffsetAndMetadata(o, "", -1)
                    for topic, offsets in next_offsets.items()
                    for p, o in offsets.items()
                }
            )
        except KafkaError as exc:
            self.stats.last_error = str(exc)
            log.warning("sink_monitoring_commit_failed", error=str(exc))


def _view_or_erasure(value: bytes) -> NeighbourhoodView | HistoryErased:
    """A message of the views topic: nearly always a view; after a withdrawal, first a ``HistoryErased``."""
    try:
        return NeighbourhoodView.model_validate_json(value)
    except ValidationError as not_a_view:
        try:
            return HistoryErased.model_validate_json(value)
        except ValidationError:
            raise not_a_view from None


def serve(settings: Settings) -> None:
    """Run the sink and the HTTP API (uvicorn) until SIGTERM or SIGINT."""
    import uvicorn

    from projections.api.app import create_app

    con = store.connect(settings.database)
    neighbourhoods = Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    store.replace_neighbourhoods(con, neighbourhoods.all)
    sink = Sink(settings, con.cursor())
    from projections.api import extras
    from projections.api.access import TokenFile
    from projections.briefing.command import scheduler

    tokens = TokenFile(settings.api_tokens)
    app = create_app(
        con,
        settings,
        sink=sink,
        tokens=tokens,
        routers=[extras.router(settings, tokens, neighbourhoods, con.cursor)],
    )
    packs = scheduler(settings, con.cursor)

    def run_schedule() -> None:
        # Packs fall due on the cron in settings; the finished ones on disk say what has run.
        while not sink.stopped():
            try:
                for manifest in packs.run_pending(datetime.now(UTC)):
                    log.info("briefing_built", area=manifest.area, as_of=manifest.as_of.isoformat())
            except Exception:
                log.exception("briefing_schedule_failed")
            sink.wait_stopped(60.0)

    def run_retention() -> None:
        # Holds the sink's lock: a delete racing the sink's insert of the same row would fail its write.
        expiring = con.cursor()
        while not sink.stopped():
            before = retention.cutoff(settings.social_retention_days, datetime.now(UTC))
            if before is None:
                return
            try:
                with sink.lock:
                    retention.expire_social(expiring, before)
            except duckdb.Error:
                log.exception("social_retention_failed")
            sink.wait_stopped(retention.SWEEP_INTERVAL_S)

    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.service_host,
            port=settings.service_port,
            log_config=None,
            access_log=False,  # the audit log has every request
            timeout_graceful_shutdown=10,
        )
    )
    failed: list[BaseException] = []

    def shutdown(signum: int, _frame: object) -> None:
        log.info("read_side_stopping", signal=signal.Signals(signum).name)
        sink.stop()
        server.should_exit = True

    def run_sink() -> None:
        # The sink starts once the API answers, as before: `engage up` waits for /health.
        while not server.started:
            if sink.stopped() or server.should_exit:
                return
            time.sleep(0.05)
        log.info(
            "read_side_ready",
            database=str(settings.database),
            url=settings.service_url,
            started_at=datetime.now(UTC).isoformat(),
        )
        try:
            sink.run()
        except BaseException as exc:
            # Without its sink the service would answer stale tables: stop, and let the operator see why.
            log.exception("sink_failed")
            failed.append(exc)
            server.should_exit = True

    # uvicorn puts these handlers back after its own shutdown and raises the signal again: the sink
    # then stops through them too.
    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    sink_thread = threading.Thread(target=run_sink, name="sink", daemon=True)
    sink_thread.start()
    if settings.briefing_schedule:
        threading.Thread(target=run_schedule, name="briefing-schedule", daemon=True).start()
    if settings.social_retention_days is not None:
        threading.Thread(target=run_retention, name="social-retention", daemon=True).start()
    try:
        server.run()
    finally:
        sink.stop()
        sink_thread.join(timeout=60)
        app.state.audit.close()
        con.close()
        log.info("read_side_stopped")
    if failed:
        raise failed[0]
