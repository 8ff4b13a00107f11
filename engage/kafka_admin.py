"""Topics and consumer progress, asked of the broker with kafka-python."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from engage.errors import BrokerUnavailable
from engage.kafka_auth import client_options, refusal_hint
from engage.settings import Settings
from events import topics

DAY_MS = 24 * 60 * 60 * 1000


def deadletter_retention_days(settings: Settings) -> int:
    """Dead letters hold rejected records, social posts among them: none outlives social retention."""
    social = settings.social_retention_days
    return (
        settings.deadletter_retention_days
        if social is None
        else min(settings.deadletter_retention_days, social)
    )


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    return {
        # The log is the source of truth: keep it. Every channel shares it, so social retention cannot
        # be a topic setting here without deleting the other channels' history too.
        topics.EVENTS: {"retention.ms": "-1"},
        topics.DEADLETTER: {"retention.ms": str(deadletter_retention_days(settings) * DAY_MS)},
        topics.ACTIVITY_UPDATES: {"cleanup.policy": "compact"},
        # Compacted: a new sink gets every neighbourhood's newest view; full history comes from rebuild.
        topics.NEIGHBOURHOOD_VIEWS: {
            "cleanup.policy": "compact",
            "max.message.bytes": str(settings.worker_max_message_bytes),
        },
        topics.TENSION_ALERTS: {"retention.ms": "-1"},
    }


def _admin(settings: Settings) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers,
            client_id="engage-admin",
            request_timeout_ms=15_000,
            bootstrap_timeout_ms=10_000,
            **client_options(settings),
        )
    except KafkaError as exc:
        raise BrokerUnavailable(
            f"no Kafka broker answered at {settings.bootstrap_servers}{refusal_hint(settings)}; "
            "start it with `engage up`"
        ) from exc


def ensure_topics(settings: Settings) -> list[str]:
    """Create the topics this system owns; returns the ones it had to create."""
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics())
        missing = {
            name: {"num_partitions": settings.partitions, "replication_factor": 1, "configs": configs}
            for name, configs in topic_configs(settings).items()
            if name not in existing
        }
        if missing:
            admin.create_topics(missing, timeout_ms=30_000, wait_for_metadata=True)
        return sorted(missing)
    finally:
        admin.close()


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    behind: Mapping[int, int]
    """Messages not yet processed, per partition."""

    @property
    def total(self) -> int:
        return sum(self.behind.values())


def lag(settings: Settings, group: str, topic: str) -> Lag:
    """How far a consumer group's committed offsets are behind the end of a topic."""
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
            client_id="engage-lag",
            bootstrap_timeout_ms=10_000,
            **client_options(settings),
        )
    except KafkaError as exc:
        raise BrokerUnavailable(
            f"no Kafka broker answered at {settings.bootstrap_servers}{refusal_hint(settings)}"
        ) from exc
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        ends: Mapping[TopicPartition, int] = consumer.end_offsets(tps) if tps else {}
        behind = {tp.partition: max(0, ends[tp] - (consumer.committed(tp) or 0)) for tp in tps}
        return Lag(group, topic, behind)
    except KafkaError as exc:
        raise BrokerUnavailable(f"the broker at {settings.bootstrap_servers} did not answer: {exc}") from exc
    finally:
        consumer.close(autocommit=False)


def assignments(settings: Settings, group: str, topic: str) -> list[frozenset[int]]:
    """The partitions of ``topic`` each live member of a consumer group holds, one set per member.

    A member between a join and the end of its rebalance holds an empty set.
    """
    # faust's members send their own subscription metadata, which kafka-python warns it cannot decode
    # on every call; the assignments, in the consumer protocol's layout, it decodes.
    logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)
    admin = _admin(settings)
    try:
        described: dict[str, Any] = admin.describe_groups([group])
    except KafkaError as exc:
        raise BrokerUnavailable(f"the broker at {settings.bootstrap_servers} did not answer: {exc}") from exc
    finally:
        admin.close()
    held: list[frozenset[int]] = []
    for member in described.get(group, {}).get("members", []):
        assignment = member.get("member_assignment")
        if not isinstance(assignment, dict):
            # Not yet assigned (empty) or not in the consumer protocol's layout: holds nothing known.
            assignment = {}
        partitions = (
            p
            for entry in assignment.get("assigned_partitions", [])
            if entry.get("topic") == topic
            for p in entry.get("partitions", [])
        )
        held.append(frozenset(int(p) for p in partitions))
    return held


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """``topic``'s end offset per partition, as it stands now (empty if the topic does not exist)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, client_id="engage-lag", **client_options(settings)
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            return {}
        return {tp.partition: int(o) for tp, o in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def read_all(settings: Settings, topic: str, timeout_ms: int = 5000) -> Iterable[bytes]:
    """Every value on a topic from the beginning to its current end (for tests and dead letters)."""
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            client_id="engage-reader",
            enable_auto_commit=False,
            consumer_timeout_ms=timeout_ms,
            **client_options(settings),
        )
    except KafkaError as exc:
        raise BrokerUnavailable(
            f"no Kafka broker answered at {settings.bootstrap_servers}{refusal_hint(settings)}; "
            "start it with `engage up`"
        ) from exc
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        values: list[bytes] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        for message in consumer:
            values.append(message.value)
            tp = TopicPartition(message.topic, message.partition)
            if message.offset + 1 >= ends[tp]:
                remaining.discard(tp)
            if not remaining:
                break
        return values
    finally:
        consumer.close()
