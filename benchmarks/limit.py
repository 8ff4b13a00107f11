"""The limit: a plain consumer reading the events topic from its start, nothing else.

Each reads ``count`` messages from every partition of the events topic (no consumer group, so no
rebalance and no commit), optionally decoding each with ``events.codec.decode_envelope``, the one
piece of work any consumer of ours must do. The clock starts once the consumer is connected and
assigned, just before its first fetch, and stops at the ``count``-th message: at small counts the
first fetch's round trip weighs on the rate, at a million events it does not.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition

from engage import kafka_admin
from engage.settings import Settings
from events import topics
from events.codec import decode_envelope


class LimitRunFailed(RuntimeError):
    """A plain consumer could not read the events it was asked to."""


async def _aiokafka(
    settings: Settings, partitions: list[int], count: int, decode: bool, timeout_s: float
) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="engage-bench-limit",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topics.EVENTS, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        read = 0
        started = time.perf_counter()
        deadline = started + timeout_s
        while read < count:
            if time.perf_counter() > deadline:
                raise LimitRunFailed(f"aiokafka read {read} of {count} events in {timeout_s:.0f}s")
            batches = await consumer.getmany(timeout_ms=50, max_records=10_000)
            for messages in batches.values():
                for message in messages:
                    if read >= count:
                        break
                    if decode:
                        decode_envelope(message.value or b"")
                    read += 1
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def aiokafka_read(settings: Settings, count: int, *, decode: bool, timeout_s: float = 600) -> float:
    """Seconds aiokafka takes to read (and decode) ``count`` events."""
    partitions = sorted(kafka_admin.end_offsets(settings, topics.EVENTS))
    return asyncio.run(_aiokafka(settings, partitions, count, decode, timeout_s))


def confluent_read(settings: Settings, count: int, *, decode: bool, timeout_s: float = 600) -> float:
    """Seconds confluent-kafka (librdkafka) takes to read (and decode) ``count`` events."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer
    from confluent_kafka import TopicPartition as ConfluentPartition

    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            # librdkafka wants a group even for assign(); nothing is committed to it.
            "group.id": f"engage-bench-limit-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "client.id": "engage-bench-limit",
        }
    )
    try:
        metadata = consumer.list_topics(topics.EVENTS, timeout=10)
        partitions = sorted(metadata.topics[topics.EVENTS].partitions)
        consumer.assign([ConfluentPartition(topics.EVENTS, p, OFFSET_BEGINNING) for p in partitions])
        read = 0
        started = time.perf_counter()
        deadline = started + timeout_s
        while read < count:
            if time.perf_counter() > deadline:
                raise LimitRunFailed(f"confluent-kafka read {read} of {count} events in {timeout_s:.0f}s")
            messages = consumer.consume(num_messages=10_000, timeout=0.05)
            for message in messages:
                if message.error() is not None:
                    raise LimitRunFailed(f"confluent-kafka: {message.error()}")
                if read >= count:
                    break
                if decode:
                    decode_envelope(message.value() or b"")
                read += 1
        return time.perf_counter() - started
    finally:
        consumer.close()
