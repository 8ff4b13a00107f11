"""The read side's HTTP face (FastAPI): the views for analysts, partners and the public, and the
operators' endpoints, over the service's one DuckDB connection.

    GET  /health                         liveness (open to all)
    GET  /status                         the sink's positions and counters        (analyst)
    POST /query                          body: one SELECT; answer: CSV           (analyst)
    POST /rebuild                        recompute every projection, swap it in  (analyst)
    GET  /api/v1/...                     the views (see /openapi.json)

Every request is resolved to a caller (``access``), checked against ``policy.POLICY``, and written
to the audit log (``audit``). Every refusal is JSON ``{"error": "..."}`` saying what to do; a bad
parameter is a 4xx, never a 5xx. Each request reads through its own cursor of the one connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import pyarrow as pa
import structlog
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from kafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engage.errors import EngageError, QueryRejected
from engage.settings import Settings
from projections import store
from projections.api import formats, views
from projections.api.access import PUBLIC, Principal, Refusal, Role, StaticTokens, TokenFile, Tokens, resolve
from projections.api.audit import AuditLog, AuditRecord
from projections.api.formats import Format
from projections.api.models import (
    AlertRow,
    Answer,
    CoverageRow,
    ErrorBody,
    EvidenceRow,
    FeedbackRow,
    HealthBody,
    NeighbourhoodRow,
    PriorityRow,
    StatusBody,
    TensionRow,
    TimelineRow,
)
from projections.api.policy import POLICY, View, may_read, refusal
from projections.api.views import BadParameter, Filters, NotFound
from projections.rebuild import rebuild

if TYPE_CHECKING:
    from projections.service import Sink

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1"
MAX_QUERY_BYTES = 64 * 1024
MARKING_HEADER = "X-Protective-Marking"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000


def harden(con: duckdb.DuckDBPyConnection) -> None:
    """No SQL sent to the service reads or writes files or URLs: the database is all it may touch."""
    con.execute("set enable_external_access = false")


# --- who is asking, and the audit of every request ------------------------------------------------


class AccessAudit:
    """ASGI middleware: resolve the caller from the Authorization header, then audit the request."""

    def __init__(self, app: ASGIApp, tokens: Tokens, audit: AuditLog) -> None:
        self.app = app
        self.tokens = tokens
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        requested_at = datetime.now(UTC)
        headers = dict(scope.get("headers", ()))
        header = headers[b"authorization"].decode("latin-1") if b"authorization" in headers else None
        if header is None and b"cookie" in headers:
            # The dashboard's browser sends its token as the cookie /dashboard/login set.
            cookie = SimpleCookie(headers[b"cookie"].decode("latin-1"))
            if TOKEN_COOKIE in cookie:
                header = f"Bearer {cookie[TOKEN_COOKIE].value}"
        who = resolve(header, self.tokens)
        state = scope.setdefault("state", {})
        state["principal"] = who
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            name, role = (who.name, who.role.value) if isinstance(who, Principal) else ("invalid", "none")
            client = scope.get("client")
            self.audit.record(
                AuditRecord(
                    requested_at=requested_at,
                    token_name=name,
                    role=role,
                    method=str(scope.get("method", "")),
                    path=str(scope.get("path", "")),
                    query_string=bytes(scope.get("query_string", b"")).decode("latin-1"),
                    status=status,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    client=str(client[0]) if client else None,
                    detail=state.get("audit_detail"),
                )
            )


TOKEN_COOKIE = "engage_token"
"""The cookie ``/dashboard/login`` sets: read like an ``Authorization: Bearer`` header."""

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from the tokens file (ENGAGE_API_TOKENS_PATH); without one you read as public.",
)


def caller(
    request: Request, _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller the middleware resolved; a refused token is a 401 whatever was asked."""
    who = request.scope.get("state", {}).get("principal", PUBLIC)
    if isinstance(who, Refusal):
        raise HTTPException(401, who.reason, headers={"WWW-Authenticate": "Bearer"})
    return who  # type: ignore[no-any-return]


