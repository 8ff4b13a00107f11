"""The partner gateway as `engage gateway` runs it, on the real broker: signed records reach the events
topic once, duplicates are not published again, rejected records reach the dead-letter topic, and the
worker folds the accepted ones into DuckDB."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.gateway.client import post_records
from connectors.rejections import DeadLetter
from engage import kafka_admin, processes
from engage.settings import REPO_ROOT, Settings
from events import topics
from events.codec import decode_envelope
from tests.gateway_support import BLOOMSBURY, COUNCIL, SECRETS, open311, write_grants
from tests.integration.conftest import counts, delta

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/openapi.json", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def gateway(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`engage gateway` in a child process, with its own port and grants, on the session's broker."""
    tmp_path = tmp_path_factory.mktemp("gateway")
    port = _free_port()
    env = {
        **os.environ,
        **SECRETS,
        "ENGAGE_VAR_DIR": str(stack.var_dir),
        "ENGAGE_KAFKA_HOST": stack.kafka_host,
        "ENGAGE_KAFKA_PORT": str(stack.kafka_port),
        "ENGAGE_GATEWAY_PORT": str(port),
        "ENGAGE_GATEWAY_GRANTS_PATH": str(write_grants(tmp_path)),
    }
    log_path = tmp_path / "gateway.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log_file:
        child = subprocess.Popen(
            [sys.executable, "-m", "engage", "gateway"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
        )
    try:

        def ready() -> bool:
            if child.poll() is not None:
                raise AssertionError(f"engage gateway exited: {log_path.read_text(errors='replace')}")
            return _answers(url)

        processes.wait_until(ready, timeout=60, what="the gateway answering")
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _statuses(receipt: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r["reason"]) for r in receipt["results"]]


class TestGatewayOnTheRealBroker:
    def test_signed_records_reach_the_events_and_dead_letter_topics(
        self, stack: Settings, gateway: str
    ) -> None:
        run = uuid.uuid4().hex[:8]  # new records for this run, whatever the session sent before
        records = [
            open311(f"{run}-good-1"),
            open311(f"{run}-good-2", description="Call jo@example.com"),
            open311(f"{run}-st-pancras", lat=51.5308, long=-0.1240),
            open311(f"{run}-liverpool", lat=53.40, long=-2.98),
            open311(None),
        ]
        # What earlier tests published must be in DuckDB before the count this test compares against.
        processes.wait(stack, timeout=120)
        before = counts(stack, "partner_call")
        now = int(time.time())
        first = post_records(gateway, "open311", records, COUNCIL.key_id, COUNCIL.secret, timestamp=now)
        # Signed a second later: the same body in the same second would be refused as a replay.
        again = post_records(gateway, "open311", records, COUNCIL.key_id, COUNCIL.secret, timestamp=now + 1)

        assert _statuses(first) == [
            ("accepted", None),
            ("accepted", None),
            ("rejected", "not_granted"),
            ("rejected", "unplaced"),
            ("rejected", "missing_field"),
        ]
        assert [s for s, _ in _statuses(again)] == [
            "duplicate",
            "duplicate",
            "rejected",
            "rejected",
            "rejected",
        ]
        accepted = [r["event_id"] for r in first["results"][:2]]

        events = [decode_envelope(v) for v in kafka_admin.read_all(stack, topics.EVENTS)]
        mine = [e for e in events if e.event_id in accepted]
        # Once each: the duplicates of the second request were not published again.
        assert sorted(e.event_id for e in mine) == sorted(accepted)
        assert {e.neighbourhood_id for e in mine} == {BLOOMSBURY}
        assert "jo@example.com" not in json.dumps([e.model_dump(mode="json") for e in mine])

        letters = [DeadLetter.model_validate_json(v) for v in kafka_admin.read_all(stack, topics.DEADLETTER)]
        by_request = {
            receipt["request_id"]: {
                d.line: d.reason.value
                for d in letters
                if d.file == f"gateway/camden-council/{receipt['request_id']}"
            }
            for receipt in (first, again)
        }
        expected = {3: "not_granted", 4: "unplaced", 5: "missing_field"}
        assert by_request == {first["request_id"]: expected, again["request_id"]: expected}

        processes.wait(stack, timeout=120)
        assert delta(counts(stack, "partner_call"), before) == {BLOOMSBURY: 2}

    def test_a_request_signed_with_another_secret_is_refused(self, gateway: str) -> None:
        with pytest.raises(urllib.error.HTTPError) as refused:
            post_records(gateway, "open311", [open311()], COUNCIL.key_id, b"x" * 40)
        assert refused.value.code == 401
        assert json.loads(refused.value.read())["error"] == "bad_signature"
