"""The pack as a person reads it: headings, paragraphs, charts and tables, in order.

Both renderers (``html.py`` and ``pdf.py``) walk the same ``Document``, so the HTML and the PDF hold
the same words and figures. Times are shown in the force's local time.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo

from events import Frozen, ProtectiveMarking
from projections.briefing import charts
from projections.briefing.assess import plural
from projections.briefing.model import (
    CHANNEL_LABELS,
    Pack,
    PriorityRow,
    group_label,
    theme_label,
)

TEXT_SHOWN = 160
"""Characters of an evidence event's text shown beside a tension change (the appendix has it all)."""


class Heading(Frozen):
    level: int
    text: str
    anchor: str


class Para(Frozen):
    text: str
    note: bool = False
    """Small print: legends and how to read a table."""


class Bullets(Frozen):
    items: tuple[str, ...]


class Figure(Frozen):
    charts: tuple[charts.Chart, ...]
    """Shown side by side."""


class Column(Frozen):
    title: str
    width: float
    """Share of the page width; text longer than the column wraps."""


class Grid(Frozen):
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    sensitive: tuple[int, ...] = ()
    """Rows that hold OFFICIAL-SENSITIVE content, marked as such."""
    empty: str = "None."


class PageBreak(Frozen):
    pass


Block = Heading | Para | Bullets | Figure | Grid | PageBreak


class Document(Frozen):
    title: str
    subtitle: str
    marking: ProtectiveMarking
    handling: str
    blocks: tuple[Block, ...]


def when(value: datetime | None, zone: tzinfo, *, time: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone)
    return local.strftime("%d %b %Y %H:%M %Z" if time else "%d %b %Y")


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _move(row: PriorityRow) -> str:
    if row.movement == "new":
        return "new"
    if row.movement == "same":
        return "="
    assert row.previous_rank is not None and row.rank is not None
    steps = abs(row.previous_rank - row.rank)
    return f"↑{steps}" if row.movement == "up" else f"↓{steps}"


def _priority_cell(row: PriorityRow) -> str:
    return f"{theme_label(row.theme)} ({_move(row)})" + (" [PACT]" if row.agreed else "")


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_SHOWN else flat[: TEXT_SHOWN - 1].rstrip() + "…"


def _tagged(marking: ProtectiveMarking, text: str) -> str:
    return f"[{marking.value}] {text}" if marking is not ProtectiveMarking.OFFICIAL else text


