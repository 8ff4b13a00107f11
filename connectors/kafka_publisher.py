"""The Kafka shell of an ingest run: kafka-python, idempotent, acks=all, keyed by neighbourhood."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError

from connectors.rejections import DeadLetter
from engage.errors import BrokerUnavailable, PublishFailed
from events import Envelope, topics
from events.codec import encode

log = structlog.get_logger(__name__)


class KafkaPublisher:
    def __init__(self, bootstrap_servers: str, security: Mapping[str, Any] | None = None) -> None:
        """``security``: kafka-python's authentication options (``engage.kafka_auth.client_options``)."""
        security = dict(security or {})
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap_servers,
                client_id="engage-connector",
                acks="all",
                enable_idempotence=True,
                linger_ms=20,
                batch_size=256 * 1024,
                compression_type=None,
                max_block_ms=30_000,
                request_timeout_ms=30_000,
                bootstrap_timeout_ms=10_000,
                **security,
            )
        except KafkaError as exc:
            # kafka-python reports a refused login as a broker that never answered.
            refused = (
                f", or it refused the login of {security['sasl_plain_username']!r} "
                "(check ENGAGE_KAFKA_USERNAME and ENGAGE_KAFKA_PASSWORD)"
                if "sasl_plain_username" in security
                else ""
            )
            raise BrokerUnavailable(
                f"no Kafka broker answered at {bootstrap_servers}{refused}; start one with `engage up` "
                "(or docker/kafka/kafka.sh start) or set ENGAGE_KAFKA_HOST/ENGAGE_KAFKA_PORT"
            ) from exc
        # The sends since the last flush: a long-running publisher (the gateway) reports each flush's
        # own failures, and one broker hiccup does not fail every later flush.
        self._pending: list[Any] = []

    def _send(self, topic: str, key: str, value: bytes) -> None:
        try:
            self._pending.append(self._producer.send(topic, key=key.encode("utf-8"), value=value))
        except KafkaError as exc:
            raise PublishFailed(
                f"the broker did not take a record for {topic}: {exc}; send it again "
                "(events are de-duplicated by id)"
            ) from exc

    def publish_event(self, event: Envelope) -> None:
        self._send(topics.EVENTS, event.neighbourhood_id, encode(event))

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self._send(topics.DEADLETTER, letter.source, encode(letter))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=60)
        except KafkaError as exc:
            raise PublishFailed(
                f"the broker did not acknowledge the run: {exc}; run the same ingest again "
                "(events are de-duplicated by id)"
            ) from exc
        failed = [future for future in pending if not future.succeeded()]
        if failed:
            first = next((f.exception for f in failed if f.exception is not None), "timed out")
            raise PublishFailed(
                f"{len(failed)} records were not acknowledged by the broker (first error: {first}); "
                "run the same ingest again: events are de-duplicated by id, so nothing is counted twice"
            )

    def close(self) -> None:
        self._producer.close(timeout=10)
