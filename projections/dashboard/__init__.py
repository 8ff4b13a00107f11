"""The analysts' dashboard: one server-side rendered page, a pure function of the read models.

``render(con, neighbourhoods, as_of, area)`` reads the tables as of a time (read-only SQL) and returns
a whole HTML document: the area's map shaded by tension, each neighbourhood's top priorities and
how they moved, its tension timeline with the evidence behind each change, its coverage gaps and its
"you said, we did" status. ``render_query`` does the same for a request's query string
(``?as_of=2026-03-01T18:00&area=E36007170``), for the read-side service to mount.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import duckdb

from connectors.placing import Neighbourhoods
from engage.errors import QueryRejected
from projections.dashboard import read
from projections.dashboard.page import page


class InvalidDashboardRequest(QueryRejected):
    """The dashboard was asked for a time or a neighbourhood it cannot show (an HTTP 400)."""


def parse_as_of(text: str) -> datetime:
    """``2026-01-15`` (midnight UTC at its start) or ``2026-01-15T18:00`` (UTC unless an offset is given)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidDashboardRequest(
            f"as_of {text[:40]!r} is not a date or a time; give one like 2026-01-15 or 2026-01-15T18:00 (UTC)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def render(
    con: duckdb.DuckDBPyConnection,
    neighbourhoods: Neighbourhoods,
    as_of: datetime | None = None,
    area: str | None = None,
) -> str:
    """The dashboard as of ``as_of`` (None: the newest event the tables reflect; a naive time is UTC),
    with the detail of the neighbourhood ``area`` (its id) or, when None, of every neighbourhood."""
    shapes = [(n.id, g) for n, g in neighbourhoods.shapes()]
    if area is not None and area not in {nid for nid, _ in shapes}:
        raise InvalidDashboardRequest(
            f"no neighbourhood has the id {area[:40]!r}; pick one on the map or leave area out"
        )
    if as_of is not None:
        as_of = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)
    # A cursor of its own, so that the page can be rendered on a request thread of the service.
    cursor = con.cursor()
    try:
        board = read.dashboard(cursor, [(n.id, n.name) for n, _ in neighbourhoods.shapes()], as_of, area)
    finally:
        cursor.close()
    return page(board, shapes)


def render_query(con: duckdb.DuckDBPyConnection, neighbourhoods: Neighbourhoods, query: str) -> str:
    """``render`` for the query string of ``GET /dashboard?as_of=...&area=...`` (both optional)."""
    params = parse_qs(query, keep_blank_values=False)
    unknown = sorted(set(params) - {"as_of", "area"})
    if unknown:
        raise InvalidDashboardRequest(f"the dashboard takes as_of and area, not {', '.join(unknown)}")
    as_of = params.get("as_of", [""])[-1]
    area = params.get("area", [""])[-1]
    return render(con, neighbourhoods, parse_as_of(as_of) if as_of else None, area or None)


__all__ = ["InvalidDashboardRequest", "parse_as_of", "render", "render_query"]
