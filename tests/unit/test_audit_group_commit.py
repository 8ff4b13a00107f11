"""The audit writer gathers records and commits them together, not one transaction per request."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from projections.api.audit import AuditLog, AuditRecord


def record(n: int) -> AuditRecord:
    return AuditRecord(
        requested_at=datetime.now(UTC),
        token_name="local-analyst",
        role="analyst",
        method="POST",
        path="/query",
        query_string=f"n={n}",
        status=200,
        duration_ms=1.0,
        client="127.0.0.1",
        detail="select 1",
    )


def test_records_that_arrive_while_the_writer_gathers_are_committed_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = duckdb.connect(str(tmp_path / "audit.duckdb"))
    audit = AuditLog(con, gather_s=5.0)
    writes: list[int] = []
    write = audit._write

    def counted(batch: list[AuditRecord]) -> None:
        writes.append(len(batch))
        write(batch)

    monkeypatch.setattr(audit, "_write", counted)
    for n in range(10):
        audit.record(record(n))
        time.sleep(0.02)  # a client polling: each record would have had a commit of its own
    audit.close()  # cuts the gathering short and writes what waits
    assert writes == [10]
    assert con.execute("select count(*) from audit_log").fetchone() == (10,)
