"""Who asked what, when: every request to the read side, in DuckDB's ``audit_log`` and in the log.

A DuckDB commit costs milliseconds (it syncs the write-ahead log), so a request does not wait for
its own: it hands its record to one writer thread, which commits whatever has gathered in one
transaction (a group commit), at most once every ``GATHER_S``. The log line is written at once, so a
record the writer had not yet committed when the process was killed is still in the service's log.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import structlog

log = structlog.get_logger(__name__)

DDL = """
create table if not exists audit_log (
    requested_at timestamptz not null,
    token_name varchar not null,
    role varchar not null,
    method varchar not null,
    path varchar not null,
    query_string varchar not null,
    status integer not null,
    duration_ms double not null,
    client varchar,
    detail varchar
);
"""
"""``token_name`` is the name of the token's entry, ``public`` for a request without one and
``invalid`` for one whose token was refused (``role`` is then ``none``); ``detail`` holds what the
request asked beyond its URL (the SQL of ``POST /query``)."""

_SCHEMA = pa.schema(
    [
        ("requested_at", pa.timestamp("us", tz="UTC")),
        ("token_name", pa.string()),
        ("role", pa.string()),
        ("method", pa.string()),
        ("path", pa.string()),
        ("query_string", pa.string()),
        ("status", pa.int32()),
        ("duration_ms", pa.float64()),
        ("client", pa.string()),
        ("detail", pa.string()),
    ]
)
MAX_TEXT = 4000
"""Longest path, query string or detail kept; a longer one is cut (the log line says how long)."""
GATHER_S = 1.0
"""How long the writer gathers records after the first one arrives before committing them. Committing
each request on its own cost the service about 9 ms of CPU a request (a client polling every 20 ms
took a third of a core, most of it in this writer's commits; docs/performance.md, fourteenth session);
the records are in the log at once, and in ``audit_log`` within about this long."""
MAX_PENDING = 100_000
"""Records waiting for the writer beyond which the oldest are given up (and the log says so)."""


@dataclass(frozen=True)
class AuditRecord:
    requested_at: datetime
    token_name: str
    role: str
    method: str
    path: str
    query_string: str
    status: int
    duration_ms: float
    client: str | None
    detail: str | None = None


class AuditLog:
    """The writer of ``audit_log``, on its own cursor of the service's one connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, gather_s: float = GATHER_S) -> None:
        con.execute(DDL)
        self._gather_s = gather_s
        self._cursor = con.cursor()
        self._pending: list[AuditRecord] = []
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(self, rec: AuditRecord) -> None:
        log.info(
            "api_request",
            who=rec.token_name,
            role=rec.role,
            method=rec.method,
            path=rec.path[:MAX_TEXT],
            query=rec.query_string[:MAX_TEXT],
            status=rec.status,
            ms=round(rec.duration_ms, 1),
        )
        if self._closed.is_set():
            return
        with self._pending_lock:
            self._pending.append(rec)
            if len(self._pending) > MAX_PENDING:
                dropped = len(self._pending) - MAX_PENDING
                del self._pending[:dropped]
                log.error("audit_records_given_up", records=dropped, reason="the writer is behind")
        self._wake.set()

    def flush(self) -> int:
        """Commit every record handed over so far; returns how many were written."""
        with self._write_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self._write(batch)
            except duckdb.Error as exc:
                with self._pending_lock:
                    self._pending[:0] = batch
                log.error("audit_write_failed", records=len(batch), error=str(exc)[:200])
                raise
            return len(batch)

    def _write(self, batch: list[AuditRecord]) -> None:
        table = pa.Table.from_pylist(
            [
                {
                    "requested_at": r.requested_at,
                    "token_name": r.token_name,
                    "role": r.role,
                    "method": r.method,
                    "path": r.path[:MAX_TEXT],
                    "query_string": r.query_string[:MAX_TEXT],
                    "status": r.status,
                    "duration_ms": r.duration_ms,
                    "client": r.client,
                    "detail": None if r.detail is None else r.detail[:MAX_TEXT],
                }
                for r in batch
            ],
            schema=_SCHEMA,
        )
        cur = self._cursor
        cur.begin()
        try:
            cur.register("incoming_audit", table)
            cur.execute("insert into audit_log select * from incoming_audit")
            cur.commit()
        except BaseException:
            cur.rollback()
            raise
        finally:
            cur.unregister("incoming_audit")

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait()
            # Closing cuts the gathering short; ``close`` then writes what is left.
            self._closed.wait(self._gather_s)
            self._wake.clear()
            try:
                self.flush()
            except duckdb.Error:
                # Kept for the next try; the failure is logged. Do not spin on a broken database.
                self._closed.wait(1.0)

    def close(self) -> None:
        """Write what is left and stop the writer; later records are only logged."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout=10)
        with contextlib.suppress(duckdb.Error):  # already logged by flush
            self.flush()
        self._cursor.close()
