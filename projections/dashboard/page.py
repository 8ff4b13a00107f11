"""The dashboard as one self-contained HTML document. Pure: a ``Dashboard`` and the boundaries in,
text out.

Nothing is fetched by the browser (no CDN, no tiles, no fonts, no script): the map is inline SVG,
the style is inline, and the page's Content-Security-Policy forbids everything else, scripts
included. Every value that came from the database or the boundaries file goes through ``esc``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from projections.dashboard import geometry, scale
from projections.dashboard.model import (
    CHART_DAYS,
    MOVEMENT_DAYS,
    TIMELINE_DAYS,
    TOP_PRIORITIES,
    Area,
    Coverage,
    Dashboard,
    Evidence,
    Feedback,
    Priority,
    TensionPeriod,
)

STATUS = {
    "awaiting_action": "awaiting action",
    "in_progress": "in progress",
    "actioned": "actioned",
    "no_action": "no action",
    "action_without_priority": "action without a priority",
}
CAUSE = {
    "start": "first heard",
    "model": "model",
    "override": "analyst override",
    "override_ended": "override ended",
    "confirm": "analyst confirmed",
    "clear": "override cleared",
}
CHANGES_LISTED = 8
"""Changes of tension listed under the chart, newest first; the page says how many earlier ones."""
CHART_WIDTH = 360.0
CHART_HEIGHT = 72.0

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

STYLE = """
:root { color-scheme: light; --ink: #0b0c0c; --muted: #505a5f; --line: #b1b4b6; --link: #1d70b8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: #f3f2f1; }
.marking { margin: 0; padding: .35rem 1rem; text-align: center; font-weight: 700; letter-spacing: .12em;
  background: #0b0c0c; color: #fff; }
header, main, footer.notes { max-width: 1400px; margin: 0 auto; padding: .5rem 1rem; }
h1 { font-size: 1.6rem; margin: .6rem 0 .2rem; }
h2 { font-size: 1.3rem; margin: 0 0 .4rem; }
h3 { font-size: 1rem; margin: .8rem 0 .3rem; }
h4 { font-size: .9rem; margin: .5rem 0 .2rem; color: var(--muted); }
a { color: var(--link); }
.asof { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .4rem 0; }
.asof label { display: flex; flex-direction: column; font-weight: 600; }
.asof input, .asof button { font: inherit; padding: .25rem .5rem; }
.sub { color: var(--muted); margin: .1rem 0; }
.overview { display: grid; grid-template-columns: minmax(320px, 640px) minmax(360px, 1fr); gap: 1rem;
  align-items: start; }
.panel { background: #fff; border: 1px solid var(--line); padding: .8rem; }
svg.map { width: 100%; height: auto; display: block; }
svg.map path.area { stroke: #0b0c0c; stroke-width: .8; stroke-linejoin: round; cursor: pointer; }
svg.map a:hover path.area, svg.map a:focus path.area { stroke-width: 3; stroke: #1d70b8; }
svg.map path.selected { stroke-width: 3; stroke: #0b0c0c; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; list-style: none; padding: 0; margin: .5rem 0 0; }
.legend li { display: flex; align-items: center; gap: .35rem; }
.swatch { display: inline-block; width: 1.1rem; height: 1.1rem; border: 1px solid #0b0c0c; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #e1e1e1; vertical-align: top; }
th { font-size: .85rem; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: .05rem .45rem; border: 1px solid #0b0c0c; font-weight: 600;
  font-size: .9rem; white-space: nowrap; }
.move { display: inline-block; min-width: 2.6rem; font-weight: 700; white-space: nowrap; }
.move.up { color: #00703c; } .move.down { color: #a3004f; } .move.same { color: var(--muted); }
.move.new { color: #1d70b8; text-transform: uppercase; font-size: .8rem; }
section.area { background: #fff; border: 1px solid var(--line); padding: .8rem 1rem; margin: 1rem 0; }
section.area:target { outline: 4px solid #ffdd00; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 0 1.5rem; }
ol.changes { list-style: none; padding: 0; margin: .3rem 0; }
ol.changes > li { border-left: 6px solid var(--line); padding: .2rem .6rem; margin: .4rem 0; }
ul.evidence { margin: .2rem 0 0; padding-left: 1.1rem; }
ul.evidence li { margin: .15rem 0; }
.evidence-text { white-space: pre-wrap; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: .85rem; }
svg.chart { width: 100%; max-width: 420px; height: auto; display: block; }
dl.gaps { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: .2rem 0; }
dl.gaps dt { font-weight: 600; } dl.gaps dd { margin: 0; }
.none { color: var(--muted); font-style: italic; }
footer.notes { color: var(--muted); font-size: .85rem; }
"""


def esc(value: object) -> str:
    """Text for HTML content and quoted attributes: every markup character made inert."""
    return html.escape(str(value), quote=True)


def words(code: str) -> str:
    """``partner_call`` reads ``partner call``."""
    return code.replace("_", " ")


def theme(code: str) -> str:
    return "anti-social behaviour" if code == "anti_social_behaviour" else words(code)


def cause(period: TensionPeriod, before: TensionPeriod | None) -> str:
    """Why the level changed, in words: the model's rise or fall is told apart from an analyst's word."""
    if period.cause == "model":
        # The model's first change is always a rise; any change down to level 1 is a fall.
        if period.modelled_level == 1 or (
            before is not None and period.modelled_level < before.modelled_level
        ):
            return "model: quiet again"
        return "model: a spike against its own baseline"
    return CAUSE.get(period.cause, words(period.cause))


def when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def time_tag(value: datetime | None) -> str:
    if value is None:
        return '<span class="none">never</span>'
    iso = value.astimezone(UTC).isoformat()
    return f'<time datetime="{esc(iso)}">{esc(when(value))}</time>'


def query_time(value: datetime) -> str:
    """An as-of time as the form sends it back (UTC, minutes unless it has seconds)."""
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="minutes" if utc.second == 0 and utc.microsecond == 0 else "seconds")


def anchor(neighbourhood_id: str) -> str:
    return f"n-{neighbourhood_id}"


def href(board: Dashboard, neighbourhood_id: str | None) -> str:
    """A link to a neighbourhood's detail (or to all of them), keeping the as-of time asked for."""
    params: dict[str, str] = {}
    if board.requested is not None:
        params["as_of"] = query_time(board.requested)
    if neighbourhood_id is not None:
        params["area"] = neighbourhood_id
    target = "?" + urlencode(params) if params else "?"
    if neighbourhood_id is not None:
        target += "#" + quote(anchor(neighbourhood_id), safe="")
    return target


def step_points(
    periods: Sequence[tuple[datetime, datetime | None, int]],
    start: datetime,
    end: datetime,
    width: float,
    height: float,
    levels: int = len(scale.PALETTE),
) -> list[tuple[float, float]]:
    """The corners of a step line through the levels in force between ``start`` and ``end``.

    Each period runs from its start to its end (to ``end`` while open), clipped to the window; level
    1 sits at the bottom (``height``) and the top level at 0.
    """
    span = max((end - start).total_seconds(), 1.0)

    def x(t: datetime) -> float:
        clipped = min(max(t, start), end)
        return round((clipped - start).total_seconds() / span * width, 1)

    def y(level: int) -> float:
        return round((levels - min(max(level, 1), levels)) / (levels - 1) * height, 1)

    points: list[tuple[float, float]] = []
    for valid_from, valid_to, level in periods:
        if valid_to is not None and valid_to <= start:
            continue
        left, right = x(valid_from), x(valid_to or end)
        for point in ((left, y(level)), (right, y(level))):
            if not points or points[-1] != point:
                points.append(point)
    return points


def _map(board: Dashboard, shapes: Sequence[tuple[str, Any]]) -> str:
    if not shapes:
        return '<p class="none">No neighbourhood boundaries are configured.</p>'
    projection = geometry.fit(geometry.bounds_of(g for _, g in shapes))
    by_id = {a.neighbourhood_id: a for a in board.areas}
    paths = []
    for nid, shape in shapes:
        area = by_id[nid]
        fill = scale.fill_for(area.level)
        level = "" if area.level is None else str(area.level)
        said = f"{area.name}: tension {level} ({area.label})" if level else f"{area.name}: {area.label}"
        selected = " selected" if board.selected == nid else ""
        paths.append(
            f'<a href="{esc(href(board, nid))}" aria-label="{esc(said)}">'
            f'<path class="area{selected}" id="{esc("map-" + nid)}" data-neighbourhood="{esc(nid)}" '
            f'data-level="{esc(level)}" fill="{fill}" fill-rule="evenodd" '
            f'd="{geometry.path_data(shape, projection)}"><title>{esc(said)}</title></path></a>'
        )
    return (
        f'<svg class="map" role="group" aria-label="Map of the neighbourhoods shaded by tension" '
        f'viewBox="0 0 {projection.width:.1f} {projection.height:.1f}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(paths)
        + "</svg>"
    )


def _legend() -> str:
    items = [
        f'<li><span class="swatch" style="background:{colour}"></span>'
        f"{level} {esc(scale.label_for(level))}</li>"
        for level, colour in enumerate(scale.PALETTE, start=1)
    ]
    items.append(f'<li><span class="swatch" style="background:{scale.NO_DATA}"></span>no events heard</li>')
    return '<ul class="legend" aria-label="Tension levels">' + "".join(items) + "</ul>"


def _badge(level: int | None, label: str) -> str:
    fill = scale.fill_for(level)
    text = f"{level} {label}" if level is not None else label
    return (
        f'<span class="badge level" style="background:{fill};color:{scale.ink_for(fill)}">{esc(text)}</span>'
    )


def _move(priority: Priority) -> str:
    m = priority.movement
    return f'<span class="move {m.kind}" role="img" aria-label="{esc(m.label)}">{esc(m.symbol)}</span>'


def _overview(board: Dashboard) -> str:
    rows = []
    for area in board.areas:
        top = area.priorities[0] if area.priorities else None
        waiting = sum(1 for f in area.feedback if f.status == "awaiting_action")
        gaps = (
            len(area.coverage.channels_missing) + len(area.coverage.seldom_heard_gaps) if area.coverage else 0
        )
        priority = (
            f"{_move(top)} {esc(theme(top.theme))}"
            if top is not None
            else '<span class="none">none yet</span>'
        )
        rows.append(
            f'<tr data-neighbourhood="{esc(area.neighbourhood_id)}">'
            f'<td><a href="{esc(href(board, area.neighbourhood_id))}">{esc(area.name)}</a></td>'
            f"<td>{_badge(area.level, area.label)}</td><td>{priority}</td>"
            f'<td class="num">{waiting}</td><td class="num">{gaps}</td></tr>'
        )
    return (
        '<table class="overview-table"><thead><tr><th>Neighbourhood</th><th>Tension</th>'
        f"<th>Top priority (vs {MOVEMENT_DAYS} days before)</th>"
        '<th class="num">Awaiting action</th><th class="num">Coverage gaps</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _priorities(area: Area) -> str:
    if not area.priorities:
        return '<p class="none">No priorities heard by then.</p>'
    rows = []
    for p in area.priorities[:TOP_PRIORITIES]:
        flags = []
        if p.agreed:
            flags.append("agreed at a meeting")
        if p.in_top_elsewhere:
            flags.append("top elsewhere too")
        rows.append(
            f'<tr class="priority" data-theme="{esc(p.theme)}">'
            f'<td class="num">{p.rank}</td><td>{_move(p)}</td>'
            f'<td>{esc(theme(p.theme))}</td><td class="num">{p.score:.2f}</td><td class="num">{p.voices}</td>'
            f"<td>{esc(', '.join(words(c) for c in p.channels))}</td><td>{esc('; '.join(flags))}</td></tr>"
        )
    more = len(area.priorities) - TOP_PRIORITIES
    tail = f'<p class="meta">and {more} more ranked themes</p>' if more > 0 else ""
    return (
        '<table class="priorities"><thead><tr><th class="num">Rank</th><th>Move</th><th>Theme</th>'
        '<th class="num">Score</th><th class="num">Voices</th><th>Channels</th><th></th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
        + tail
    )


def _chart(board: Dashboard, area: Area) -> str:
    start, end = board.chart_from, board.as_of
    if start is None or end is None or not area.timeline:
        return ""
    points = step_points(
        [(p.valid_from, p.valid_to, p.level) for p in area.timeline], start, end, CHART_WIDTH, CHART_HEIGHT
    )
    left, top, levels = 22.0, 6.0, len(scale.PALETTE)
    grid = []
    for level in range(1, levels + 1):
        y = top + (levels - level) / (levels - 1) * CHART_HEIGHT
        grid.append(
            f'<rect x="2" y="{y - 5:.1f}" width="10" height="10" fill="{scale.fill_for(level)}" '
            'stroke="#0b0c0c" '
            f'stroke-width=".5"/><line x1="{left}" x2="{left + CHART_WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e1e1e1"/>'
        )
    line = " ".join(f"{left + x:.1f},{top + y:.1f}" for x, y in points)
    height = CHART_HEIGHT + top + 22
    label = f"Tension level from {when(start)} to {when(end)} UTC: " + "; ".join(
        f"{p.level} from {when(p.valid_from)}" for p in area.timeline
    )
    return (
        f'<svg class="chart" role="img" aria-label="{esc(label)}" viewBox="0 0 {left + CHART_WIDTH + 4:.0f} '
        f'{height:.0f}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(grid)
        + f'<polyline points="{line}" fill="none" stroke="#0b0c0c" stroke-width="2.5"/>'
        f'<text x="{left}" y="{height - 4:.0f}" font-size="10">{esc(when(start)[:10])}</text>'
        f'<text x="{left + CHART_WIDTH}" y="{height - 4:.0f}" font-size="10" text-anchor="end">'
        f"{esc(when(end)[:10])}</text></svg>"
    )


def _evidence(item: Evidence) -> str:
    text = (
        f'<q class="evidence-text">{esc(item.text)}</q>'
        if item.text
        else f'<span class="none">no free text ({esc(item.event_type)})</span>'
    )
    about = f" · {esc(theme(item.theme))}" if item.theme else ""
    marking = f' <span class="badge">{esc(item.marking)}</span>' if item.marking != "OFFICIAL" else ""
    return (
        f'<li class="evidence" data-event="{esc(item.event_id)}">{text} '
        f'<span class="meta">{time_tag(item.event_time)} · {esc(words(item.channel))}{about} · '
        f"{esc(item.source)}</span>{marking}</li>"
    )


def _change(period: TensionPeriod, before: TensionPeriod | None) -> str:
    by = f" by {esc(period.analyst)}" if period.analyst else ""
    evidence = "".join(_evidence(e) for e in period.evidence)
    missing = len(period.evidence_ids) - len(period.evidence)
    more = f'<li class="meta">and {missing} more events</li>' if missing > 0 else ""
    listed = f'<ul class="evidence">{evidence}{more}</ul>' if evidence or more else ""
    return (
        f'<li style="border-left-color:{scale.fill_for(period.level)}">{time_tag(period.valid_from)} '
        f'{_badge(period.level, period.label)} <span class="meta">{esc(cause(period, before))}{by}'
        f"{f', score {period.score:.1f}' if period.cause == 'model' else ''}</span>{listed}</li>"
    )


def _timeline(board: Dashboard, area: Area) -> str:
    if not area.timeline:
        return '<p class="none">Nothing heard from this neighbourhood by then.</p>'
    pairs = list(zip(area.timeline, (None, *area.timeline[:-1]), strict=True))
    listed = list(reversed(pairs))[:CHANGES_LISTED]
    earlier = len(pairs) - len(listed)
    tail = f'<p class="meta">and {earlier} earlier changes</p>' if earlier > 0 else ""
    changes = "".join(_change(p, before) for p, before in listed)
    return (
        f"<h4>The last {CHART_DAYS} days</h4>{_chart(board, area)}"
        f"<h4>Levels in force in the last {TIMELINE_DAYS} days, and the evidence behind each</h4>"
        f'<ol class="changes">{changes}</ol>' + tail
    )


def _listing(values: Iterable[str], empty: str) -> str:
    shown = [esc(words(v)) for v in values]
    return ", ".join(shown) if shown else f'<span class="none">{esc(empty)}</span>'


def _coverage(coverage: Coverage | None) -> str:
    if coverage is None:
        return '<p class="none">No coverage by then.</p>'
    attendance = (
        f"{coverage.mean_attendance_12m:.0f} on average"
        if coverage.mean_attendance_12m is not None
        else "not recorded"
    )
    trend = ""
    if coverage.attendance_trend is not None:
        trend = f" (latest 3 vs 3 before: {coverage.attendance_trend:+.0f})"
    return (
        '<dl class="gaps">'
        "<dt>Channels not heard</dt>"
        f'<dd class="channels-missing">{_listing(coverage.channels_missing, "none: all heard")}</dd>'
        "<dt>Seldom-heard groups not heard</dt>"
        f'<dd class="seldom-heard">{_listing(coverage.seldom_heard_gaps, "none")}</dd>'
        f"<dt>Groups heard</dt><dd>{_listing(coverage.groups_heard, 'none recorded')}</dd>"
        f"<dt>Voices, 12 months</dt><dd>{coverage.voices_12m}</dd>"
        f"<dt>Meetings, 12 months</dt><dd>{coverage.meetings_12m}, "
        f"attendance {esc(attendance)}{esc(trend)}</dd>"
        f"<dt>Recurring issues</dt><dd>{_listing((theme(t) for t in coverage.recurring_issues), 'none')}</dd>"
        "</dl>"
    )


def _feedback(rows: Sequence[Feedback]) -> str:
    if not rows:
        return '<p class="none">No priority set or action recorded by then.</p>'
    body = []
    for f in rows:
        days = f"{f.days_to_action:.0f}" if f.days_to_action is not None else ""
        reason = f'<div class="meta">{esc(f.reason)}</div>' if f.reason else ""
        body.append(
            f'<tr class="feedback" data-status="{esc(f.status)}"><td>{esc(theme(f.theme))}</td>'
            f"<td>{esc(STATUS.get(f.status, words(f.status)))}{reason}</td>"
            f"<td>{time_tag(f.priority_set_at)}</td>"
            f'<td class="num">{f.actions}</td><td class="num">{esc(days)}</td>'
            f"<td>{'yes' if f.reported_back else 'no'}</td></tr>"
        )
    return (
        '<table class="you-said-we-did"><thead><tr><th>You said</th><th>We did</th><th>Priority set</th>'
        '<th class="num">Actions</th><th class="num">Days to act</th><th>Told back</th></tr></thead><tbody>'
        + "".join(body)
        + "</tbody></table>"
    )


def _detail(board: Dashboard, area: Area) -> str:
    since = ""
    if area.since is not None and area.timeline:
        by = f" by {esc(area.analyst)}" if area.analyst else ""
        why = cause(area.timeline[-1], area.timeline[-2] if len(area.timeline) > 1 else None)
        since = f'<p class="sub">Level in force since {time_tag(area.since)} UTC ({esc(why)}{by})</p>'
    nid = area.neighbourhood_id
    return (
        f'<section class="area" id="{esc(anchor(nid))}" data-neighbourhood="{esc(nid)}" '
        f'aria-labelledby="{esc("h-" + nid)}">'
        f'<h2 id="{esc("h-" + nid)}">{esc(area.name)} {_badge(area.level, area.label)}</h2>{since}'
        '<div class="columns">'
        f"<div><h3>Top priorities</h3>{_priorities(area)}"
        f"<h3>You said, we did</h3>{_feedback(area.feedback)}"
        f"<h3>Coverage gaps</h3>{_coverage(area.coverage)}</div>"
        f"<div><h3>Tension</h3>{_timeline(board, area)}</div>"
        "</div></section>"
    )


def _form(board: Dashboard) -> str:
    value = query_time(board.as_of) if board.as_of is not None else ""
    keep = (
        f'<input type="hidden" name="area" value="{esc(board.selected)}">'
        if board.selected is not None
        else ""
    )
    latest = f'<a href="{esc(href(board.model_copy(update={"requested": None}), board.selected))}">latest</a>'
    return (
        '<form class="asof" method="get" action="">'
        f'<label for="as_of">As of (UTC)<input id="as_of" type="datetime-local" name="as_of" step="60" '
        f'value="{esc(value)}"></label>{keep}<button type="submit">Show</button> {latest}</form>'
    )


def page(board: Dashboard, shapes: Sequence[tuple[str, Any]], title: str = "Neighbourhood engagement") -> str:
    """The whole document. ``shapes`` are each neighbourhood's id and boundary, in ``board.areas``' order."""
    marking = esc(board.marking)
    if board.as_of is None:
        status = '<p class="sub">No events have been heard yet: the tables are empty.</p>'
    else:
        compared = board.compared_with
        status = (
            f'<p class="sub">As of {time_tag(board.as_of)} UTC; movement against {time_tag(compared)} UTC; '
            f"newest event reflected {time_tag(board.latest)} UTC.</p>"
        )
    shown = [a for a in board.areas if board.selected is None or a.neighbourhood_id == board.selected]
    back = (
        f'<p><a href="{esc(href(board, None))}">Show every neighbourhood</a></p>'
        if board.selected is not None
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{marking}: {esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<p class="marking" id="marking-top" role="note">{marking}</p>'
        f"<header><h1>{esc(title)}</h1>{status}{_form(board)}</header><main>"
        '<div class="overview">'
        f'<div class="panel"><h2>Tension by neighbourhood</h2>{_map(board, shapes)}{_legend()}</div>'
        f'<div class="panel"><h2>Neighbourhoods</h2>{_overview(board)}</div></div>'
        f"{back}" + "".join(_detail(board, a) for a in shown) + "</main>"
        '<footer class="notes"><p>Priorities rank what residents raise across meetings, surveys, partners '
        "and "
        "social media; tension is the level in force (an analyst's override wins over the model). "
        "Free text is redacted at ingest.</p></footer>"
        f'<p class="marking" id="marking-bottom" role="note">{marking}</p>'
        "</body></html>\n"
    )
