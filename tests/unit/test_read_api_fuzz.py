"""Requests generated from the read side's own OpenAPI document (schemathesis), as an analyst, a
partner, the public and a caller with a bad token: no answer is a 5xx, and every answer has a status,
a content type and a body that the document declares."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engage.settings import Settings
from projections.api.app import create_app, openapi_document
from tests.read_side_support import HEADERS, TOKENS, database

EXAMPLES = 180
"""Per operation (12 of them): about 2,200 requests, some 50 s on a 2-core machine shared with
other work."""

CALLERS = (
    HEADERS["analyst"],
    HEADERS["partner"],
    HEADERS["public"],
    HEADERS["analyst"],
    HEADERS["partner"],
    {"Authorization": "Bearer guessed"},
)
"""Who sends each request, chosen by a hash of it: mostly valid tokens, so that most requests get
past authentication to the parameters."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, FastAPI]]:
    folder = tmp_path_factory.mktemp("read-api-fuzz")
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    con, _ = database(folder / "engage.duckdb")
    try:
        app = create_app(con, Settings(var_dir=folder, query_timeout_s=5), tokens=TOKENS)
        with TestClient(app) as client:
            yield client, app
    finally:
        con.close()
        structlog.configure(**previous)


# The document the service serves at /openapi.json (test_read_api.py checks they are the same).
# Loaded here rather than from a fixture: schemathesis' lazy loader does not run under this pytest.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
def test_no_answer_is_a_server_error_and_each_is_declared(
    case: schemathesis.Case[Any], served: tuple[TestClient, FastAPI]
) -> None:
    client, _ = served
    if case.body is NOT_SET:
        body = b""
    elif isinstance(case.body, bytes):
        body = case.body
    else:
        body = str(case.body).encode("utf-8", errors="replace")
    spread = zlib.crc32(repr((case.formatted_path, case.query, body)).encode())
    headers = dict(CALLERS[spread % len(CALLERS)])
    if case.path == "/rebuild" and headers == HEADERS["analyst"]:
        headers = dict(HEADERS["partner"])  # an analyst's rebuild reads the broker, which is not here
    if body:
        headers["Content-Type"] = "text/plain; charset=utf-8"
    response = client.request(
        case.method, case.formatted_path, params=case.query or None, headers=headers, content=body or None
    )
    event(f"{case.method} {case.path} {response.status_code}")
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
