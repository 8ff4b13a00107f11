"""Read what a pack needs from DuckDB, as of a time, in one read transaction.

One query per table for the whole area (never one per neighbourhood), each over the ``*_history``
tables with the as-of rule ``valid_from <= T and (valid_to > T or valid_to is null)``. The reads run
on a cursor of their own inside one transaction, so the sink may write meanwhile and the pack still
sees one consistent state of the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from engage.errors import ConfigurationError
from events import ProtectiveMarking
from projections import store
from projections.briefing.assess import listed
from projections.briefing.model import (
    CoverageState,
    Evidence,
    FeedbackState,
    Place,
    RankedTheme,
    Rules,
    Snapshot,
    TensionPoint,
    ThemeCount,
)
from projections.coverage import VOICE_CHANNELS
from projections.tension import TensionParams

VOICES = [c.value for c in VOICE_CHANNELS]
"""Channels whose events can make a spike: what residents and partners say. Recorded crime is left
out: police.uk publishes it monthly, so every month's crimes would land in one period as a spike."""

AS_OF = "valid_from <= $t and (valid_to > $t or valid_to is null)"
IN_AREA = "neighbourhood_id in (select unnest($ids))"


class UnknownNeighbourhood(ConfigurationError):
    """A neighbourhood asked for is not in the database's ``neighbourhoods`` table."""


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    result = cur.execute(sql, params)
    names = [d[0] for d in result.description or ()]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def places(cur: duckdb.DuckDBPyConnection, wanted: Sequence[str] | None) -> tuple[Place, ...]:
    """The neighbourhoods of the area: all, or those named by id or (case-insensitive) name."""
    known = [
        Place(neighbourhood_id=r[0], name=r[1])
        for r in cur.execute("select neighbourhood_id, name from neighbourhoods").fetchall()
    ]
    if not known:
        raise ConfigurationError(
            "the database holds no neighbourhoods; the read-side service loads them from the "
            "boundaries when it starts (engage up), or call store.replace_neighbourhoods"
        )
    if wanted is None:
        chosen = known
    else:
        by_id = {p.neighbourhood_id: p for p in known}
        by_name = {p.name.casefold(): p for p in known}
        chosen, unknown, seen = [], [], set()
        for item in wanted:
            place = by_id.get(item.strip()) or by_name.get(item.strip().casefold())
            if place is None:
                unknown.append(item)
            elif place.neighbourhood_id not in seen:
                seen.add(place.neighbourhood_id)
                chosen.append(place)
        if unknown:
            raise UnknownNeighbourhood(
                f"no neighbourhood has the id or name {', '.join(repr(u) for u in unknown)}; "
                "ask for ids or names from the neighbourhoods table (engage query "
                '"select * from neighbourhoods"), or for none to take every neighbourhood'
            )
        if not chosen:
            raise UnknownNeighbourhood(
                "the list of neighbourhoods is empty; name at least one, or none for all"
            )
    return tuple(sorted(chosen, key=lambda p: (p.name.casefold(), p.neighbourhood_id)))


def _priorities(cur: duckdb.DuckDBPyConnection, ids: list[str], at: datetime) -> tuple[RankedTheme, ...]:
    rows = _rows(
        cur,
        f"""
        select neighbourhood_id, theme, rank, score, voices, harm, voice_share, crime_share,
               concern_crime_gap, channels, seldom_heard_share, agreed, in_top_elsewhere
        from priority_history where {IN_AREA} and {AS_OF}
        order by neighbourhood_id, rank, theme
        """,
        {"ids": ids, "t": at},
    )
    return tuple(RankedTheme.model_validate({**r, "channels": tuple(r["channels"])}) for r in rows)


