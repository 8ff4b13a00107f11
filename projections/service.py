"""The read-side service: the one process that owns the DuckDB file.

It runs the sink (projection rows from Kafka into DuckDB, with their offsets, in one
transaction) and answers analysts' read-only queries over HTTP on 127.0.0.1, so that analysts
can query while ingest runs. It binds 127.0.0.1 unless told otherwise (ENGAGE_SERVICE_HOST).

    GET  /health   liveness
    GET  /status   the sink's positions and counters
    POST /query    body: one SELECT; answer: CSV
    POST /rebuild  recompute every projection from the event log, swap the tables in; answer: JSON
"""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from connectors.placing import Neighbourhoods
from engage.errors import QueryRejected
from engage.kafka_auth import client_options
from engage.settings import Settings
from events import topics
from events.codec import UndecodableEvent, decode_envelope
from projections import read_models, store
from projections.activity import ActivityRow
from projections.evidence import row as evidence_row
from projections.neighbourhood import NeighbourhoodView
from projections.rebuild import rebuild

log = structlog.get_logger(__name__)

SINK_GROUP = "engage-sink"
SINK_TOPICS = (topics.ACTIVITY_UPDATES, topics.NEIGHBOURHOOD_VIEWS, topics.EVENTS)
"""What the sink reads; each topic's positions are stored with the rows it wrote. The events
themselves (already redacted) are kept as the evidence behind scores."""
MAX_QUERY_BYTES = 64 * 1024


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
                polled = consumer.poll(
                    timeout_ms=self._settings.sink_batch_wait_ms, max_records=self._settings.sink_batch_size
                )
                if polled:
                    self._write(consumer, polled)
        finally:
            consumer.close(autocommit=False)

    def _write(self, consumer: KafkaConsumer, polled: dict[TopicPartition, list[Any]]) -> None:
        rows: list[ActivityRow] = []
        views: list[NeighbourhoodView] = []
        next_offsets: dict[str, dict[int, int]] = {topic: {} for topic in SINK_TOPICS}
        evidence: list[dict[str, object]] = []
        for tp, messages in polled.items():
            for message in messages:
                self.stats.updates_read += 1
                next_offsets[tp.topic][tp.partition] = message.offset + 1
                try:
                    if tp.topic == topics.ACTIVITY_UPDATES:
                        rows.append(ActivityRow.model_validate_json(message.value))
                    elif tp.topic == topics.NEIGHBOURHOOD_VIEWS:
                        views.append(NeighbourhoodView.model_validate_json(message.value))
                    else:
                        evidence.append(
                            evidence_row(decode_envelope(message.value), tp.partition, message.offset)
                        )
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
                written += store.write_events(self._con, evidence, topics.EVENTS, next_offsets[topics.EVENTS])
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


def _handler(settings: Settings, con: duckdb.DuckDBPyConnection, sink: Sink) -> type[BaseHTTPRequestHandler]:
    rebuilding = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "engage-read-side"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http_request", line=format % args)

        def _send(self, status: HTTPStatus, body: str, content_type: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: HTTPStatus, value: object) -> None:
            self._send(status, json.dumps(value), "application/json")

        def do_GET(self) -> None:
            if self.path == "/health":
                self._json(HTTPStatus.OK, {"status": "ok"})
            elif self.path == "/status":
                stats = sink.stats
                self._json(
                    HTTPStatus.OK,
                    {
                        "positions": {
                            topic: {str(p): o for p, o in sorted(offsets.items())}
                            for topic, offsets in stats.positions.items()
                        },
                        "batches": stats.batches,
                        "rows_written": stats.rows_written,
                        "updates_read": stats.updates_read,
                        "undecodable": stats.undecodable,
                    },
                )
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}; try /query"})

        def do_POST(self) -> None:
            if self.path == "/rebuild":
                self._rebuild()
                return
            if self.path != "/query":
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}; try /query"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_QUERY_BYTES:
                self._json(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    {"error": f"a query may be at most {MAX_QUERY_BYTES} bytes"},
                )
                return
            sql = self.rfile.read(length).decode("utf-8", errors="replace")
            try:
                body = store.query_csv(con.cursor(), sql)
            except QueryRejected as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            except Exception as exc:  # an analyst must get an answer, never a dropped connection
                log.exception("query_failed", sql=sql[:200])
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {exc}"})
                return
            log.info("query_answered", sql=sql[:200], client=self.client_address[0])
            self._send(HTTPStatus.OK, body, "text/csv; charset=utf-8")

        def _rebuild(self) -> None:
            if not rebuilding.acquire(blocking=False):
                self._json(HTTPStatus.CONFLICT, {"error": "a rebuild is already running; wait for it"})
                return
            try:
                summary = rebuild(settings, con.cursor(), sink.lock)
            except Exception as exc:  # the operator must get an answer, and the live tables stay
                log.exception("rebuild_failed")
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"rebuild failed: {exc}"})
                return
            finally:
                rebuilding.release()
            self._json(HTTPStatus.OK, summary.as_dict())

    return Handler


def serve(settings: Settings) -> None:
    """Run the sink and the query API until SIGTERM or SIGINT."""
    con = store.connect(settings.database)
    neighbourhoods = Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    store.replace_neighbourhoods(con, neighbourhoods.all)
    sink = Sink(settings, con.cursor())
    server = ThreadingHTTPServer(
        (settings.service_host, settings.service_port), _handler(settings, con, sink)
    )
    server.daemon_threads = True

    def shutdown(signum: int, _frame: object) -> None:
        log.info("read_side_stopping", signal=signal.Signals(signum).name)
        sink.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    http_thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    http_thread.start()
    log.info(
        "read_side_ready",
        database=str(settings.database),
        url=settings.service_url,
        started_at=datetime.now(UTC).isoformat(),
    )
    try:
        sink.run()
    finally:
        server.shutdown()
        server.server_close()
        con.close()
        log.info("read_side_stopped")
