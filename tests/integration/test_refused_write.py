"""A write the broker refuses holds its batch: nothing is committed past it, nothing lost behind it.

faust flushes its producer before it commits, but a flush waits for sends without looking at their
answers. So the worker waits for every answer of a batch before it acknowledges the batch: a refused
write stops the worker (its supervisor starts another), and the batch is folded again once the broker
takes it. Here the views topic is made to refuse every view for a while.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage import kafka_admin, processes
from engage.settings import Settings
from events import topics
from tests.integration.conftest import counts, delta, query, send

pytestmark = pytest.mark.integration

TOO_SMALL = "200"
"""Bytes: less than any compressed view, so the broker refuses each (MESSAGE_TOO_LARGE)."""


def _views_topic_limit(settings: Settings, limit: str | None) -> None:
    """Set the views topic's largest record; ``None`` puts back the project's own settings."""
    configs = dict(kafka_admin.topic_configs(settings)[topics.NEIGHBOURHOOD_VIEWS])
    if limit is not None:
        configs["max.message.bytes"] = limit
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="engage-test")
    try:
        # A full (not incremental) alter: every setting the topic keeps is given again.
        resource = ConfigResource(ConfigResourceType.TOPIC, topics.NEIGHBOURHOOD_VIEWS, configs=configs)
        admin.alter_configs([resource])
    finally:
        admin.close()


def _version(settings: Settings, place: str) -> int:
    rows = query(settings, f"select version from projection_versions where neighbourhood_id = '{place}'")
    return int(rows[0]["version"]) if rows else 0


def _worker_log(settings: Settings) -> str:
    return (settings.log_dir / "worker.log").read_text(encoding="utf-8", errors="replace")


def test_a_view_the_broker_refuses_holds_its_batch_until_the_broker_takes_it(
    stack: Settings, neighbourhoods: Neighbourhoods
) -> None:
    processes.wait(stack, timeout=300)
    place = neighbourhoods.all[0].id
    event = next(generate([place], 1, seed=20261206, start=datetime(2026, 12, 1, tzinfo=UTC)))
    before, version = counts(stack), _version(stack, place)
    failures_before = _worker_log(stack).count("batch_failed_stopping")
    _views_topic_limit(stack, TOO_SMALL)
    try:
        assert send(stack, [event]) == 1
        deadline = time.monotonic() + 90
        while _worker_log(stack).count("batch_failed_stopping") == failures_before:
            assert time.monotonic() < deadline, "the worker went on past a view the broker refused"
            time.sleep(0.5)
        # Refused, so not committed: the worker's group still has the event to fold.
        assert processes.caught_up(stack)[1]["worker"] >= 1
    finally:
        _views_topic_limit(stack, None)
    processes.wait(stack, timeout=300)
    assert delta(counts(stack), before) == {place: 1}
    assert _version(stack, place) == version + 1, "the refused view never reached the read side"
    assert "RecordTooLarge" in _worker_log(stack) or "MessageSizeTooLarge" in _worker_log(stack)
