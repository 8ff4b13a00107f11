"""The gateway's HTTP face (FastAPI): read the body within its limit, authenticate, parse, receive.

Refusals are decided in this order, and a refused request publishes nothing: body too large (413),
credentials (401, or 409 for a replayed signature, 429 when the replay memory is full), source not
granted (403), body not JSON (400) or not ``{"records": [...]}`` (422), too many records (413). Then
every record gets an answer (``Receipt``), and the broker not taking them is a 503.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors.base import MAX_DEPTH
from connectors.gateway.accepted import AcceptedIds
from connectors.gateway.auth import Authenticator, RefusalCode, Refused
from connectors.gateway.client import KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from connectors.gateway.grants import Grants
from connectors.gateway.receive import Gateway, Receipt
from connectors.ingest import Publisher
from connectors.placing import Neighbourhoods
from engage.errors import EngageError
from engage.settings import Settings
from events import Frozen

log = structlog.get_logger(__name__)

API_VERSION = "1"


class RefusalBody(Frozen):
    """Why the whole request was refused; nothing of it was published."""

    error: RefusalCode
    detail: str


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_records: int


@dataclass(frozen=True)
class _Service:
    gateway: Gateway
    authenticator: Authenticator
    limits: Limits


_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": RefusalBody, "description": description}
    for status, description in {
        400: "The body is not UTF-8 JSON (`malformed_json`).",
        401: "`missing_credentials`, `unknown_key`, `bad_timestamp`, `stale_timestamp` or `bad_signature`.",
        403: "The key may not send records to this source (`source_not_granted`).",
        409: "This signature was already used (`replayed`): sign again with a new timestamp.",
        413: "The body is too large (`body_too_large`) or holds too many records (`too_many_records`).",
        422: 'The JSON is not `{"records": [...]}` (`invalid_body`).',
        429: "Too many requests within the replay window (`busy`); see Retry-After.",
        503: "The broker did not take the records (`unavailable`): send them again, signed anew.",
    }.items()
}

_HEADERS = [
    {
        "name": KEY_ID_HEADER,
        "in": "header",
        "required": True,
        "description": "The partner's key id, as in the grants file.",
        "schema": {"type": "string"},
    },
    {
        "name": TIMESTAMP_HEADER,
        "in": "header",
        "required": True,
        "description": "When the request was signed, in whole seconds since 1970-01-01T00:00:00Z.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
    },
    {
        "name": SIGNATURE_HEADER,
        "in": "header",
        "required": True,
        "description": "Lower-case hex HMAC-SHA256, under the key's secret, of "
        "timestamp + LF + method + LF + path + LF + hex(SHA-256(body)).",
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
]

_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["records"],
                "additionalProperties": False,
                "properties": {
                    "records": {
                        "type": "array",
                        "description": "Records in the source's own format (docs/gateway.md); each is "
                        "answered on its own, and one that is not an object is rejected as malformed.",
                        "items": {"type": "object"},
                    }
                },
            }
        }
    },
}


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _check_tree(document: object) -> None:
    """Refuse what JSON allows but the rest of the way cannot carry: deep nesting, lone surrogates."""
    stack: list[tuple[object, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            value.encode("utf-8")
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, dict):
            for key, item in value.items():
                key.encode("utf-8")
                stack.append((item, depth + 1))


def parse_records(body: bytes, max_records: int) -> list[object]:
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite)
        _check_tree(document)
    except RecursionError:
        raise Refused(
            400, RefusalCode.MALFORMED_JSON, f"the body nests deeper than {MAX_DEPTH} levels"
        ) from None
    except ValueError as exc:  # also UnicodeError and JSONDecodeError
        raise Refused(400, RefusalCode.MALFORMED_JSON, f"the body is not UTF-8 JSON: {exc}") from None
    if (
        not isinstance(document, dict)
        or set(document) != {"records"}
        or not isinstance(document["records"], list)
    ):
        raise Refused(
            422,
            RefusalCode.INVALID_BODY,
            'the body must be a JSON object {"records": [...]} and nothing else',
        )
    records: list[object] = document["records"]
    if len(records) > max_records:
        raise Refused(
            413,
            RefusalCode.TOO_MANY_RECORDS,
            f"{len(records)} records in one request; send at most {max_records} at a time",
        )
    return records


async def _read_body(request: Request, limit: int) -> bytes:
    too_large = Refused(
        413, RefusalCode.BODY_TOO_LARGE, f"the body is longer than {limit} bytes; send fewer records"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _signed_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path


def _handle(
    service: _Service, headers: Mapping[str, str], method: str, path: str, source: str, body: bytes
) -> Receipt:
    grant = service.authenticator.authenticate(headers, method, path, body)
    if source not in grant.sources:
        raise Refused(
            403,
            RefusalCode.SOURCE_NOT_GRANTED,
            f"key {grant.key_id!r} may send records to {', '.join(sorted(grant.sources))} only",
        )
    records = parse_records(body, service.limits.max_records)
    try:
        return service.gateway.receive(grant, source, records, request_id=str(uuid.uuid4()))
    except EngageError as exc:
        if not exc.retryable:
            raise
        log.warning("records_not_published", partner=grant.partner, source=source, error=str(exc))
        raise Refused(
            503,
            RefusalCode.UNAVAILABLE,
            "the records could not be published; send them again",
            retry_after_s=5,
        ) from exc


def _refusal(status: int, code: RefusalCode, detail: str, retry_after_s: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    body = RefusalBody(error=code, detail=detail).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


def _app() -> FastAPI:
    """The routes and handlers, without a service: enough to describe the API."""
    app = FastAPI(
        title="engage ingest gateway",
        version=API_VERSION,
        summary="Partner systems send records; each is validated, redacted, placed and published, "
        "or dead-lettered with its reason.",
        description="Every request is signed with the partner's key: see docs/gateway.md.",
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        log.info("request_refused", status=exc.status, error=exc.code.value, path=request.url.path)
        return _refusal(exc.status, exc.code, exc.detail, exc.retry_after_s)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _refusal(exc.status_code, RefusalCode.NOT_FOUND, str(exc.detail))

    @app.post(
        "/v1/sources/{source}/records",
        response_model=Receipt,
        responses=_REFUSALS,
        summary="Send records of one source",
        operation_id="postRecords",
        response_description="One answer per record, in order.",
        description="Each record is answered in order: `accepted` (published), `duplicate` (its event "
        "was accepted before) or `rejected` (dead-lettered; `reason` says why, `not_granted` when it "
        "lies outside the key's neighbourhoods).",
        openapi_extra={"parameters": _HEADERS, "requestBody": _BODY},
    )
    async def post_records(source: str, request: Request) -> JSONResponse:
        service: _Service = request.app.state.service
        body = await _read_body(request, service.limits.max_body_bytes)
        receipt = await run_in_threadpool(
            _handle, service, request.headers, request.method, _signed_path(request), source, body
        )
        return JSONResponse(receipt.model_dump(mode="json"), headers={"X-Request-Id": receipt.request_id})

    return app


def create_app(gateway: Gateway, authenticator: Authenticator, limits: Limits) -> FastAPI:
    app = _app()
    app.state.service = _Service(gateway, authenticator, limits)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the service serves at /openapi.json (committed as docs/gateway-openapi.json)."""
    return _app().openapi()


