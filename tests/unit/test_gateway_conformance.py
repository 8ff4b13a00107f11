"""Requests generated from the gateway's own OpenAPI document (schemathesis), most of them signed:
every answer has a status and a body that the document declares, and none is a 5xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import structlog
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.gateway.app import openapi_document
from connectors.gateway.client import sign
from connectors.ingest import ListPublisher
from tests.gateway_support import FIRE, FakeClock, gateway_app, gateway_settings

EXAMPLES = 300
"""About 10 s on a 2-core machine shared with other work."""


@dataclass
class Served:
    client: TestClient
    clock: FakeClock


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    config = gateway_settings(tmp_path_factory.mktemp("gateway-conformance"))
    clock = FakeClock()
    app = gateway_app(config, ListPublisher(), clock)
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        with TestClient(app) as client:
            yield Served(client, clock)
    finally:
        structlog.configure(**previous)


# The document the service serves at /openapi.json (test_gateway.py checks they are the same). Loaded
# here rather than from a fixture: schemathesis' lazy loader does not run under this pytest.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_answer_is_one_the_openapi_document_declares(
    case: schemathesis.Case[Any], served: Served
) -> None:
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, bytes):  # negative cases: bodies that are not JSON
        body = case.body
    else:
        body = json.dumps(case.body).encode()
    served.clock.now += 1
    positive = case.meta is not None and case.meta.generation.mode is schemathesis.GenerationMode.POSITIVE
    if positive or len(body) % 2 == 0:
        # Signed by a key granted open311, so that generated bodies get past authentication.
        case.path_parameters = {"source": "open311"}
        headers = sign(FIRE.key_id, FIRE.secret, "POST", case.formatted_path, body, int(served.clock.now))
    else:
        headers = {name: str(value) for name, value in (case.headers or {}).items()}
    headers["Content-Type"] = "application/json"
    response = served.client.post(case.formatted_path, content=body, headers=headers)
    event(f"{response.status_code} {response.json().get('error', '')}")
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
