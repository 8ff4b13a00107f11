"""One neighbourhood's events read back from the retained events log, for a withdrawal.

A record's withdrawal folds its neighbourhood again (``projections/erasure.py``). The events topic is
keyed by neighbourhood id, so all of them are on one partition; the keys are compared before any
value is decoded, so the cost is reading the partition, not parsing it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
from pydantic import ValidationError

from engage.errors import EngageError
from engage.kafka_auth import client_options
from engage.settings import Settings
from events import Envelope, topics
from events.codec import UndecodableEvent, decode_envelope

if TYPE_CHECKING:
    from kafka import KafkaConsumer

log = structlog.get_logger(__name__)

READ_LIMIT_S = 120.0
"""Longest a read back may take; past it the broker is not serving the partition, and the caller
stops rather than fold a neighbourhood from part of its log."""


class LogReadIncomplete(EngageError):
    """The events log could not be read up to the offset asked for."""


def log_reader(settings: Settings, client_id: str) -> KafkaConsumer:
    """A consumer for reading the events log back in bulk, in no group and committing nothing."""
    # kafka-python is imported on first use: the worker loads this module only for the rare
    # withdrawal, and the client would add about 6 MB to its resident size (docs/performance.md).
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        enable_auto_commit=False,
        max_poll_records=5000,
        fetch_max_bytes=64 * 1024 * 1024,
        **client_options(settings),
    )


def neighbourhood_log(
    settings: Settings, partition: int, neighbourhood_id: str, before: int
) -> list[tuple[int, Envelope]]:
    """``(offset, event)`` of every event keyed ``neighbourhood_id`` on ``partition`` below ``before``."""
    started = time.monotonic()
    wanted = neighbourhood_id.encode()
    found: list[tuple[int, Envelope]] = []
    if before <= 0:
        return found
    from kafka import TopicPartition

    tp = TopicPartition(topics.EVENTS, partition)
    consumer = log_reader(settings, "engage-withdrawal")
    read = 0
    try:
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        position = consumer.position(tp)
        while position < before:
            if time.monotonic() - started > READ_LIMIT_S:
                raise LogReadIncomplete(
                    f"reading {topics.EVENTS} partition {partition} stopped at offset {position} of "
                    f"{before} after {READ_LIMIT_S:.0f} s; check that the broker is up, then restart "
                    "the worker"
                )
            polled = consumer.poll(timeout_ms=1000)
            if not polled:
                position = consumer.position(tp)  # offsets with no record (control markers) end here
            for messages in polled.values():
                for message in messages:
                    position = message.offset + 1
                    if message.offset >= before:
                        break
                    read += 1
                    if message.key != wanted:
                        continue
                    try:
                        found.append((message.offset, decode_envelope(message.value)))
                    except (UndecodableEvent, ValidationError):
                        continue  # the worker's codec refuses the same bytes: it never folded them
    finally:
        consumer.close()
    log.info(
        "neighbourhood_log_read",
        neighbourhood=neighbourhood_id,
        partition=partition,
        before=before,
        read=read,
        found=len(found),
        seconds=round(time.monotonic() - started, 3),
    )
    return found