@dataclass(frozen=True)
class Wiring:
    """What the settings say the gateway is, read and checked before anything connects to a broker."""

    settings: Settings
    neighbourhoods: Neighbourhoods
    grants: Grants

    @classmethod
    def load(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Wiring:
        """Raises ConfigurationError for unusable boundaries or grants (secrets are read from ``environ``)."""
        neighbourhoods = Neighbourhoods.load(
            settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
        )
        return cls(settings, neighbourhoods, Grants.load(settings.gateway_grants, neighbourhoods, environ))

    def app(self, publisher: Publisher, clock: Callable[[], float] = time.time) -> FastAPI:
        """The gateway publishing to ``publisher``: the one place it is wired."""
        settings = self.settings
        gateway = Gateway(
            publisher,
            AcceptedIds(settings.gateway_accepted_path, settings.gateway_accepted_ids),
            self.neighbourhoods,
            settings.pseudonym_salt.get_secret_value().encode("utf-8"),
            clock=lambda: datetime.fromtimestamp(clock(), UTC),
        )
        authenticator = Authenticator(self.grants, settings.gateway_clock_skew_s, clock)
        limits = Limits(settings.gateway_max_body_bytes, settings.gateway_max_records)
        return create_app(gateway, authenticator, limits)


def build(
    settings: Settings,
    publisher: Publisher,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The gateway as the settings describe it, publishing to ``publisher``."""
    return Wiring.load(settings, environ).app(publisher, clock)