def reader(view: View) -> Callable[[Principal], Principal]:
    """A dependency that lets through only roles that may read ``view`` (403 for the others)."""

    def allowed(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if not may_read(principal.role, view):
            raise HTTPException(403, refusal(principal.role, view))
        return principal

    return allowed


# --- answers --------------------------------------------------------------------------------------


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "The token is not known, or the Authorization header is not `Bearer <token>`.",
        403: "The caller's role may not read this (see the README's roles).",
        422: "A parameter cannot be used; the error says which and what to send.",
    }.items()
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No neighbourhood of that id or name."}
}
_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows: JSON (format=json), or a CSV or Parquet download.",
        "content": {
            formats.CSV_TYPE.split(";")[0]: {"schema": {"type": "string"}},
            formats.PARQUET_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "headers": {
            MARKING_HEADER: {
                "description": "The protective marking of the answer (OFFICIAL or OFFICIAL-SENSITIVE).",
                "schema": {"type": "string"},
            }
        },
    }
}


ROLES_KEY = "x-roles"
"""Each operation's roles in the OpenAPI document (from ``policy.POLICY``)."""


def _roles(view: View) -> dict[str, Any]:
    return {ROLES_KEY: sorted(r.value for r in POLICY[view].readers)}


def _optional_tokens(document: dict[str, Any]) -> dict[str, Any]:
    """A token is optional (public reads) on the operations the public may call."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            security = operation.get("security", [])
            if Role.PUBLIC.value in operation.get(ROLES_KEY, ()) and {} not in security:
                operation["security"] = [{}, *security]
    return document


AsOf = Annotated[
    str | None,
    Query(
        description="ISO 8601 date or date-time (UTC when it has no zone): answer from the history as "
        "of that time. Leave out for the tables as they are now.",
        examples=["2026-01-15T09:30:00Z"],
    ),
]
FormatParam = Annotated[
    Format, Query(alias="format", description="json (default), or a csv or parquet download.")
]
NeighbourhoodParam = Annotated[
    str | None,
    Query(
        description="A neighbourhood's id or name, or several separated by commas; leave out for all.",
        examples=["E36000947"],
    ),
]
AreaParam = Annotated[
    str | None,
    Query(
        description="Neighbourhood ids or names separated by commas; leave out for all.",
        examples=["Kilburn,West Hampstead"],
    ),
]
ThemeParam = Annotated[str | None, Query(description="Only this theme (events/themes.py).")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most rows answered, newest first.")]


@dataclass
class ReadSide:
    """What every endpoint reads through: the connection, the settings and (when running) the sink."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    sink: Sink | None
    rebuilding: threading.Lock
    swap_lock: threading.Lock

    def answer(
        self,
        view: View,
        principal: Principal,
        fmt: Format,
        as_of_text: str | None,
        build: Callable[[duckdb.DuckDBPyConnection, datetime | None], pa.Table],
    ) -> Response:
        as_of = views.parse_as_of(as_of_text)
        with closing(self.con.cursor()) as cur:
            table = build(cur, as_of)
        policy = POLICY[view]
        withheld = sorted(policy.columns_withheld(principal.role) & set(table.column_names))
        table = table.drop_columns(withheld)
        body, media_type = formats.render(
            table,
            fmt,
            {
                "view": view.value,
                "as_of": None if as_of is None else as_of.isoformat(),
                "marking": policy.marking.value,
                "withheld": withheld,
            },
        )
        headers = {MARKING_HEADER: policy.marking.value}
        if fmt is not Format.JSON:
            headers["Content-Disposition"] = f'attachment; filename="{view.value}.{fmt.value}"'
        return Response(body, media_type=media_type, headers=headers)

    def places(self, cur: duckdb.DuckDBPyConnection, text: str | None, name: str) -> list[str] | None:
        wanted = views.parse_list(name, text)
        return None if wanted is None else views.resolve_neighbourhoods(cur, wanted)