def _tension(
    cur: duckdb.DuckDBPyConnection, ids: list[str], as_of: datetime, previous: datetime
) -> tuple[tuple[TensionPoint, ...], tuple[TensionPoint, ...], tuple[TensionPoint, ...]]:
    """Rows in force at ``as_of``, in force at ``previous``, and begun in (previous, as_of]."""
    rows = _rows(
        cur,
        f"""
        with h as (
            select *, lag(level) over (partition by neighbourhood_id order by seq) as from_level
            from tension_history where {IN_AREA} and valid_from <= $t
        ),
        r as (
            select *,
                   max(case when level > coalesce(from_level, 1) then seq end) over (
                       partition by neighbourhood_id order by seq
                       rows between unbounded preceding and current row
                   ) as rise_seq
            from h
        )
        select r.neighbourhood_id, r.seq, r.valid_from, r.level, r.label, r.cause, r.score,
               r.evidence_ids, r.analyst, r.from_level,
               rise.valid_from as rise_at, rise.level as rise_level, rise.evidence_ids as rise_evidence_ids,
               (r.valid_from <= $t and (r.valid_to > $t or r.valid_to is null)) as now,
               (r.valid_from <= $p and (r.valid_to > $p or r.valid_to is null)) as before,
               (r.valid_from > $p) as changed
        from r left join h rise on rise.neighbourhood_id = r.neighbourhood_id and rise.seq = r.rise_seq
        where (r.valid_from <= $t and (r.valid_to > $t or r.valid_to is null))
           or (r.valid_from <= $p and (r.valid_to > $p or r.valid_to is null))
           or r.valid_from > $p
        order by r.neighbourhood_id, r.seq
        """,
        {"ids": ids, "t": as_of, "p": previous},
    )
    now, before, changes = [], [], []
    for r in rows:
        point = TensionPoint(
            neighbourhood_id=r["neighbourhood_id"],
            seq=r["seq"],
            valid_from=r["valid_from"].astimezone(UTC),
            level=r["level"],
            label=r["label"],
            cause=r["cause"],
            score=r["score"],
            evidence_ids=tuple(r["evidence_ids"]),
            analyst=r["analyst"],
            from_level=r["from_level"],
            rise_at=_utc(r["rise_at"]),
            rise_level=r["rise_level"],
            rise_evidence_ids=tuple(r["rise_evidence_ids"] or ()),
        )
        if r["now"]:
            now.append(point)
        if r["before"]:
            before.append(point)
        if r["changed"]:
            changes.append(point)
    return tuple(now), tuple(before), tuple(changes)


def _coverage(cur: duckdb.DuckDBPyConnection, ids: list[str], at: datetime) -> tuple[CoverageState, ...]:
    rows = _rows(
        cur,
        f"""
        select neighbourhood_id, channels_heard, channels_missing, voices_12m, groups_heard,
               seldom_heard_gaps, meetings_12m, mean_attendance_12m, attendance_trend, recurring_issues
        from coverage_history where {IN_AREA} and {AS_OF}
        order by neighbourhood_id
        """,
        {"ids": ids, "t": at},
    )
    lists = ("channels_heard", "channels_missing", "groups_heard", "seldom_heard_gaps", "recurring_issues")
    return tuple(CoverageState.model_validate({**r, **{k: tuple(r[k]) for k in lists}}) for r in rows)


def _feedback(cur: duckdb.DuckDBPyConnection, ids: list[str], at: datetime) -> tuple[FeedbackState, ...]:
    rows = _rows(
        cur,
        f"""
        select neighbourhood_id, theme, status, priority_set_at, actions, first_action_at, last_action_at,
               days_to_action, reported_back, reason
        from feedback_history where {IN_AREA} and {AS_OF}
        order by neighbourhood_id, theme
        """,
        {"ids": ids, "t": at},
    )
    stamps = ("priority_set_at", "first_action_at", "last_action_at")
    return tuple(FeedbackState.model_validate({**r, **{k: _utc(r[k]) for k in stamps}}) for r in rows)


def _theme_counts(
    cur: duckdb.DuckDBPyConnection, ids: list[str], as_of: datetime, previous: datetime, periods: int
) -> tuple[ThemeCount, ...]:
    """Events per neighbourhood, theme and period, periods counted back from ``as_of``.

    Period ``k`` is (as_of - (k+1)L, as_of - kL] with L = as_of - previous. A survey counts once for
    each concern, a meeting once for each issue raised (their themes are inside the payload).
    """
    length_us = int((as_of - previous).total_seconds() * 1_000_000)
    rows = cur.execute(
        f"""
        with scoped as (
            select neighbourhood_id, event_type, theme, payload,
                   date_diff('microsecond', event_time, $t) // $length as back
            from events
            where {IN_AREA} and channel in (select unnest($voices))
              and event_time <= $t and date_diff('microsecond', event_time, $t) < $length * $periods
        ),
        themed as (
            select neighbourhood_id, back, theme from scoped where theme is not null
            union all
            select neighbourhood_id, back, unnest(from_json(payload -> 'concerns', '["VARCHAR"]'))
            from scoped where event_type = 'SurveyResponseReceived'
            union all
            select neighbourhood_id, back,
                   unnest(from_json(payload -> 'issues_raised', '[{{"theme": "VARCHAR"}}]')).theme
            from scoped where event_type = 'MeetingHeld'
        )
        select neighbourhood_id, theme, back, count(*) as events
        from themed where theme is not null and theme <> 'other'
        group by all order by all
        """,
        {"ids": ids, "t": as_of, "length": length_us, "periods": periods + 1, "voices": VOICES},
    ).fetchall()
    return tuple(ThemeCount(neighbourhood_id=n, theme=th, back=b, events=e) for n, th, b, e in rows)


