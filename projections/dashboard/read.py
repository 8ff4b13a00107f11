"""The dashboard's reads: read-only SQL against the read models and the evidence store.

Every table is read as of one time T with ``valid_from <= T and (valid_to > T or valid_to is null)``,
so a past dashboard shows what the tables now say about then (late events included).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from events import ProtectiveMarking
from projections.dashboard.model import (
    MOVEMENT_DAYS,
    TIMELINE_DAYS,
    Area,
    Coverage,
    Dashboard,
    Evidence,
    Feedback,
    Priority,
    TensionPeriod,
)
from projections.dashboard.scale import label_for
from projections.store import check_read_only

AS_OF = "valid_from <= $t and (valid_to > $t or valid_to is null)"
EVIDENCE_SHOWN = 5
"""Evidence events read per change of tension; the page says how many more there are."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, **params: object) -> list[tuple[Any, ...]]:
    # Every statement is checked as the analysts' queries are: the dashboard can only read.
    check_read_only(sql)
    return con.execute(sql, params).fetchall()


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def latest(con: duckdb.DuckDBPyConnection) -> datetime | None:
    (found,) = _rows(con, "select max(as_of) from projection_versions")[0]
    return _utc(found)


def _ranks(con: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, list[tuple[Any, ...]]]:
    rows = _rows(
        con,
        "select neighbourhood_id, theme, rank, score, voices, channels, agreed, in_top_elsewhere, "
        f"concern_crime_gap from priority_history where {AS_OF} order by neighbourhood_id, rank",
        t=at,
    )
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[1:])
    return found


def priorities(con: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, tuple[Priority, ...]]:
    now = _ranks(con, at)
    before = {
        nid: {theme: rank for theme, rank, *_ in rows}
        for nid, rows in _ranks(con, at - timedelta(days=MOVEMENT_DAYS)).items()
    }
    return {
        nid: tuple(
            Priority(
                theme=theme,
                rank=rank,
                score=score,
                voices=voices,
                channels=tuple(channels),
                agreed=agreed,
                in_top_elsewhere=elsewhere,
                concern_crime_gap=gap,
                rank_before=before.get(nid, {}).get(theme),
            )
            for theme, rank, score, voices, channels, agreed, elsewhere, gap in rows
        )
        for nid, rows in now.items()
    }


def timelines(
    con: duckdb.DuckDBPyConnection, at: datetime, since: datetime
) -> dict[str, tuple[TensionPeriod, ...]]:
    """Per neighbourhood, the periods of tension in force at some time in ``[since, at]``."""
    rows = _rows(
        con,
        "select neighbourhood_id, valid_from, valid_to, level, label, modelled_level, cause, score, "
        "analyst, evidence_ids from tension_history "
        "where valid_from <= $t and (valid_to > $since or valid_to is null) order by neighbourhood_id, seq",
        t=at,
        since=since,
    )
    periods: dict[str, list[TensionPeriod]] = {}
    for nid, start, end, level, label, modelled, cause, score, analyst, ids in rows:
        stop = _utc(end)
        periods.setdefault(nid, []).append(
            TensionPeriod(
                valid_from=start,
                # What followed after T is not known at T.
                valid_to=None if stop is None or stop > at else stop,
                level=level,
                label=label,
                modelled_level=modelled,
                cause=cause,
                score=score,
                analyst=analyst,
                evidence_ids=tuple(ids),
            )
        )
    wanted = [i for found in periods.values() for p in found for i in p.evidence_ids[:EVIDENCE_SHOWN]]
    evidence = _evidence(con, wanted)
    return {
        nid: tuple(
            p.model_copy(
                update={
                    "evidence": tuple(evidence[i] for i in p.evidence_ids[:EVIDENCE_SHOWN] if i in evidence)
                }
            )
            for p in found
        )
        for nid, found in periods.items()
    }


def _evidence(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, Evidence]:
    if not ids:
        return {}
    rows = _rows(
        con,
        "select event_id, event_time, event_type, channel, theme, source, marking, text from events "
        "where list_contains($ids, event_id)",
        ids=sorted(set(ids)),
    )
    return {
        row[0]: Evidence(
            event_id=row[0],
            event_time=row[1],
            event_type=row[2],
            channel=row[3],
            theme=row[4],
            source=row[5],
            marking=row[6],
            text=row[7],
        )
        for row in rows
    }


