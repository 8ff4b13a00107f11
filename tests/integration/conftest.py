"""One real stack per test session: the Kafka broker from docker/kafka/kafka.sh, the Faust worker and
the read-side service, on their own ports and in a temporary folder, started and stopped by the same
code as `engage up` and `engage down`. Nothing here is a mock: stop the broker and these tests fail."""

from __future__ import annotations

import csv
import io
import json
import os
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import ingest
from connectors.base import Connector, Context
from connectors.ingest import Summary
from connectors.kafka_publisher import KafkaPublisher
from connectors.placing import Neighbourhoods
from engage import processes
from engage.settings import Settings
from events import Envelope
from projections import read_models
from projections.api.access import auth_headers

pytestmark = pytest.mark.integration


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    var = tmp_path_factory.mktemp("engage-var")
    settings = Settings(
        var_dir=var,
        kafka_port=_port("ENGAGE_TEST_KAFKA_PORT", 19092),
        service_port=_port("ENGAGE_TEST_SERVICE_PORT", 18765),
        # A group of its own: a worker left running by an interrupted session cannot join this one.
        worker_id=f"engage-test-worker-{uuid.uuid4().hex[:8]}",
        sink_batch_wait_ms=50,
        briefing_schedule=False,
        worker_session_timeout_s=6.0,
        # Every rebuild through the service folds the log in processes, as a large log does.
        rebuild_parallel_from=0,
    )
    try:
        processes.up(settings)
        yield settings
    finally:
        processes.down(settings)


def query(settings: Settings, sql: str) -> list[dict[str, str]]:
    """Rows of an analyst's SQL, through the service, with the local analyst token `engage up` made."""
    request = urllib.request.Request(
        settings.service_url + "/query", data=sql.encode(), method="POST", headers=auth_headers(settings)
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return list(csv.DictReader(io.StringIO(response.read().decode())))


def counts(settings: Settings, channel: str | None = None) -> dict[str, int]:
    where = f"where channel = '{channel}'" if channel else ""
    rows = query(
        settings, f"select neighbourhood_id, sum(events) as n from activity_current {where} group by 1"
    )
    return {r["neighbourhood_id"]: int(r["n"]) for r in rows}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def publish(settings: Settings, connector: Connector, path: Path, neighbourhoods: Neighbourhoods) -> Summary:
    """An ingest run through the real Kafka publisher, as `engage ingest` does it."""
    context = Context(neighbourhoods=neighbourhoods, recorded_time=datetime.now(UTC), salt=b"test")
    publisher = KafkaPublisher(settings.bootstrap_servers)
    try:
        return ingest.run(connector, path, context, publisher)
    finally:
        publisher.close()


def send(settings: Settings, events: Iterable[Envelope]) -> int:
    """Publish canonical events as a partner system would, through the real Kafka publisher."""
    publisher = KafkaPublisher(settings.bootstrap_servers)
    sent = 0
    try:
        for event in events:
            publisher.publish_event(event)
            sent += 1
        publisher.flush()
    finally:
        publisher.close()
    return sent


def snapshot(settings: Settings) -> dict[str, list[dict[str, str]]]:
    """Every rebuilt table's rows, in a fixed order, without the sink's wall-clock column."""
    tables = {table: "*" for table in read_models.REBUILT}
    tables["activity_current"] = "* exclude (updated_at)"
    return {
        table: query(settings, f"select {columns} from {table} order by all")
        for table, columns in tables.items()
    }


def rebuild(settings: Settings) -> dict[str, object]:
    request = urllib.request.Request(
        settings.service_url + "/rebuild", data=b"", method="POST", headers=auth_headers(settings)
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        result: dict[str, object] = json.loads(response.read())
        return result