def _first_voice(cur: duckdb.DuckDBPyConnection, ids: list[str], as_of: datetime) -> dict[str, datetime]:
    rows = cur.execute(
        f"""
        select neighbourhood_id, min(event_time) from events
        where {IN_AREA} and channel in (select unnest($voices)) and event_time <= $t
        group by 1 order by 1
        """,
        {"ids": ids, "t": as_of, "voices": VOICES},
    ).fetchall()
    return {n: t.astimezone(UTC) for n, t in rows}


def _evidence(
    cur: duckdb.DuckDBPyConnection, event_ids: list[str], names: dict[str, str]
) -> tuple[Evidence, ...]:
    if not event_ids:
        return ()
    wanted, ids = store.one_of("event_id", "id", event_ids)
    rows = _rows(
        cur,
        f"""
        select event_id, neighbourhood_id, event_time, event_type, channel, theme, source, marking, text
        from events where {wanted}
        order by event_time, event_id
        """,
        ids,
    )
    return tuple(
        Evidence.model_validate(
            {
                **r,
                "event_time": r["event_time"].astimezone(UTC),
                "neighbourhood": names.get(r["neighbourhood_id"], r["neighbourhood_id"]),
                "marking": ProtectiveMarking(r["marking"]),
            }
        )
        for r in rows
    )


def _restricted(
    cur: duckdb.DuckDBPyConnection, ids: list[str], as_of: datetime
) -> frozenset[tuple[str, str]]:
    """Priorities set or acted on in an event above OFFICIAL: not for open data."""
    rows = cur.execute(
        f"""
        with sensitive as (
            select neighbourhood_id, event_type, theme, payload from events
            where {IN_AREA} and marking <> 'OFFICIAL' and event_time <= $t
              and event_type in ('PrioritySet', 'ActionRecorded', 'MeetingHeld')
        )
        select neighbourhood_id, theme from sensitive where event_type <> 'MeetingHeld'
        union
        select neighbourhood_id, unnest(from_json(payload -> 'priorities_agreed', '["VARCHAR"]'))
        from sensitive where event_type = 'MeetingHeld'
        """,
        {"ids": ids, "t": as_of},
    ).fetchall()
    return frozenset((n, t) for n, t in rows if t is not None)


def evidence_wanted(
    tension_now: Sequence[TensionPoint], tension_changes: Sequence[TensionPoint], rules: Rules
) -> list[str]:
    """The events a pack cites: behind the latest rise of each level in force at or above the
    reassurance level, and behind each change it lists (see ``Rules.changes_listed_from``)."""
    wanted: set[str] = set()
    for point in tension_now:
        if point.level >= rules.reassurance_level:
            wanted.update(point.rise_evidence_ids[: rules.evidence_per_change])
    for point in tension_changes:
        if listed(point, rules):
            wanted.update(point.evidence_ids[: rules.evidence_per_change])
    return sorted(wanted)


def snapshot(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    previous_as_of: datetime,
    neighbourhoods: Sequence[str] | None,
    rules: Rules,
) -> Snapshot:
    """Everything the pack needs, read in one transaction on a cursor of its own."""
    cur = con.cursor()
    try:
        cur.execute("set TimeZone = 'UTC'")
        cur.execute("begin transaction")
        try:
            chosen = places(cur, neighbourhoods)
            ids = [p.neighbourhood_id for p in chosen]
            names = {p.neighbourhood_id: p.name for p in chosen}
            now, before, changes = _tension(cur, ids, as_of, previous_as_of)
            return Snapshot(
                as_of=as_of,
                previous_as_of=previous_as_of,
                places=chosen,
                priorities_now=_priorities(cur, ids, as_of),
                priorities_before=_priorities(cur, ids, previous_as_of),
                tension_now=now,
                tension_before=before,
                tension_changes=changes,
                coverage=_coverage(cur, ids, as_of),
                feedback=_feedback(cur, ids, as_of),
                theme_counts=_theme_counts(cur, ids, as_of, previous_as_of, rules.spike_baseline_periods),
                first_voice=_first_voice(cur, ids, as_of),
                evidence=_evidence(cur, evidence_wanted(now, changes, rules), names),
                restricted=_restricted(cur, ids, as_of),
                tension_labels=TensionParams().labels,
            )
        finally:
            cur.execute("rollback")
    finally:
        cur.close()
