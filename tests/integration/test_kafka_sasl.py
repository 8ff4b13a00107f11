"""The broker with KAFKA_SECURITY=sasl refuses whoever is not the application, and the application
outside its ACLs; the whole stack (connector publisher, Faust worker, sink, admin calls) runs as the
application over SASL/SCRAM-SHA-512.

A stack of its own, started by `engage up`'s code with SASL settings: the broker from
docker/kafka/kafka.sh on ports 19592/19593 (ENGAGE_TEST_SASL_KAFKA_PORT), the read-side service on
18865 (ENGAGE_TEST_SASL_SERVICE_PORT), everything in a temporary folder, random passwords.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError
from pydantic import SecretStr

from connectors.kafka_publisher import KafkaPublisher
from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import kafka_admin, processes
from engage.errors import BrokerUnavailable
from engage.kafka_auth import client_options
from engage.settings import Settings
from events import topics
from events.codec import decode_envelope
from projections.activity import fold
from tests.integration.conftest import query

pytestmark = pytest.mark.integration

REFUSED_WITHIN_MS = 3000
"""How long a refused client keeps trying before it gives up (kafka-python retries the bootstrap)."""


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("engage-sasl"),
        # Below Linux's ephemeral range (32768-60999): a port in it was once taken by a client
        # connection of an earlier test, and the broker could not bind it.
        kafka_port=_port("ENGAGE_TEST_SASL_KAFKA_PORT", 19592),
        service_port=_port("ENGAGE_TEST_SASL_SERVICE_PORT", 18865),
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_username="engage",
        kafka_password=SecretStr(secrets.token_urlsafe(24)),
        worker_id=f"engage-sasl-worker-{uuid.uuid4().hex[:8]}",
        sink_batch_wait_ms=50,
        worker_session_timeout_s=6.0,
        # A worker whose sends go unanswered stops and is started again within this (120 s by
        # default), well inside the end-to-end test's wait below.
        worker_delivery_limit_s=15.0,
    )
    # As a developer would export it for `engage up`: only kafka.sh reads it (not the components).
    saved = os.environ.get("KAFKA_ADMIN_PASSWORD")
    os.environ["KAFKA_ADMIN_PASSWORD"] = secrets.token_urlsafe(24)
    try:
        processes.up(settings)
        yield settings
    finally:
        try:
            processes.down(settings)
        finally:
            if saved is None:
                os.environ.pop("KAFKA_ADMIN_PASSWORD", None)
            else:
                os.environ["KAFKA_ADMIN_PASSWORD"] = saved


def admin(settings: Settings, **security: object) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=10_000,
        bootstrap_timeout_ms=REFUSED_WITHIN_MS,
        **security,
    )


def as_engage(settings: Settings, **changes: object) -> dict[str, object]:
    return {**client_options(settings), **changes}


def _refused_logins(settings: Settings) -> int:
    """How many logins the broker has refused for bad credentials, from its log."""
    server_log = settings.var_dir / "kafka" / "server-logs" / "server.log"
    text = server_log.read_text(errors="replace") if server_log.exists() else ""
    return text.count("Authentication failed during authentication due to invalid credentials")


class TestWhoIsRefused:
    def test_a_client_without_credentials_cannot_list_topics_or_produce(self, secure: Settings) -> None:
        with pytest.raises(KafkaError):
            admin(secure).list_topics()
        with pytest.raises(KafkaError):
            producer = KafkaProducer(
                bootstrap_servers=secure.bootstrap_servers,
                bootstrap_timeout_ms=REFUSED_WITHIN_MS,
                max_block_ms=REFUSED_WITHIN_MS,
            )
            producer.send(topics.EVENTS, b"not signed in").get(timeout=REFUSED_WITHIN_MS / 1000)
        # The project's own publisher without the settings' credentials is refused the same way.
        with pytest.raises(BrokerUnavailable):
            KafkaPublisher(secure.bootstrap_servers)
        # The same broker, the same moment, with the credentials: the refusals above were the login's.
        client = admin(secure, **client_options(secure))
        try:
            assert topics.EVENTS in client.list_topics()
        finally:
            client.close()

    def test_a_wrong_password_is_refused_by_the_broker(self, secure: Settings) -> None:
        before = _refused_logins(secure)
        with pytest.raises(KafkaError):
            admin(secure, **as_engage(secure, sasl_plain_password="not-" + secrets.token_urlsafe(24)))
        # Why it was refused, in the broker's own words. kafka-python names the refusal
        # (SaslAuthenticationFailed) in some runs, and in others sees only the socket the broker
        # closes after it (a fresh-clone run on 2026-12-05), so its log cannot be the evidence.
        assert _refused_logins(secure) > before

    def test_the_right_password_over_plain_is_refused(self, secure: Settings) -> None:
        # PLAIN sends the password itself; the client listener accepts SCRAM-SHA-512 only.
        with pytest.raises(KafkaError):
            admin(secure, **as_engage(secure, sasl_mechanism="PLAIN"))


class TestWhatTheApplicationMayDo:
    # An expected failure from 2026-11-25 to the ninth session: in 2 of 8 runs on 2026-11-25 the worker
    # folded its first batch over SASL and then waited on its own sends (faust's wait_empty in the log).
    # It passed in every run since (docs/security.md says how many), and a worker whose sends go
    # unanswered now stops itself and is started again (worker_delivery_limit_s, above;
    # tests/faults/test_broker_frozen.py shows that on purpose).
    def test_it_produces_and_consumes_events_and_the_stack_folds_them(
        self, secure: Settings, neighbourhoods: Neighbourhoods
    ) -> None:
        events = list(generate([n.id for n in neighbourhoods.all], 120, seed=20261125))
        publisher = KafkaPublisher(secure.bootstrap_servers, client_options(secure))
        try:
            for event in events:
                publisher.publish_event(event)
            publisher.flush()
        finally:
            publisher.close()
        read_back = {decode_envelope(value).event_id for value in kafka_admin.read_all(secure, topics.EVENTS)}
        assert read_back == {event.event_id for event in events}
        # The Faust worker folds them and the sink stores them, both signed in as the application.
        processes.wait(secure, timeout=90)
        activity = query(secure, "select neighbourhood_id, channel, events from activity_current")
        expected = {(r.neighbourhood_id, r.channel.value): r.events for r in fold(events).values()}
        assert {(r["neighbourhood_id"], r["channel"]): int(r["events"]) for r in activity} == expected
        stored = query(secure, "select event_id from events")
        assert {r["event_id"] for r in stored} == read_back

    def test_outside_its_acls_it_is_refused(self, secure: Settings) -> None:
        producer = KafkaProducer(
            bootstrap_servers=secure.bootstrap_servers, max_block_ms=10_000, **client_options(secure)
        )
        try:
            with pytest.raises(KafkaError, match="TopicAuthorization"):
                producer.send("engage.not-ours.v1", b"x").get(timeout=15)
        finally:
            producer.close(timeout=5)
        client = admin(secure, **client_options(secure))
        try:
            with pytest.raises(KafkaError, match="TopicAuthorization"):
                client.create_topics([NewTopic("engage.not-ours.v1", 1, 1)])
            # No Delete on the event log, the source of truth.
            with pytest.raises(KafkaError, match="TopicAuthorization"):
                client.delete_topics([topics.EVENTS])
            # Topics it has no ACL on are not even listed (the groups of the worker and sink use this one).
            assert "__consumer_offsets" not in client.list_topics()
        finally:
            client.close()
        consumer = KafkaConsumer(
            topics.EVENTS,
            bootstrap_servers=secure.bootstrap_servers,
            group_id="someone-else",
            consumer_timeout_ms=10_000,
            **client_options(secure),
        )
        try:
            with pytest.raises(KafkaError, match="GroupAuthorization"):
                consumer.poll(timeout_ms=10_000)
        finally:
            consumer.close(autocommit=False)
