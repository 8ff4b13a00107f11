"""Hostile records through the gateway: thousands of records, spoiled as in the connectors' test, sent
by a partner whose signature is good, so that each one reaches the mapping. The fuzz test beside this
one varies the signatures and the body's shape; this one varies the records. No request is answered
5xx; a request taken is answered record by record and its counts balance; every rejected record is one
dead letter with the reason the partner was told, and none holds the personal data planted."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors.base import MAX_DEPTH, printable
from connectors.gateway.app import build
from connectors.gateway.client import records_path, sign
from connectors.gateway.grants import served_sources
from connectors.rejections import Reason
from engage.settings import Settings
from events.codec import encode
from tests import hostile
from tests.gateway_support import T_NOW, FakeClock, write_grants

RECORDS = 2_000
"""Records the gateway must have answered one by one (in requests it took) for the test to pass."""
EXAMPLES = 170
SECRET_ENV = "TEST_SECRET_HOSTILE"
SECRET = "hostile-partner-secret-for-tests-only-0123"
KEY_ID = "hostile-1"
SERVED = sorted(served_sources())
RIG_START = T_NOW + 400 * 86_400
"""2027-02-05: after every sound record's time, so that what is rejected is rejected for its spoiling."""


@dataclass
class Rig:
    client: TestClient
    publisher: hostile.WirePublisher
    clock: FakeClock


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    folder = tmp_path_factory.mktemp("gateway-hostile")
    grants = {
        "grants": [
            {
                "partner": "hostile-partner",
                "key_id": KEY_ID,
                "secret_env": SECRET_ENV,
                "sources": SERVED,
                "neighbourhoods": "*",
            }
        ]
    }
    config = Settings(var_dir=folder, gateway_grants_path=write_grants(folder, grants))
    publisher, clock = hostile.WirePublisher(), FakeClock(RIG_START)
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        app = build(config, publisher, environ={SECRET_ENV: SECRET}, clock=clock)
        with TestClient(app) as client:
            yield Rig(client, publisher, clock)
    finally:
        structlog.configure(**previous)


def sendable(value: Any, depth: int = 0) -> Any:
    """The value with what a JSON body cannot carry (NaN, lone surrogates, nesting past the limit, an
    integer Python will not read) made into what it can, so that the request reaches its records."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return (
            "7" * 400
            if value == hostile.DIGITS_MARK
            else printable(value).replace(hostile.BYTES_MARK, "\ufffd")
        )
    if depth >= MAX_DEPTH - 2:
        return "too deep"
    if isinstance(value, list):
        return [sendable(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {printable(str(key)): sendable(item, depth + 1) for key, item in value.items()}
    return value


def test_the_rig_serves_every_source_the_gateway_takes() -> None:
    assert set(SERVED) == {"canonical", "meetings", "open311", "social"}
    assert set(SERVED) <= set(hostile.SOURCES)


def test_hostile_records_are_answered_one_by_one_and_dead_lettered_with_their_reason(rig: Rig) -> None:
    tried: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(source=st.sampled_from(SERVED), data=st.data())
    def check(source: str, data: st.DataObject) -> None:
        records = data.draw(hostile.spoiled_records(source, 10, 16), label="records")
        rig.clock.now += 1
        text = json.dumps(
            {"records": [sendable(record) for record in records]}, ensure_ascii=data.draw(st.booleans())
        )
        # Ids of this request's own, so that records are not duplicates of an earlier request's.
        body = hostile.fresh_ids(text.encode(), prefix=f"G{int(rig.clock.now)}")
        sent = json.loads(body)["records"]
        path = records_path(source)
        events_before, letters_before = len(rig.publisher.events), len(rig.publisher.dead_letters)
        response = rig.client.post(
            path, content=body, headers=sign(KEY_ID, SECRET.encode(), "POST", path, body, int(rig.clock.now))
        )
        assert response.status_code < 500, response.text
        new_events = rig.publisher.events[events_before:]
        new_letters = rig.publisher.dead_letters[letters_before:]
        if response.status_code != 200:
            # Too large a body (huge strings): refused whole, nothing published.
            assert response.json()["error"] == "body_too_large"
            assert not new_events and not new_letters
            tried["refused_requests"] += 1
            return
        receipt = response.json()
        results = receipt["results"]
        assert [result["index"] for result in results] == list(range(len(sent)))
        assert receipt["accepted"] + receipt["duplicate"] + receipt["rejected"] == len(sent)
        rejected = [result for result in results if result["status"] == "rejected"]
        assert len(rejected) == receipt["rejected"] == len(new_letters)
        assert [(r["index"] + 1, r["reason"], r["detail"]) for r in rejected] == [
            (letter.line, letter.reason.value, letter.detail) for letter in new_letters
        ]
        for letter in new_letters:
            assert isinstance(letter.reason, Reason) and letter.detail.strip()
            assert not hostile.leaked(encode(letter)), letter
        for event in new_events:
            assert not hostile.leaked(encode(event.payload)), event
        tried["answered"] += len(sent)
        tried["rejected"] += receipt["rejected"]

    check()
    assert tried["answered"] >= RECORDS, tried
    assert tried["rejected"] >= RECORDS // 2, tried
