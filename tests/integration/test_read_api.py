"""The read-side API as `engage up` starts it (uvicorn, the tokens file, the local analyst token): roles
over real HTTP, and the audit log in the service's DuckDB."""

from __future__ import annotations

import json
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from engage import processes
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


def test_the_dashboard_and_the_pack_are_served_to_analysts_only(stack: Settings, tmp_path: Path) -> None:
    from events import Theme
    from tests.integration.conftest import send
    from tests.integration.test_intelligence import START, Scenario, post

    s = Scenario()
    send(
        stack,
        [s.event("D", START + timedelta(hours=i), post(f"p_d{i}", Theme.DRUGS, -0.5)) for i in range(5)],
    )
    processes.wait(stack, timeout=120)
    analyst = auth_headers(stack)
    status, page = call(stack, "/dashboard", analyst)
    assert status == 200 and b"<svg" in page and b"OFFICIAL" in page
    assert call(stack, "/dashboard", {})[0] == 403  # the public may not read evidence text
    token = stack.local_token_path.read_text().strip()
    # A browser signs in once with a form; the cookie then stands for the header.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(
        urllib.request.Request(
            stack.service_url + "/dashboard/login", data=urllib.parse.urlencode({"token": token}).encode()
        ),
        timeout=30,
    ) as response:
        assert response.status == 200 and b"<svg" in response.read()
    assert call(stack, "/dashboard/login", {}, b"token=wrong")[0] == 401

    body = json.dumps({"area": "itest", "as_of": (START + timedelta(days=1)).isoformat()}).encode()
    headers = {**analyst, "Content-Type": "application/json"}
    status, answer = call(stack, "/api/v1/briefings", headers, body)
    assert status == 200, answer
    folder = Path(json.loads(answer)["folder"])
    assert (folder / "pack.pdf").read_bytes().startswith(b"%PDF") and (folder / "pack.html").exists()
    assert call(stack, "/api/v1/briefings", {"Content-Type": "application/json"}, body)[0] == 403
