"""Thousands of requests against the gateway, signed well and badly, with bodies from sound to random:
it never answers 5xx, answers every record of a request it takes, and publishes nothing for one it
refuses."""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connectors.gateway.client import SIGNATURE_HEADER, records_path, sign
from connectors.ingest import ListPublisher
from connectors.rejections import DeadLetter
from engage.settings import Settings
from events import Envelope, EventType, Theme
from events.codec import decode, decode_envelope, encode
from tests.gateway_support import BLOOMSBURY, COUNCIL, FIRE, FakeClock, Key, gateway_app, gateway_settings

EXAMPLES = 2000
"""About 30 s on a 2-core machine shared with other work."""

CAMDEN_IDS = [f"E3600{n}" for n in range(7157, 7175)]
SOURCES = ["open311", "canonical", "meetings", "social", "surveys", "council-csv", "police-uk-crime"]
MODES = ["valid"] * 10 + ["wrong_secret", "unknown_key", "missing", "stale", "garbage", "tampered", "replay"]


class WirePublisher(ListPublisher):
    """The in-memory publisher, but everything must survive the codec the Kafka publisher uses."""

    def publish_event(self, event: Envelope) -> None:
        assert decode_envelope(encode(event)) == event
        super().publish_event(event)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        assert decode(DeadLetter, encode(letter)) == letter
        super().publish_dead_letter(letter)


@dataclass
class Rig:
    client: TestClient
    publisher: WirePublisher
    clock: FakeClock
    settings: Settings


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    config = gateway_settings(
        tmp_path_factory.mktemp("gateway-fuzz"), gateway_max_body_bytes=4096, gateway_max_records=8
    )
    publisher, clock = WirePublisher(), FakeClock()
    # Thousands of requests: keep their debug lines (one per rejected record) out of the capture.
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        with TestClient(gateway_app(config, publisher, clock)) as client:
            yield Rig(client, publisher, clock, config)
    finally:
        structlog.configure(**previous)


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


NEW_ID = "new-id-here"
"""Replaced by a fresh id in each body: hypothesis draws the same few values again and again, so ids it
drew would almost all be duplicates after the first examples."""
_fresh = itertools.count()


def ids(prefix: str) -> st.SearchStrategy[str]:
    """Mostly new ids, sometimes one of three that keep coming back (duplicates)."""
    return st.sampled_from([NEW_ID] * 3 + [f"{prefix}-{n}" for n in (1, 2, 3)])


POINTS = [(51.5194, -0.1270)] * 3 + [(51.5308, -0.1240), (51.5510, -0.1430), (53.40, -2.98)]
"""In Bloomsbury (granted to the council's key), St Pancras and Somers Town, Camden Town, Liverpool."""


