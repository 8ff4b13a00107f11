"""The API's views over the DuckDB read models: one query each, now or as of a past time.

Without ``as_of`` a view reads the ``*_current`` tables; with it, the ``*_history`` rows in force at
that time (``valid_from <= T < valid_to``, an open ``valid_to`` meaning still in force), so the
answer is what the tables would have said had the events up to T been all there was. Each view
answers the same columns either way (a column one table lacks is null), so a client reads one
shape. Parameters are checked here and every refusal says what to send instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from engage.errors import EngageError
from events import Channel, Theme
from projections import store

MAX_LIST = 500
"""Most neighbourhoods or event ids one request may name."""
MAX_ITEM = 200


class BadParameter(EngageError):
    """A request parameter the API cannot use (answered 422)."""


class NotFound(EngageError):
    """A neighbourhood the read side does not know (answered 404)."""


NEIGHBOURHOOD_COLUMNS = ("neighbourhood_id", "name")
PRIORITY_COLUMNS = (
    "neighbourhood_id",
    "name",
    "theme",
    "rank",
    "score",
    "voices",
    "neighbourhood_voices",
    "breadth",
    "harm",
    "recency",
    "channels",
    "channel_factor",
    "seldom_heard_share",
    "uplift",
    "recorded_crimes",
    "voice_share",
    "crime_share",
    "concern_crime_gap",
    "agreed",
    "in_top_elsewhere",
    "as_of",
    "version",
    "recorded_at",
)
COVERAGE_COLUMNS = (
    "neighbourhood_id",
    "name",
    "channels_heard",
    "channels_missing",
    "voices_12m",
    "groups_heard",
    "seldom_heard_gaps",
    "meetings_12m",
    "mean_attendance_12m",
    "attendance_trend",
    "recurring_issues",
    "as_of",
    "version",
    "recorded_at",
)
FEEDBACK_COLUMNS = (
    "neighbourhood_id",
    "name",
    "theme",
    "status",
    "priority_set_at",
    "actions",
    "first_action_at",
    "last_action_at",
    "days_to_action",
    "reported_back",
    "reason",
    "as_of",
    "version",
    "recorded_at",
)
TENSION_COLUMNS = (
    "neighbourhood_id",
    "name",
    "level",
    "label",
    "modelled_level",
    "score",
    "since",
    "cause",
    "evidence_ids",
    "overridden",
    "confirmed",
    "assessed_by",
    "as_of",
)
TIMELINE_COLUMNS = (
    "neighbourhood_id",
    "name",
    "seq",
    "valid_from",
    "valid_to",
    "level",
    "label",
    "modelled_level",
    "cause",
    "score",
    "evidence_ids",
    "assessed_by",
)
ALERT_COLUMNS = (
    "neighbourhood_id",
    "name",
    "raised_at",
    "from_level",
    "to_level",
    "label",
    "cause",
    "score",
    "evidence_ids",
    "version",
)
EVIDENCE_COLUMNS = (
    "event_id",
    "neighbourhood_id",
    "name",
    "event_type",
    "channel",
    "theme",
    "event_time",
    "recorded_time",
    "source",
    "marking",
    "text",
    "payload",
)


def parse_as_of(text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; one without a zone is taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise BadParameter(
            f"as_of {text[:60]!r} is not an ISO 8601 date or date-time; send for example "
            "2026-01-15 or 2026-01-15T09:30:00Z, or leave it out for now"
        ) from exc


def parse_list(name: str, text: str | None) -> list[str] | None:
    """A comma-separated list (``None`` when the parameter was not sent)."""
    if text is None:
        return None
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise BadParameter(f"{name} is empty; give one or more values separated by commas, or leave it out")
    if len(items) > MAX_LIST:
        raise BadParameter(f"{name} names {len(items)} values; ask for at most {MAX_LIST} at a time")
    long = next((i for i in items if len(i) > MAX_ITEM), None)
    if long is not None:
        raise BadParameter(f"{name} has a value of {len(long)} characters; none is longer than {MAX_ITEM}")
    return list(dict.fromkeys(items))


def parse_theme(text: str | None) -> Theme | None:
    if text is None:
        return None
    try:
        return Theme(text.strip().lower())
    except ValueError as exc:
        raise BadParameter(f"theme {text[:60]!r} is not one of {', '.join(t.value for t in Theme)}") from exc


def parse_channel(text: str | None) -> Channel | None:
    if text is None:
        return None
    try:
        return Channel(text.strip().lower())
    except ValueError as exc:
        raise BadParameter(
            f"channel {text[:60]!r} is not one of {', '.join(c.value for c in Channel)}"
        ) from exc


def resolve_neighbourhoods(cur: duckdb.DuckDBPyConnection, wanted: Sequence[str]) -> list[str]:
    """The ids of neighbourhoods named by id or by name (any case); unknown ones are refused."""
    known = dict(cur.execute("select neighbourhood_id, name from neighbourhoods").fetchall())
    by_name = {str(name).casefold(): nid for nid, name in known.items()}
    ids: list[str] = []
    unplaced: list[str] = []
    for item in wanted:
        if item in known:
            ids.append(item)
        elif item.casefold() in by_name:
            ids.append(by_name[item.casefold()])
        else:
            unplaced.append(item)
    if unplaced:
        # Neighbourhoods outside the boundaries file (a partner's own areas) are known by their views.
        seen = {
            row[0]
            for row in cur.execute(
                "select neighbourhood_id from projection_versions where neighbourhood_id in "
                "(select unnest($ids::varchar[]))",
                {"ids": unplaced},
            ).fetchall()
        }
        missing = [item for item in unplaced if item not in seen]
        if missing:
            shown = ", ".join(repr(m[:60]) for m in missing[:5])
            raise NotFound(f"no neighbourhood {shown} by id or name; GET /api/v1/neighbourhoods lists them")
        ids += [item for item in unplaced if item in seen]
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class Filters:
    """What a view is narrowed to; ``None`` is everything."""

    neighbourhoods: list[str] | None = None
    as_of: datetime | None = None
    theme: Theme | None = None
    channel: Channel | None = None
    event_ids: list[str] | None = None
    limit: int | None = None


def _select(columns: Sequence[str], exprs: dict[str, str], alias: str = "v") -> str:
    return ", ".join(f"{exprs[c]} as {c}" if c in exprs else f"{alias}.{c}" for c in columns)


def _where(conditions: list[str]) -> str:
    return f"where {' and '.join(conditions)}" if conditions else ""


def _arrow(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pa.Table:
    table: pa.Table = (
        cur.sql(sql, params=params).to_arrow_table() if params else cur.sql(sql).to_arrow_table()
    )
    return table


def _common(f: Filters, alias: str = "v") -> tuple[list[str], dict[str, object]]:
    conditions: list[str] = []
    params: dict[str, object] = {}
    if f.neighbourhoods is not None:
        conditions.append(f"{alias}.neighbourhood_id in (select unnest($ids::varchar[]))")
        params["ids"] = f.neighbourhoods
    if f.theme is not None:
        conditions.append(f"{alias}.theme = $theme")
        params["theme"] = f.theme.value
    return conditions, params


def _historied(
    cur: duckdb.DuckDBPyConnection, model: str, columns: Sequence[str], order: str, f: Filters
) -> pa.Table:
    conditions, params = _common(f)
    if f.as_of is None:
        table = f"{model}_current"
    else:
        table = f"{model}_history"
        conditions.append("v.valid_from <= $as_of and (v.valid_to > $as_of or v.valid_to is null)")
        params["as_of"] = f.as_of
    sql = (
        f"select {_select(columns, {'name': 'n.name'})} from {table} v "
        f"left join neighbourhoods n using (neighbourhood_id) {_where(conditions)} order by {order}"
    )
    return _arrow(cur, sql, params)


def neighbourhoods(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    conditions, params = _common(f, "n")
    return _arrow(
        cur,
        f"select neighbourhood_id, name from neighbourhoods n {_where(conditions)} "
        "order by name, neighbourhood_id",
        params,
    )


def priorities(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    return _historied(cur, "priority", PRIORITY_COLUMNS, "n.name, v.neighbourhood_id, v.rank, v.theme", f)


def coverage(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    return _historied(cur, "coverage", COVERAGE_COLUMNS, "n.name, v.neighbourhood_id", f)


def feedback(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    return _historied(cur, "feedback", FEEDBACK_COLUMNS, "n.name, v.neighbourhood_id, v.theme", f)


def tension(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    conditions, params = _common(f)
    if f.as_of is None:
        exprs = {"name": "n.name", "cause": "h.cause"}
        source = (
            "tension_current v left join tension_history h "
            "on h.neighbourhood_id = v.neighbourhood_id and h.valid_to is null"
        )
    else:
        exprs = {
            "name": "n.name",
            "since": "v.valid_from",
            "overridden": "null::boolean",
            "confirmed": "null::boolean",
            "assessed_by": "v.analyst",
            "as_of": "$as_of::timestamptz",
        }
        source = "tension_history v"
        conditions.append("v.valid_from <= $as_of and (v.valid_to > $as_of or v.valid_to is null)")
        params["as_of"] = f.as_of
    sql = (
        f"select {_select(TENSION_COLUMNS, exprs)} from {source} "
        f"left join neighbourhoods n on n.neighbourhood_id = v.neighbourhood_id {_where(conditions)} "
        "order by v.level desc, n.name, v.neighbourhood_id"
    )
    return _arrow(cur, sql, params)


def tension_timeline(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    conditions, params = _common(f)
    exprs = {"name": "n.name", "assessed_by": "v.analyst"}
    if f.as_of is not None:
        # What was known at T: a period that ended later is still open then.
        exprs["valid_to"] = "case when v.valid_to > $as_of then null else v.valid_to end"
        conditions.append("v.valid_from <= $as_of")
        params["as_of"] = f.as_of
    sql = (
        f"select {_select(TIMELINE_COLUMNS, exprs)} from tension_history v "
        f"left join neighbourhoods n using (neighbourhood_id) {_where(conditions)} "
        "order by n.name, v.neighbourhood_id, v.seq"
    )
    return _arrow(cur, sql, params)


def alerts(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    conditions, params = _common(f)
    if f.as_of is not None:
        conditions.append("v.raised_at <= $as_of")
        params["as_of"] = f.as_of
    limit = ""
    if f.limit is not None:
        limit, params["limit"] = "limit $limit", f.limit
    sql = (
        f"select {_select(ALERT_COLUMNS, {'name': 'n.name'})} from tension_alerts v "
        f"left join neighbourhoods n using (neighbourhood_id) {_where(conditions)} "
        f"order by v.raised_at desc, v.neighbourhood_id, v.to_level {limit}"
    )
    return _arrow(cur, sql, params)


def evidence(cur: duckdb.DuckDBPyConnection, f: Filters) -> pa.Table:
    conditions, params = _common(f)
    if f.as_of is not None:
        conditions.append("v.event_time <= $as_of")
        params["as_of"] = f.as_of
    if f.channel is not None:
        conditions.append("v.channel = $channel")
        params["channel"] = f.channel.value
    if f.event_ids is not None:
        wanted, ids = store.one_of("v.event_id", "event_id", f.event_ids)
        conditions.append(wanted)
        params.update(ids)
    limit = ""
    if f.limit is not None:
        limit, params["limit"] = "limit $limit", f.limit
    sql = (
        f"select {_select(EVIDENCE_COLUMNS, {'name': 'n.name', 'payload': 'v.payload::varchar'})} "
        f"from events v left join neighbourhoods n using (neighbourhood_id) {_where(conditions)} "
        f"order by v.event_time desc, v.event_id {limit}"
    )
    return _arrow(cur, sql, params)
