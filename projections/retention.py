"""Retention of social-media evidence in the read side's evidence store (DuckDB ``events``).

Social posts are kept as the evidence behind tension and priority scores for ``social_retention_days``
after they were posted (``event_time``), then deleted by the read-side service: a sweep when it starts
and every ``SWEEP_INTERVAL_S``, and a check as the sink writes, so that a sink reading the log again
from the start (a new database file) does not store what retention already removed. The models' state
and the views derived from the posts are not evidence and stay; only the rows with the posts' text and
payload go. Why the events topic itself is not shortened: docs/reliability.md, "Retention".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import duckdb
import structlog

from events import Channel

log = structlog.get_logger(__name__)

SWEEP_INTERVAL_S = 3600.0
"""How often the service deletes social evidence that has aged past retention: an hour late at most."""


def cutoff(retention_days: int | None, now: datetime) -> datetime | None:
    """Social evidence posted before this is past retention; None when retention is off."""
    return None if retention_days is None else now - timedelta(days=retention_days)


def kept(row: Mapping[str, object], before: datetime | None) -> bool:
    """Whether the sink stores an evidence row (``projections.evidence.row``) given the cutoff."""
    if before is None or row["channel"] != Channel.SOCIAL.value:
        return True
    event_time = row["event_time"]
    return not isinstance(event_time, datetime) or event_time >= before


def expire_social(con: duckdb.DuckDBPyConnection, before: datetime) -> int:
    """Delete the social evidence posted before ``before``, in one transaction; returns rows deleted."""
    con.begin()
    try:
        result = con.execute(
            "delete from events where channel = ? and event_time < ?", [Channel.SOCIAL.value, before]
        ).fetchone()
        con.commit()
    except BaseException:
        con.rollback()
        raise
    deleted = int(result[0]) if result else 0
    log.info("social_evidence_expired", deleted=deleted, posted_before=before.isoformat())
    return deleted
