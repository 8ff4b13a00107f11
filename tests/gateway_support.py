"""Builders shared by the gateway's tests: a grants file, a clock that moves only when told, the
gateway wired on a given publisher, and signed requests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from connectors.gateway.app import build
from connectors.gateway.client import encode_records, records_path, sign
from connectors.ingest import Publisher
from engage.settings import Settings

BLOOMSBURY = "E36007158"
ST_PANCRAS = "E36007172"
T_NOW = 1_767_225_600
"""2026-01-01T00:00:00Z, the fake clock's start."""

SECRETS = {
    "TEST_SECRET_COUNCIL": "council-secret-for-tests-only-0123456789",
    "TEST_SECRET_FIRE": "fire-service-secret-for-tests-only-01234",
}


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes


COUNCIL = Key("council-1", SECRETS["TEST_SECRET_COUNCIL"].encode())
"""May send open311, canonical and meetings records about Bloomsbury only."""
FIRE = Key("fire-1", SECRETS["TEST_SECRET_FIRE"].encode())
"""May send open311 records about any neighbourhood."""

GRANTS: dict[str, Any] = {
    "grants": [
        {
            "partner": "camden-council",
            "key_id": COUNCIL.key_id,
            "secret_env": "TEST_SECRET_COUNCIL",
            "sources": ["open311", "canonical", "meetings"],
            "neighbourhoods": ["Bloomsbury"],
        },
        {
            "partner": "fire-service",
            "key_id": FIRE.key_id,
            "secret_env": "TEST_SECRET_FIRE",
            "sources": ["open311"],
            "neighbourhoods": "*",
        },
    ]
}


class FakeClock:
    """Unix time that stands still unless a test moves it."""

    def __init__(self, now: float = T_NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def write_grants(folder: Path, document: Mapping[str, Any] = GRANTS) -> Path:
    path = folder / "grants.yaml"
    path.write_text(yaml.safe_dump(dict(document)), encoding="utf-8")
    return path


def gateway_settings(var_dir: Path, **overrides: Any) -> Settings:
    return Settings(var_dir=var_dir, gateway_grants_path=write_grants(var_dir), **overrides)


def gateway_app(settings: Settings, publisher: Publisher, clock: FakeClock) -> FastAPI:
    return build(settings, publisher, environ=SECRETS, clock=clock)


def open311(request_id: str | None = "R-1", **overrides: Any) -> dict[str, Any]:
    """An Open311 request placed in Bloomsbury."""
    fields: dict[str, Any] = {
        "service_request_id": request_id,
        "service_name": "Graffiti Removal",
        "service_code": "GRAF",
        "description": "Tags on the wall.",
        "requested_datetime": "2024-05-01T09:30:00+01:00",
        "lat": 51.5194,
        "long": -0.1270,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def post_signed(
    client: TestClient | httpx2.Client,
    source: str,
    body: bytes,
    key: Key,
    timestamp: float,
    *,
    drop: Sequence[str] = (),
    replace: Mapping[str, str | bytes] | None = None,
) -> httpx2.Response:
    """POST a body signed with ``key`` at ``timestamp``; ``drop`` and ``replace`` spoil its headers."""
    path = records_path(source)
    headers: dict[str, str | bytes] = {
        "Content-Type": "application/json",
        **sign(key.key_id, key.secret, "POST", path, body, timestamp=int(timestamp)),
    }
    headers.update(replace or {})
    for name in drop:
        headers.pop(name, None)
    raw = {
        name.encode(): value if isinstance(value, bytes) else value.encode()
        for name, value in headers.items()
    }
    return client.post(path, content=body, headers=raw)


def post_records(
    client: TestClient | httpx2.Client, source: str, records: Sequence[Any], key: Key, timestamp: float
) -> httpx2.Response:
    return post_signed(client, source, encode_records(records), key, timestamp)


def body_of(records: Sequence[Any]) -> bytes:
    return json.dumps({"records": list(records)}).encode()