def document(pack: Pack, zone: tzinfo) -> Document:
    rules = pack.rules
    s = pack.summary
    evidence = {e.event_id: e for e in pack.evidence}
    blocks: list[Block] = []

    blocks.append(Heading(level=1, text="1. Summary", anchor="summary"))
    blocks.append(Bullets(items=s.headlines))
    blocks.append(
        Grid(
            columns=(Column(title="Measure", width=0.45), Column(title="Value", width=0.12)),
            rows=(
                ("Neighbourhoods in the area", str(s.neighbourhoods)),
                ("Neighbourhoods with priorities as of the pack", str(s.neighbourhoods_heard)),
                (f"At tension level {rules.reassurance_level} or above", str(s.tension_at_reassurance)),
                ("Tension rose / fell since the last pack", f"{s.tension_rose} / {s.tension_fell}"),
                (f"Themes new in a top {rules.top}", str(s.new_in_top)),
                ("Spikes against the neighbourhood's baseline", str(s.spikes)),
                (
                    "Recommended taskings (high / medium / low)",
                    f"{s.taskings['high']} / {s.taskings['medium']} / {s.taskings['low']}",
                ),
                (
                    f"Priorities awaiting action over {rules.report_back_after.days} days",
                    str(s.awaiting_overdue),
                ),
                ("Actions not reported back", str(s.not_reported_back)),
                ("Neighbourhoods with seldom-heard groups not heard", str(s.seldom_heard_gaps)),
            ),
        )
    )

    blocks.append(Heading(level=1, text="2. Recommended taskings", anchor="taskings"))
    blocks.append(
        Para(
            text="Each tasking comes from a written rule (the rule column; docs/briefing.md). They are "
            "recommendations for the TT&CG to accept, change or reject, not orders.",
            note=True,
        )
    )
    blocks.append(
        Grid(
            columns=(
                Column(title="Priority", width=0.07),
                Column(title="Neighbourhood", width=0.15),
                Column(title="Tasking", width=0.3),
                Column(title="Reason", width=0.43),
                Column(title="Rule", width=0.05),
            ),
            rows=tuple(
                (t.priority, t.neighbourhood, t.tasking, _tagged(t.marking, t.reason), t.rule)
                for t in pack.taskings
            ),
            sensitive=tuple(
                i for i, t in enumerate(pack.taskings) if t.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
            ),
            empty="No rule recommends a tasking.",
        )
    )

    blocks.append(PageBreak())
    blocks.append(Heading(level=1, text="3. Community tension", anchor="tension"))
    blocks.append(
        Figure(
            charts=(
                charts.tension_levels(s.tension_levels_now, s.tension_levels_before, pack.tension_labels),
                charts.tension_highest(pack.tension),
            )
        )
    )
    watched = sorted(
        (t for t in pack.tension if t.level > 1 or t.change != 0 or t.peak_level >= rules.reassurance_level),
        key=lambda t: (-t.level, -t.change, -t.peak_level, t.neighbourhood.casefold(), t.neighbourhood_id),
    )
    blocks.append(
        Heading(level=2, text="Levels now, at the last pack and in the period", anchor="tension-levels")
    )
    blocks.append(
        Grid(
            columns=(
                Column(title="Neighbourhood", width=0.2),
                Column(title="Now", width=0.12),
                Column(title="Last pack", width=0.08),
                Column(title="Peak", width=0.06),
                Column(title="Rises", width=0.06),
                Column(title="Since", width=0.15),
                Column(title="Set by", width=0.13),
                Column(title="Evidence", width=0.2),
            ),
            rows=tuple(
                (
                    t.neighbourhood,
                    f"{t.level} {t.label}",
                    str(t.previous_level),
                    str(t.peak_level),
                    str(t.rises),
                    when(t.since, zone),
                    t.cause + (f" ({t.analyst})" if t.analyst else ""),
                    ", ".join(t.evidence_ids),
                )
                for t in watched
            ),
            sensitive=tuple(
                i for i, t in enumerate(watched) if t.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
            ),
            empty="Every neighbourhood was at the first level throughout.",
        )
    )
    quiet = len(pack.tension) - len(watched)
    if quiet:
        blocks.append(
            Para(
                text=f"{plural(quiet, 'other neighbourhood', 'other neighbourhoods')} at level 1 throughout "
                "the period.",
                note=True,
            )
        )
    listed = [c for c in pack.tension_changes if c.listed]
    blocks.append(
        Heading(
            level=2,
            text=f"Changes in the period reaching level {rules.changes_listed_from} or set by an analyst",
            anchor="tension-changes",
        )
    )
    unlisted = len(pack.tension_changes) - len(listed)
    blocks.append(
        Para(
            text=f"{plural(len(pack.tension_changes), 'change', 'changes')} of the level in force in the "
            f"period; {unlisted} "
            f"below level {rules.changes_listed_from} are counted, not listed (tension_changes.csv has "
            "them all). Evidence: the events behind each rise, largest contribution first; their full "
            "text is in the appendix.",
            note=True,
        )
    )

    def evidence_text(ids: tuple[str, ...]) -> str:
        shown = [evidence[e] for e in ids if e in evidence][:2]
        parts = [
            _tagged(
                e.marking,
                f"{e.channel}"
                + (f", {theme_label(e.theme).lower()}" if e.theme else "")
                + f": {_short(e.text) or '(no free text)'}",
            )
            for e in shown
        ]
        more = len(ids) - len(shown)
        return " | ".join(parts) + (f" (+{more} more)" if more > 0 else "")

    blocks.append(
        Grid(
            columns=(
                Column(title="When", width=0.14),
                Column(title="Neighbourhood", width=0.15),
                Column(title="Level", width=0.1),
                Column(title="Cause", width=0.12),
                Column(title="C2", width=0.05),
                Column(title="Evidence", width=0.44),
            ),
            rows=tuple(
                (
                    when(c.at, zone),
                    c.neighbourhood,
                    f"{c.from_level} → {c.to_level} {c.label}",
                    c.cause + (f" ({c.analyst})" if c.analyst else ""),
                    _number(c.score),
                    evidence_text(c.evidence_ids),
                )
                for c in listed
            ),
            sensitive=tuple(
                i for i, c in enumerate(listed) if c.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
            ),
            empty="No change in the period reached that level, and no analyst assessed tension.",
        )
    )

    blocks.append(PageBreak())
    blocks.append(Heading(level=1, text="4. Priorities and their movement", anchor="priorities"))
    blocks.append(Figure(charts=(charts.top_themes(s.top_themes_now, s.top_themes_before, rules.top),)))
    moves = s.movement
    blocks.append(
        Para(
            text=f"Movement since the last pack, over each neighbourhood's top {rules.shown}: "
            f"{moves['new']} new, {moves['up']} up, {moves['same']} unchanged, {moves['down']} down, "
            f"{moves['out']} left the top {rules.shown}.",
        )
    )
    blocks.append(
        Para(
            text="Each cell: the theme, its movement since the last pack (↑ up and ↓ down by so many "
            "places, = unchanged, new: not ranked then), and [PACT] where the latest PACT or beat "
            "meeting agreed it. Scores and shares are in priorities.csv.",
            note=True,
        )
    )
    by_place: dict[str, list[PriorityRow]] = {}
    for p in pack.priorities:
        by_place.setdefault(p.neighbourhood_id, []).append(p)
    rank_columns = tuple(Column(title=str(i), width=0.7 / rules.shown) for i in range(1, rules.shown + 1))
    priority_rows = []
    for place in pack.places:
        lines = by_place.get(place.neighbourhood_id, [])
        ranked = {p.rank: p for p in lines if p.movement != "out" and p.rank is not None}
        gone = [p for p in lines if p.movement == "out"]
        cells = tuple(_priority_cell(ranked[r]) if r in ranked else "" for r in range(1, rules.shown + 1))
        left = ", ".join(
            f"{theme_label(p.theme)} (was {p.previous_rank}" + (f", now {p.rank})" if p.rank else ")")
            for p in gone
        )
        if not lines:
            cells = ("no voices heard yet", *cells[1:])
        priority_rows.append((place.name, *cells, left))
    blocks.append(
        Grid(
            columns=(
                Column(title="Neighbourhood", width=0.14),
                *rank_columns,
                Column(title=f"Left the top {rules.shown}", width=0.16),
            ),
            rows=tuple(priority_rows),
        )
    )

    blocks.append(Heading(level=1, text="5. Emerging issues", anchor="emerging"))
    blocks.append(
        Para(
            text=f"New in a top {rules.top} (rule E1), and spikes (rule E2): a theme's events in the period "
            f"against the neighbourhood's own {rules.spike_baseline_periods} earlier periods of the same "
            f"length, z = (events - mean) / max(sd, {rules.spike_sd_floor:g}) ≥ {rules.spike_z:g} with at "
            f"least {rules.spike_min_events} events.",
            note=True,
        )
    )
    blocks.append(
        Grid(
            columns=(
                Column(title="Neighbourhood", width=0.18),
                Column(title="Theme", width=0.18),
                Column(title="Signal", width=0.12),
                Column(title="Detail", width=0.52),
            ),
            rows=tuple(
                (
                    e.neighbourhood,
                    theme_label(e.theme),
                    f"new in top {rules.top}" if e.kind == "new_in_top" else "spike",
                    e.detail,
                )
                for e in pack.emerging
            ),
            empty="No emerging issue by either rule.",
        )
    )

    blocks.append(PageBreak())
    blocks.append(Heading(level=1, text="6. Coverage gaps: whom to engage next", anchor="coverage"))
    gaps = [
        c
        for c in pack.coverage
        if c.seldom_heard_gaps
        or c.channels_missing
        or c.low_turnout
        or c.falling_turnout
        or c.recurring_issues
    ]
    missing = Counter(g for c in pack.coverage for g in c.seldom_heard_gaps)
    if missing:
        blocks.append(
            Para(
                text="Seldom-heard groups not heard for 12 months, by neighbourhoods: "
                + ", ".join(
                    f"{group_label(g)} {n}"
                    for g, n in sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))
                )
                + "."
            )
        )
    blocks.append(
        Grid(
            columns=(
                Column(title="Neighbourhood", width=0.15),
                Column(title="Whom to engage next, and how", width=0.4),
                Column(title="Meetings (12 m)", width=0.09),
                Column(title="Mean turnout", width=0.09),
                Column(title="Trend", width=0.07),
                Column(title="Recurring at meetings", width=0.2),
            ),
            rows=tuple(
                (
                    c.neighbourhood,
                    c.engage_next or "-",
                    str(c.meetings_12m),
                    _number(c.mean_attendance_12m) + (" (low)" if c.low_turnout else ""),
                    _number(c.attendance_trend),
                    ", ".join(theme_label(t) for t in c.recurring_issues),
                )
                for c in gaps
            ),
            empty="No neighbourhood has a coverage gap.",
        )
    )
    blocks.append(
        Para(
            text=f"Channels: {', '.join(CHANNEL_LABELS.values())}. Turnout is low below "
            f"{rules.low_turnout_below:g}; the trend is the mean turnout of the latest 3 meetings minus that "
            "of the 3 before.",
            note=True,
        )
    )

    blocks.append(Heading(level=1, text="7. You said, we did", anchor="feedback"))
    statuses = Counter(f.status for f in pack.feedback)
    blocks.append(
        Para(
            text="Priorities and what was done: "
            + (
                ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(statuses.items()))
                or "none recorded"
            )
            + "."
        )
    )
    blocks.append(
        Grid(
            columns=(
                Column(title="Neighbourhood", width=0.14),
                Column(title="Theme", width=0.14),
                Column(title="Status", width=0.11),
                Column(title="Priority set", width=0.1),
                Column(title="Days open", width=0.07),
                Column(title="Days to act", width=0.07),
                Column(title="Actions", width=0.06),
                Column(title="Told", width=0.05),
                Column(title="Reason (no action)", width=0.26),
            ),
            rows=tuple(
                (
                    f.neighbourhood,
                    theme_label(f.theme),
                    f.status.replace("_", " "),
                    when(f.priority_set_at, zone, time=False),
                    _number(f.days_open, 0),
                    _number(f.days_to_action, 0),
                    str(f.actions),
                    "yes" if f.reported_back else "no",
                    f.reason,
                )
                for f in pack.feedback
            ),
            empty="No priority was set or acted on in the area.",
        )
    )

    blocks.append(PageBreak())
    blocks.append(Heading(level=1, text="Appendix A. Evidence", anchor="evidence"))
    blocks.append(
        Para(
            text="The events cited above, as held in the evidence store: free text was redacted by the "
            "connectors before it was published (names, contact details, vehicle registrations, full "
            "postcodes). Rows marked OFFICIAL-SENSITIVE are handled as such.",
            note=True,
        )
    )
    blocks.append(
        Grid(
            columns=(
                Column(title="Event", width=0.14),
                Column(title="When", width=0.12),
                Column(title="Neighbourhood", width=0.12),
                Column(title="Channel", width=0.08),
                Column(title="Theme", width=0.09),
                Column(title="Marking", width=0.1),
                Column(title="Text", width=0.35),
            ),
            rows=tuple(
                (
                    e.event_id,
                    when(e.event_time, zone),
                    e.neighbourhood,
                    e.channel,
                    theme_label(e.theme) if e.theme else "",
                    e.marking.value,
                    " ".join(e.text.split()),
                )
                for e in pack.evidence
            ),
            sensitive=tuple(
                i for i, e in enumerate(pack.evidence) if e.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
            ),
            empty="No evidence is cited.",
        )
    )
    blocks.append(Heading(level=1, text="Appendix B. How this pack was made", anchor="method"))
    blocks.append(
        Bullets(
            items=(
                "Every table is read as of the pack's time from the projections' history "
                "(valid_from <= as-of < valid_to); movement compares with the same tables as of the "
                "last pack.",
                f"T1: tension at level {rules.reassurance_level} or above: high-visibility patrol and "
                f"reassurance with partners (high priority from level {rules.high_priority_level}).",
                "T2: tension rose in the period on the model alone: an analyst confirms or overrides it.",
                f"T3: a top-{rules.top} priority with harm weight ≥ {rules.problem_solving_harm:g} and "
                "concern ahead of recorded crime (concern_crime_gap > 0): problem-solving plan.",
                "T4: a theme raised at 3 or more of the latest 6 meetings (and not under T3): "
                "problem-solving plan.",
                f"T5: a priority awaiting action for more than {rules.report_back_after.days} days: "
                "report back at the next PACT.",
                "T6: an action (or a decision not to act) not reported back: report back at the next PACT.",
                "T7: seldom-heard groups or voice channels not heard in 12 months: engagement naming them.",
                "T8: a spike (E2): scan and analyse the rise.",
                "Protective marking: the highest of the evidence cited; each OFFICIAL-SENSITIVE row is "
                "marked.",
            )
        )
    )
    n = len(pack.places)
    return Document(
        title=f"TT&CG tactical assessment: {pack.area}",
        subtitle=(
            f"As of {when(pack.as_of, zone)}; movement since the last pack, "
            f"{when(pack.previous_as_of, zone)}. "
            f"{n} neighbourhood{'s' if n != 1 else ''}."
        ),
        marking=pack.marking,
        handling=(
            "Holds OFFICIAL-SENSITIVE evidence (rows marked): share only with those at the TT&CG who need it."
            if pack.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
            else "For the TT&CG and partners working with it. Free text is redacted community information."
        ),
        blocks=tuple(blocks),
    )