@st.composite
def spoiled(
    draw: st.DrawFn, sound: dict[str, Any], spoilers: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """The sound record more often than not; else one field replaced, or dropped, or any JSON at all."""
    how = draw(st.sampled_from(["sound"] * 6 + ["replace"] * 3 + ["drop", "anything"]))
    record = dict(sound)
    if how == "replace":
        field = draw(st.sampled_from(sorted(spoilers)))
        record[field] = draw(spoilers[field] | json_values)
    elif how == "drop":
        del record[draw(st.sampled_from(sorted(record)))]
    elif how == "anything":
        record[draw(st.text(max_size=8))] = draw(json_values)
    return record


@st.composite
def open311_records(draw: st.DrawFn) -> dict[str, Any]:
    lat, long = draw(st.sampled_from(POINTS))
    sound = {
        "service_request_id": draw(ids("R")),
        "requested_datetime": "2024-05-01T09:30:00+01:00",
        "lat": draw(st.sampled_from([lat, str(lat)])),
        "long": long,
        "service_code": draw(st.sampled_from(["GRAF", "NOISE", "PARKING", ""])),
        "description": draw(st.text(max_size=40) | st.just("mail jo@example.com or 07700 900123")),
    }
    spoilers = {
        "service_request_id": st.sampled_from(["", "  "]),
        "requested_datetime": st.sampled_from(["2024-05-01T09:30:00", "soon", "2024-13-01T00:00:00Z"]),
        "lat": st.sampled_from(["north", "nan", "1e400"]) | st.floats(),
        "long": st.floats(),
        # At the length limit, where a placeholder longer than what it replaces could overflow it.
        "description": st.text(alphabet="ab @.0", min_size=1990, max_size=2010)
        # Past the body limit of the rig (4 KiB).
        | st.text(alphabet="ab ", min_size=4000, max_size=5000),
    }
    return draw(spoiled(sound, spoilers))


@st.composite
def canonical_records(draw: st.DrawFn) -> dict[str, Any]:
    sound = {
        "event_id": draw(ids("C")),
        "event_type": "PartnerCallLogged",
        "event_time": "2026-01-01T09:00:00+00:00",
        "source": "fire-service",
        "neighbourhood_id": draw(st.sampled_from([BLOOMSBURY] * 12 + CAMDEN_IDS)),
        "payload": {
            "event_type": "PartnerCallLogged",
            "partner": "fire-service",
            "service_code": draw(st.text(max_size=10)),
            "theme": draw(st.sampled_from([t.value for t in Theme])),
            "description": draw(st.text(max_size=40)),
        },
    }
    spoilers = {
        "event_id": st.sampled_from(["", 7]),
        "event_type": st.sampled_from([t.value for t in EventType]),
        "event_time": st.sampled_from(["2026-01-01T09:00:00", "soon"]),
        "neighbourhood_id": st.sampled_from(["E99999999", ""]),
        "payload": st.fixed_dictionaries({"event_type": st.just("PartnerCallLogged"), "theme": st.text()}),
        "schema_version": st.integers(),
    }
    return draw(spoiled(sound, spoilers))


def records_of(source: str) -> st.SearchStrategy[list[Any]]:
    """Mostly records in the source's own format, some in another's, some anything."""
    own, other = (
        (canonical_records(), open311_records())
        if source == "canonical"
        else (open311_records(), canonical_records())
    )
    # Weighted by sampling a kind: one_of(own, own, own, ...) would count ``own`` once.
    kinds = {"own": own, "other": other, "any": json_values}
    record = st.sampled_from(["own"] * 4 + ["other", "any"]).flatmap(kinds.__getitem__)
    return st.lists(record, max_size=10)


@st.composite
def bodies(draw: st.DrawFn, source: str) -> bytes:
    kind = draw(st.sampled_from(["records"] * 6 + ["json", "bytes", "cut"]))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    text = json.dumps({"records": draw(records_of(source))}, ensure_ascii=draw(st.booleans()))
    body = re.sub(NEW_ID, lambda _: f"N-{next(_fresh)}", text).encode()
    if kind == "cut":
        return body[: draw(st.integers(0, max(0, len(body) - 1)))]
    return body


def headers_for(mode: str, key: Key, path: str, body: bytes, now: float) -> dict[str, str]:
    moment = int(now - 1000) if mode == "stale" else int(now)
    if mode == "wrong_secret":
        key = Key(key.key_id, b"not-the-secret-" * 3)
    elif mode == "unknown_key":
        key = Key("nobody", key.secret)
    headers = sign(key.key_id, key.secret, "POST", path, body + (b" " if mode == "tampered" else b""), moment)
    if mode == "missing":
        del headers[SIGNATURE_HEADER]
    elif mode == "garbage":
        headers[SIGNATURE_HEADER] = "f" * 64
    return headers


def sent_records(body: bytes) -> list[Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("records") if isinstance(document, dict) else None


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    source=st.integers(0, 9).flatmap(
        lambda n: (
            st.sampled_from(["open311", "canonical"])
            if n
            else st.sampled_from(SOURCES) | st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True)
        )
    ),
    data=st.data(),
    mode=st.sampled_from(MODES),
    key=st.sampled_from([COUNCIL, FIRE]),
)
def test_no_request_gets_a_5xx_and_every_record_is_answered(
    rig: Rig, source: str, data: st.DataObject, mode: str, key: Key
) -> None:
    body = data.draw(bodies(source), label="body")
    rig.clock.now += 1
    path = records_path(source)
    headers = headers_for(mode, key, path, body, rig.clock.now)
    events_before, letters_before = len(rig.publisher.events), len(rig.publisher.dead_letters)
    response = rig.client.post(path, content=body, headers=headers)
    if mode == "replay" and response.status_code == 200:
        events_before, letters_before = len(rig.publisher.events), len(rig.publisher.dead_letters)
        response = rig.client.post(path, content=body, headers=headers)
        assert response.status_code == 409
    assert response.status_code < 500, response.text
    answer = response.json()
    event(f"{response.status_code} {answer.get('error', '')}")
    new_events = rig.publisher.events[events_before:]
    new_letters = rig.publisher.dead_letters[letters_before:]
    if response.status_code != 200:
        assert set(answer) == {"error", "detail"}
        assert not new_events and not new_letters
        return
    assert mode == "valid"
    sent = sent_records(body)
    assert sent is not None
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(sent)))
    statuses = [r["status"] for r in results]
    for status in set(statuses):
        event(f"a record {status}")
    assert [e.event_id for e in new_events] == [r["event_id"] for r in results if r["status"] == "accepted"]
    assert len(new_letters) == statuses.count("rejected")
    assert all((r["reason"] is None) == (r["status"] != "rejected") for r in results)
    assert all((r["event_id"] is None) == (r["status"] == "rejected") for r in results)
    if key is COUNCIL:
        assert {e.neighbourhood_id for e in new_events} <= {BLOOMSBURY}