def coverage(con: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, Coverage]:
    rows = _rows(
        con,
        "select neighbourhood_id, channels_heard, channels_missing, voices_12m, groups_heard, "
        "seldom_heard_gaps, meetings_12m, mean_attendance_12m, attendance_trend, recurring_issues "
        f"from coverage_history where {AS_OF}",
        t=at,
    )
    return {
        nid: Coverage(
            channels_heard=tuple(heard),
            channels_missing=tuple(missing),
            voices_12m=voices,
            groups_heard=tuple(groups),
            seldom_heard_gaps=tuple(gaps),
            meetings_12m=meetings,
            mean_attendance_12m=attendance,
            attendance_trend=trend,
            recurring_issues=tuple(recurring),
        )
        for nid, heard, missing, voices, groups, gaps, meetings, attendance, trend, recurring in rows
    }


def feedback(con: duckdb.DuckDBPyConnection, at: datetime) -> dict[str, tuple[Feedback, ...]]:
    rows = _rows(
        con,
        "select neighbourhood_id, theme, status, priority_set_at, actions, first_action_at, "
        "last_action_at, days_to_action, reported_back, reason "
        f"from feedback_history where {AS_OF} "
        "order by neighbourhood_id, priority_set_at desc nulls last, theme",
        t=at,
    )
    found: dict[str, list[Feedback]] = {}
    for nid, theme, status, set_at, actions, first, last, days, told, reason in rows:
        found.setdefault(nid, []).append(
            Feedback(
                theme=theme,
                status=status,
                priority_set_at=set_at,
                actions=actions,
                first_action_at=first,
                last_action_at=last,
                days_to_action=days,
                reported_back=told,
                reason=reason,
            )
        )
    return {nid: tuple(rows) for nid, rows in found.items()}


def marking(con: duckdb.DuckDBPyConnection, at: datetime, ids: Sequence[str]) -> str:
    """The highest marking of the events heard by ``at`` in the neighbourhoods shown."""
    (sensitive,) = _rows(
        con,
        "select count(*) from events where marking = $sensitive and event_time <= $t "
        "and list_contains($ids, neighbourhood_id)",
        sensitive=ProtectiveMarking.OFFICIAL_SENSITIVE.value,
        t=at,
        ids=list(ids),
    )[0]
    return (ProtectiveMarking.OFFICIAL_SENSITIVE if sensitive else ProtectiveMarking.OFFICIAL).value


def dashboard(
    con: duckdb.DuckDBPyConnection,
    names: Sequence[tuple[str, str]],
    as_of: datetime | None,
    selected: str | None,
) -> Dashboard:
    """Everything the page shows about the neighbourhoods ``names`` (id, name), as of ``as_of``
    (None: the latest event time the views reflect)."""
    newest = latest(con)
    at = as_of or newest
    if at is None:
        empty = tuple(
            Area(
                neighbourhood_id=nid,
                name=name,
                level=None,
                label=label_for(None),
                since=None,
                cause="",
                analyst="",
                priorities=(),
                timeline=(),
                coverage=None,
                feedback=(),
            )
            for nid, name in names
        )
        return Dashboard(
            as_of=None,
            requested=None,
            latest=None,
            marking=ProtectiveMarking.OFFICIAL.value,
            selected=selected,
            areas=empty,
        )
    from_time = at - timedelta(days=TIMELINE_DAYS)
    ranked = priorities(con, at)
    periods = timelines(con, at, from_time)
    covered = coverage(con, at)
    fed_back = feedback(con, at)
    areas = []
    for nid, name in names:
        timeline = periods.get(nid, ())
        now = timeline[-1] if timeline else None
        areas.append(
            Area(
                neighbourhood_id=nid,
                name=name,
                level=None if now is None else now.level,
                label=label_for(None) if now is None else now.label,
                since=None if now is None else now.valid_from,
                cause="" if now is None else now.cause,
                analyst="" if now is None else now.analyst,
                priorities=ranked.get(nid, ()),
                timeline=timeline,
                coverage=covered.get(nid),
                feedback=fed_back.get(nid, ()),
            )
        )
    shown = [selected] if selected is not None else [nid for nid, _ in names]
    return Dashboard(
        as_of=at,
        requested=as_of,
        latest=newest,
        marking=marking(con, at, shown),
        selected=selected,
        areas=tuple(areas),
    )