def _views_router(side: ReadSide) -> APIRouter:
    api = APIRouter(prefix=API_PREFIX, tags=["views"], responses=_ERRORS)

    @api.get(
        "/neighbourhoods",
        response_model=Answer[NeighbourhoodRow],
        responses=_DOWNLOADS,
        summary="The neighbourhoods: ids and names",
        openapi_extra=_roles(View.NEIGHBOURHOODS),
    )
    def neighbourhoods(
        principal: Annotated[Principal, Depends(reader(View.NEIGHBOURHOODS))],
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        return side.answer(
            View.NEIGHBOURHOODS, principal, fmt, as_of, lambda cur, _: views.neighbourhoods(cur, Filters())
        )

    @api.get(
        "/priorities",
        response_model=Answer[PriorityRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="What each neighbourhood wants dealt with, ranked",
        openapi_extra=_roles(View.PRIORITIES),
    )
    def priorities(
        principal: Annotated[Principal, Depends(reader(View.PRIORITIES))],
        neighbourhood: NeighbourhoodParam = None,
        theme: ThemeParam = None,
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        wanted_theme = views.parse_theme(theme)
        return side.answer(
            View.PRIORITIES,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.priorities(
                cur, Filters(side.places(cur, neighbourhood, "neighbourhood"), t, wanted_theme)
            ),
        )

    @api.get(
        "/tension",
        response_model=Answer[TensionRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="Community tension per neighbourhood (OFFICIAL-SENSITIVE)",
        openapi_extra=_roles(View.TENSION),
    )
    def tension(
        principal: Annotated[Principal, Depends(reader(View.TENSION))],
        area: AreaParam = None,
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        return side.answer(
            View.TENSION,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.tension(cur, Filters(side.places(cur, area, "area"), t)),
        )

    @api.get(
        "/neighbourhoods/{neighbourhood}/tension",
        response_model=Answer[TimelineRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="A neighbourhood's tension timeline: every change of level, and why",
        openapi_extra=_roles(View.TENSION_TIMELINE),
    )
    def tension_timeline(
        principal: Annotated[Principal, Depends(reader(View.TENSION_TIMELINE))],
        neighbourhood: Annotated[str, Path(description="The neighbourhood's id or name.")],
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        def build(cur: duckdb.DuckDBPyConnection, t: datetime | None) -> pa.Table:
            ids = views.resolve_neighbourhoods(cur, [neighbourhood.strip()[: views.MAX_ITEM]])
            return views.tension_timeline(cur, Filters(ids, t))

        return side.answer(View.TENSION_TIMELINE, principal, fmt, as_of, build)

    @api.get(
        "/coverage",
        response_model=Answer[CoverageRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="Who has been heard in each neighbourhood, and who has not",
        openapi_extra=_roles(View.COVERAGE),
    )
    def coverage(
        principal: Annotated[Principal, Depends(reader(View.COVERAGE))],
        neighbourhood: NeighbourhoodParam = None,
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        return side.answer(
            View.COVERAGE,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.coverage(cur, Filters(side.places(cur, neighbourhood, "neighbourhood"), t)),
        )

    @api.get(
        "/feedback",
        response_model=Answer[FeedbackRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="You said, we did: what became of each priority",
        openapi_extra=_roles(View.FEEDBACK),
    )
    def feedback(
        principal: Annotated[Principal, Depends(reader(View.FEEDBACK))],
        neighbourhood: NeighbourhoodParam = None,
        theme: ThemeParam = None,
        as_of: AsOf = None,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        wanted_theme = views.parse_theme(theme)
        return side.answer(
            View.FEEDBACK,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.feedback(
                cur, Filters(side.places(cur, neighbourhood, "neighbourhood"), t, wanted_theme)
            ),
        )

    @api.get(
        "/alerts",
        response_model=Answer[AlertRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="Rises of tension as they were raised, newest first (OFFICIAL-SENSITIVE)",
        openapi_extra=_roles(View.ALERTS),
    )
    def alerts(
        principal: Annotated[Principal, Depends(reader(View.ALERTS))],
        area: AreaParam = None,
        as_of: AsOf = None,
        limit: LimitParam = DEFAULT_LIMIT,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        return side.answer(
            View.ALERTS,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.alerts(cur, Filters(side.places(cur, area, "area"), t, limit=limit)),
        )

    @api.get(
        "/evidence",
        response_model=Answer[EvidenceRow],
        responses={**_DOWNLOADS, **_NOT_FOUND},
        summary="The events behind a score, as redacted by the connectors, newest first (analysts)",
        openapi_extra=_roles(View.EVIDENCE),
    )
    def evidence(
        principal: Annotated[Principal, Depends(reader(View.EVIDENCE))],
        neighbourhood: NeighbourhoodParam = None,
        theme: ThemeParam = None,
        event_id: Annotated[
            str | None,
            Query(description="Event ids separated by commas (a tension row's evidence_ids)."),
        ] = None,
        channel: Annotated[str | None, Query(description="Only events heard on this channel.")] = None,
        as_of: Annotated[
            str | None,
            Query(description="ISO 8601 date or date-time: only events that happened by then."),
        ] = None,
        limit: LimitParam = DEFAULT_LIMIT,
        fmt: FormatParam = Format.JSON,
    ) -> Response:
        wanted_theme = views.parse_theme(theme)
        wanted_channel = views.parse_channel(channel)
        ids = views.parse_list("event_id", event_id)
        return side.answer(
            View.EVIDENCE,
            principal,
            fmt,
            as_of,
            lambda cur, t: views.evidence(
                cur,
                Filters(
                    side.places(cur, neighbourhood, "neighbourhood"),
                    t,
                    wanted_theme,
                    wanted_channel,
                    ids,
                    limit,
                ),
            ),
        )

    return api


def _operations_router(side: ReadSide) -> APIRouter:
    ops = APIRouter(tags=["operations"])

    @ops.get("/health", response_model=HealthBody, summary="Liveness; open to all")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @ops.get(
        "/status",
        response_model=StatusBody,
        responses=_ERRORS,
        summary="The sink's positions",
        openapi_extra=_roles(View.OPERATIONS),
    )
    def status(_: Annotated[Principal, Depends(reader(View.OPERATIONS))]) -> dict[str, object]:
        if side.sink is None:
            return {
                "running": False,
                "positions": {},
                "batches": 0,
                "rows_written": 0,
                "updates_read": 0,
                "undecodable": 0,
            }
        stats = side.sink.stats
        return {
            "running": True,
            "positions": {
                topic: {str(p): o for p, o in sorted(offsets.items())}
                for topic, offsets in stats.positions.items()
            },
            "batches": stats.batches,
            "rows_written": stats.rows_written,
            "updates_read": stats.updates_read,
            "undecodable": stats.undecodable,
        }

    @ops.post(
        "/query",
        response_class=Response,
        responses={
            **_ERRORS,
            200: {"description": "The rows as CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
            400: {"model": ErrorBody, "description": "Not one read-only statement, or it failed."},
            413: {"model": ErrorBody, "description": f"The SQL is longer than {MAX_QUERY_BYTES} bytes."},
        },
        openapi_extra={
            **_roles(View.QUERY),
            "requestBody": {
                "required": True,
                "description": "One SELECT (or EXPLAIN) over the read models, as UTF-8 text.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
        },
        summary="Answer an analyst's read-only SQL as CSV",
    )
    async def query(request: Request, _: Annotated[Principal, Depends(reader(View.QUERY))]) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_QUERY_BYTES:
            return _error(413, f"a query may be at most {MAX_QUERY_BYTES} bytes; shorten it")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_QUERY_BYTES:
                return _error(413, f"a query may be at most {MAX_QUERY_BYTES} bytes; shorten it")
        sql = body.decode("utf-8", errors="replace")
        request.state.audit_detail = sql
        answer = await run_in_threadpool(_run_query, side, sql)
        return Response(
            answer, media_type="text/csv; charset=utf-8", headers={MARKING_HEADER: "OFFICIAL-SENSITIVE"}
        )

    @ops.post(
        "/rebuild",
        responses={
            **_ERRORS,
            409: {"model": ErrorBody, "description": "A rebuild is running already."},
            503: {"model": ErrorBody, "description": "The broker did not answer."},
        },
        summary="Recompute every projection from the event log and swap the tables in",
        openapi_extra=_roles(View.OPERATIONS),
    )
    def rebuild_now(_: Annotated[Principal, Depends(reader(View.OPERATIONS))]) -> dict[str, object]:
        if not side.rebuilding.acquire(blocking=False):
            raise HTTPException(409, "a rebuild is already running; wait for it")
        try:
            lock = side.sink.lock if side.sink is not None else side.swap_lock
            with closing(side.con.cursor()) as cur:
                return rebuild(side.settings, cur, lock).as_dict()
        except (KafkaError, EngageError) as exc:
            raise HTTPException(
                503, f"the rebuild could not read the event log ({exc}); check the broker and try again"
            ) from exc
        finally:
            side.rebuilding.release()

    return ops


def _run_query(side: ReadSide, sql: str) -> str:
    """The analyst's SQL on a cursor of its own, stopped after ``query_timeout_s``."""
    cur = side.con.cursor()
    limit = side.settings.query_timeout_s
    timer = threading.Timer(limit, cur.interrupt)
    timer.start()
    try:
        return store.query_csv(cur, sql)
    except QueryRejected:
        if timer.finished.is_set():
            raise QueryRejected(
                f"the query ran for more than {limit:g} s and was stopped; narrow it (a where clause, "
                "a limit) or ask for a longer ENGAGE_QUERY_TIMEOUT_S"
            ) from None
        raise
    finally:
        timer.cancel()
        cur.close()


# --- the application ------------------------------------------------------------------------------


def _handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such path {request.url.path}; the API is described at /openapi.json"
        elif exc.status_code == 405:
            message = f"{request.method} is not answered at {request.url.path}; see /openapi.json"
        return _error(exc.status_code, message, dict(exc.headers or {}))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
            problems.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
        return _error(422, "; ".join(problems) + "; see /openapi.json for what each parameter takes")

    def engage_error(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
        async def handle(_: Request, exc: Exception) -> Response:
            return _error(status, str(exc))

        return handle

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(BadParameter, engage_error(422))
    app.add_exception_handler(NotFound, engage_error(404))
    app.add_exception_handler(QueryRejected, engage_error(400))


def create_app(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    sink: Sink | None = None,
    tokens: Tokens | None = None,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The read side's application over ``con`` (which it hardens, and whose ``audit_log`` it owns).

    ``sink`` is the running sink (``None`` in tests: ``/status`` says so and a rebuild swaps under a
    lock of its own). ``tokens`` defaults to the tokens file of ``settings``.
    """
    harden(con)
    audit = AuditLog(con)
    side = ReadSide(con, settings, sink, threading.Lock(), threading.Lock())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        audit.close()

    app = FastAPI(
        title="engage read side",
        version="1",
        summary="Neighbourhood priorities, community tension, coverage and feedback for TT&CG.",
        description=(
            "Send `Authorization: Bearer <token>`; without one you read as public. The public reads "
            "aggregates marked OFFICIAL without free text; partners add tension and alerts without "
            "their evidence; analysts read everything, the evidence and SQL included. Every view "
            "takes `as_of` (the history as of that time) and `format` (json, csv or parquet)."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    generate = app.openapi
    app.openapi = lambda: _optional_tokens(generate())  # type: ignore[method-assign]
    app.state.read_side = side
    app.state.audit = audit
    _handlers(app)
    app.include_router(_operations_router(side))
    app.include_router(_views_router(side))
    # The dashboard and the TT&CG briefing pack mount here, as further routers: each endpoint takes
    # ``Depends(reader(View.X))`` for its caller and reads through ``app.state.read_side``.
    for router in routers:
        app.include_router(router)
    app.add_middleware(
        AccessAudit, tokens=tokens if tokens is not None else TokenFile(settings.api_tokens), audit=audit
    )
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the service serves at /openapi.json (docs/api-openapi.json is a copy)."""
    con = duckdb.connect()
    try:
        app = create_app(con, Settings(), tokens=StaticTokens({}))
        document: dict[str, Any] = app.openapi()
        app.state.audit.close()
        return document
    finally:
        con.close()
