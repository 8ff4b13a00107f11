"""The read-side API as `engage up` starts it (uvicorn, the tokens file, the local analyst token): roles
over real HTTP, and the audit log in the service's DuckDB."""

from __future__ import annotations

import json
import stat
import time
import urllib.error
import urllib.request
import uuid

import pytest

from engage.settings import Settings
from projections.api.access import auth_headers
from tests.integration.conftest import query

pytestmark = pytest.mark.integration


def call(
    settings: Settings, path: str, headers: dict[str, str], data: bytes | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(settings.service_url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_up_leaves_a_private_analyst_token_that_the_service_knows(stack: Settings) -> None:
    assert stat.S_IMODE(stack.local_token_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(stack.api_tokens.stat().st_mode) == 0o600
    status, body = call(stack, "/status", auth_headers(stack))
    assert status == 200 and "positions" in json.loads(body)


def test_roles_and_the_audit_over_http(stack: Settings) -> None:
    marker = uuid.uuid4().hex
    assert call(stack, "/health", {})[0] == 200
    assert call(stack, f"/api/v1/neighbourhoods?as_of=2026-01-01&m={marker}", {})[0] == 200
    status, body = call(stack, f"/query?m={marker}", {}, b"select 1")
    assert status == 403 and "analyst" in json.loads(body)["error"]
    status, _ = call(stack, f"/api/v1/tension?m={marker}", {"Authorization": "Bearer guessed"})
    assert status == 401
    status, body = call(stack, f"/api/v1/tension?m={marker}&format=csv", auth_headers(stack))
    assert status == 200 and body.decode().startswith("neighbourhood_id,name,level")
    deadline = time.monotonic() + 30
    while True:
        rows = query(
            stack,
            "select token_name, role, method, path, status from audit_log "
            f"where query_string like '%m={marker}%' order by requested_at",
        )
        if len(rows) == 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [tuple(r.values()) for r in rows] == [
        ("public", "public", "GET", "/api/v1/neighbourhoods", "200"),
        ("public", "public", "POST", "/query", "403"),
        ("invalid", "none", "GET", "/api/v1/tension", "401"),
        ("local-analyst", "analyst", "GET", "/api/v1/tension", "200"),
    ]
