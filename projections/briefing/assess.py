"""The pack's rules: from a snapshot of the database to what the TT&CG reads. Pure.

Each rule is written out in ``docs/briefing.md`` with its id (``T1``...``T8`` for taskings, ``E1`` and
``E2`` for emerging issues); a tasking's ``rule`` column names the one that made it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from events import ProtectiveMarking
from projections.briefing.model import (
    CHANNEL_LABELS,
    CoverageRow,
    CoverageState,
    EmergingIssue,
    Evidence,
    EvidenceRow,
    FeedbackRow,
    Pack,
    Priority,
    PriorityRow,
    RankedTheme,
    Rules,
    Snapshot,
    Summary,
    Tasking,
    TensionChange,
    TensionPoint,
    TensionRow,
    group_label,
    highest,
    theme_label,
)

SECONDS_PER_DAY = 86_400.0
PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}
STATUS_ORDER = {"awaiting_action": 0, "in_progress": 1, "no_action": 2, "actioned": 3}
ANALYST_CAUSES = ("override", "confirm", "clear", "override_ended")


def listed(point: TensionPoint, rules: Rules) -> bool:
    """Whether a change in the period is shown with its evidence."""
    return point.cause in ("override", "confirm", "clear", "override_ended") or (
        point.from_level is not None
        and point.level > point.from_level
        and point.level >= rules.changes_listed_from
    )


def _by_place(rows: Iterable[RankedTheme]) -> dict[str, dict[str, RankedTheme]]:
    grouped: dict[str, dict[str, RankedTheme]] = defaultdict(dict)
    for row in rows:
        grouped[row.neighbourhood_id][row.theme] = row
    return grouped


def movement(snapshot: Snapshot, names: dict[str, str], rules: Rules) -> tuple[PriorityRow, ...]:
    """Each neighbourhood's top ``shown`` themes with their rank at the last pack, and the themes
    that were in the top ``shown`` then and are not now (``out``)."""
    now, before = _by_place(snapshot.priorities_now), _by_place(snapshot.priorities_before)
    rows: list[PriorityRow] = []
    for nid, name in names.items():
        current, earlier = now.get(nid, {}), before.get(nid, {})
        for theme, line in sorted(current.items(), key=lambda kv: (kv[1].rank, kv[0])):
            if line.rank > rules.shown:
                continue
            previous = earlier[theme].rank if theme in earlier else None
            moved = (
                "new"
                if previous is None
                else "up"
                if previous > line.rank
                else "down"
                if previous < line.rank
                else "same"
            )
            rows.append(
                PriorityRow(
                    **line.model_dump(exclude={"neighbourhood_id", "theme", "rank"}),
                    neighbourhood_id=nid,
                    neighbourhood=name,
                    theme=theme,
                    rank=line.rank,
                    previous_rank=previous,
                    movement=moved,
                )
            )
        for theme, old in sorted(earlier.items(), key=lambda kv: (kv[1].rank, kv[0])):
            still = current.get(theme)
            if old.rank > rules.shown or (still is not None and still.rank <= rules.shown):
                continue
            rows.append(
                PriorityRow(
                    neighbourhood_id=nid,
                    neighbourhood=name,
                    theme=theme,
                    rank=None if still is None else still.rank,
                    previous_rank=old.rank,
                    movement="out",
                    score=None if still is None else still.score,
                    voices=None if still is None else still.voices,
                    harm=None if still is None else still.harm,
                    voice_share=None if still is None else still.voice_share,
                    crime_share=None if still is None else still.crime_share,
                    concern_crime_gap=None if still is None else still.concern_crime_gap,
                    channels=() if still is None else still.channels,
                    seldom_heard_share=None if still is None else still.seldom_heard_share,
                    agreed=False if still is None else still.agreed,
                    in_top_elsewhere=False if still is None else still.in_top_elsewhere,
                )
            )
    return tuple(rows)


def new_in_top(priorities: Sequence[PriorityRow], rules: Rules) -> list[EmergingIssue]:
    """Rule E1: a theme in a neighbourhood's top ``top`` now that was not in it at the last pack."""
    issues = []
    for row in priorities:
        if row.rank is None or row.rank > rules.top:
            continue
        if row.previous_rank is not None and row.previous_rank <= rules.top:
            continue
        was = "not ranked" if row.previous_rank is None else f"rank {row.previous_rank}"
        issues.append(
            EmergingIssue(
                neighbourhood_id=row.neighbourhood_id,
                neighbourhood=row.neighbourhood,
                theme=row.theme,
                kind="new_in_top",
                rank=row.rank,
                previous_rank=row.previous_rank,
                events=None,
                baseline_mean=None,
                baseline_sd=None,
                baseline_periods=None,
                z=None,
                detail=f"now rank {row.rank} of the top {rules.top}; at the last pack {was}",
            )
        )
    return issues


def spikes(snapshot: Snapshot, names: dict[str, str], rules: Rules) -> list[EmergingIssue]:
    """Rule E2: a theme's events in the period against the neighbourhood's own earlier periods.

    Baseline: the ``spike_baseline_periods`` periods before, each as long as the pack's, counting only
    periods that start at or after the neighbourhood's first voice event (a period before anyone was
    heard there is no evidence of quiet). z = (x - mean) / max(sd, floor), sd the sample sd.
    """
    length = snapshot.as_of - snapshot.previous_as_of
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for c in snapshot.theme_counts:
        counts[(c.neighbourhood_id, c.theme)][c.back] = c.events
    issues = []
    for (nid, theme), by_back in sorted(counts.items()):
        x = by_back.get(0, 0)
        first = snapshot.first_voice.get(nid)
        if x < rules.spike_min_events or first is None or nid not in names:
            continue
        heard = [
            k
            for k in range(1, rules.spike_baseline_periods + 1)
            if snapshot.as_of - (k + 1) * length >= first
        ]
        if len(heard) < rules.spike_min_baseline_periods:
            continue
        baseline = [float(by_back.get(k, 0)) for k in heard]
        mean = statistics.fmean(baseline)
        sd = statistics.stdev(baseline)
        z = (x - mean) / max(sd, rules.spike_sd_floor)
        if z < rules.spike_z:
            continue
        issues.append(
            EmergingIssue(
                neighbourhood_id=nid,
                neighbourhood=names[nid],
                theme=theme,
                kind="spike",
                rank=None,
                previous_rank=None,
                events=x,
                baseline_mean=mean,
                baseline_sd=sd,
                baseline_periods=len(heard),
                z=z,
                detail=(
                    f"{x} events in the period against a mean of {mean:.1f} (sd {sd:.1f}) over the "
                    f"{len(heard)} periods before; z = {z:.1f}"
                ),
            )
        )
    return issues


def _marking_of(evidence_ids: Sequence[str], evidence: dict[str, Evidence]) -> ProtectiveMarking:
    return highest(evidence[e].marking for e in evidence_ids if e in evidence)


def tension(
    snapshot: Snapshot, names: dict[str, str], evidence: dict[str, Evidence], rules: Rules
) -> tuple[tuple[TensionRow, ...], tuple[TensionChange, ...]]:
    labels = snapshot.tension_labels
    now = {p.neighbourhood_id: p for p in snapshot.tension_now}
    before = {p.neighbourhood_id: p for p in snapshot.tension_before}
    changes: dict[str, list[TensionPoint]] = defaultdict(list)
    for point in snapshot.tension_changes:
        changes[point.neighbourhood_id].append(point)
    rows, listed_changes = [], []
    for nid, name in names.items():
        current, earlier = now.get(nid), before.get(nid)
        level = current.level if current else 1
        previous = earlier.level if earlier else 1
        in_period = changes.get(nid, [])
        high = current is not None and level >= rules.reassurance_level
        cited = current.rise_evidence_ids[: rules.evidence_per_change] if current and high else ()
        rows.append(
            TensionRow(
                neighbourhood_id=nid,
                neighbourhood=name,
                level=level,
                label=current.label if current else labels[0],
                previous_level=previous,
                change=level - previous,
                peak_level=max([previous, level, *(p.level for p in in_period)]),
                rises=sum(1 for p in in_period if p.from_level is not None and p.level > p.from_level),
                since=current.valid_from if current and (current.level > 1 or current.seq > 0) else None,
                cause=current.cause if current else "start",
                analyst=current.analyst if current and current.cause in ANALYST_CAUSES else "",
                score=current.score if current else 0.0,
                risen_at=current.rise_at if current and high else None,
                risen_to=current.rise_level if current and high else None,
                evidence_ids=cited,
                marking=_marking_of(cited, evidence),
            )
        )
        for point in in_period:
            shown = listed(point, rules)
            ids = point.evidence_ids[: rules.evidence_per_change] if shown else point.evidence_ids
            listed_changes.append(
                TensionChange(
                    neighbourhood_id=nid,
                    neighbourhood=name,
                    at=point.valid_from,
                    from_level=point.from_level if point.from_level is not None else 1,
                    to_level=point.level,
                    label=point.label,
                    cause=point.cause,
                    score=point.score,
                    analyst=point.analyst,
                    evidence_ids=ids,
                    listed=shown,
                    marking=_marking_of(ids, evidence) if shown else ProtectiveMarking.OFFICIAL,
                )
            )
    return tuple(rows), tuple(listed_changes)


def feedback(snapshot: Snapshot, names: dict[str, str]) -> tuple[FeedbackRow, ...]:
    rows = []
    for f in snapshot.feedback:
        if f.neighbourhood_id not in names:
            continue
        days_open = (
            (snapshot.as_of - f.priority_set_at).total_seconds() / SECONDS_PER_DAY
            if f.status == "awaiting_action" and f.priority_set_at is not None
            else None
        )
        rows.append(
            FeedbackRow(
                **f.model_dump(exclude={"neighbourhood_id"}),
                neighbourhood_id=f.neighbourhood_id,
                neighbourhood=names[f.neighbourhood_id],
                days_open=days_open,
            )
        )
    return tuple(
        sorted(
            rows,
            key=lambda r: (
                STATUS_ORDER.get(r.status, 9),
                -(r.days_open or 0.0),
                r.neighbourhood.casefold(),
                r.neighbourhood_id,
                r.theme,
            ),
        )
    )


def _engage_next(c: CoverageState) -> str:
    parts = []
    if c.seldom_heard_gaps:
        parts.append("reach " + ", ".join(group_label(g) for g in c.seldom_heard_gaps))
    if c.channels_missing:
        parts.append("open " + ", ".join(CHANNEL_LABELS.get(x, x) for x in c.channels_missing))
    return "; ".join(parts)


def coverage(snapshot: Snapshot, names: dict[str, str], rules: Rules) -> tuple[CoverageRow, ...]:
    held = {c.neighbourhood_id: c for c in snapshot.coverage}
    rows = []
    for nid, name in names.items():
        c = held.get(nid) or CoverageState(
            neighbourhood_id=nid,
            channels_heard=(),
            channels_missing=tuple(CHANNEL_LABELS),
            voices_12m=0,
            groups_heard=(),
            seldom_heard_gaps=(),
            meetings_12m=0,
            mean_attendance_12m=None,
            attendance_trend=None,
            recurring_issues=(),
        )
        rows.append(
            CoverageRow(
                **c.model_dump(exclude={"neighbourhood_id"}),
                neighbourhood_id=nid,
                neighbourhood=name,
                low_turnout=c.mean_attendance_12m is not None
                and c.mean_attendance_12m < rules.low_turnout_below,
                falling_turnout=c.attendance_trend is not None and c.attendance_trend < 0,
                engage_next=_engage_next(c),
            )
        )
    return tuple(rows)


def taskings(
    tension_rows: Sequence[TensionRow],
    changes: Sequence[TensionChange],
    priorities: Sequence[PriorityRow],
    feedback_rows: Sequence[FeedbackRow],
    coverage_rows: Sequence[CoverageRow],
    emerging: Sequence[EmergingIssue],
    rules: Rules,
) -> tuple[Tasking, ...]:
    out: list[Tasking] = []

    def add(
        row: TensionRow | PriorityRow | FeedbackRow | CoverageRow | EmergingIssue,
        priority: Priority,
        rule: str,
        tasking: str,
        reason: str,
        theme: str | None = None,
        evidence_ids: tuple[str, ...] = (),
        marking: ProtectiveMarking = ProtectiveMarking.OFFICIAL,
    ) -> None:
        out.append(
            Tasking(
                neighbourhood_id=row.neighbourhood_id,
                neighbourhood=row.neighbourhood,
                priority=priority,
                rule=rule,
                tasking=tasking,
                reason=reason,
                theme=theme,
                evidence_ids=evidence_ids,
                marking=marking,
            )
        )

    latest_change: dict[str, TensionChange] = {}
    for change in changes:
        latest_change[change.neighbourhood_id] = change
    for t in tension_rows:
        if t.level >= rules.reassurance_level:
            add(
                t,
                "high" if t.level >= rules.high_priority_level else "medium",
                "T1",
                "High-visibility patrol and community reassurance with partners",
                f"tension level {t.level} ({t.label})"
                + (f" since {t.since:%Y-%m-%d %H:%M} UTC" if t.since else "")
                + (
                    f", after a rise to {t.risen_to} at {t.risen_at:%Y-%m-%d %H:%M} UTC"
                    if t.risen_at is not None and t.risen_at != t.since
                    else ""
                )
                + (
                    f"; {plural(len(t.evidence_ids), 'evidence event', 'evidence events')} cited"
                    if t.evidence_ids
                    else f"; set by {t.analyst} ({t.cause})"
                    if t.analyst
                    else f"; no evidence event behind it ({t.cause})"
                ),
                evidence_ids=t.evidence_ids,
                marking=t.marking,
            )
        last = latest_change.get(t.neighbourhood_id)
        if t.change > 0 and last is not None and last.cause == "model":
            add(
                t,
                "medium",
                "T2",
                "Analyst to confirm or override the modelled tension level",
                f"tension rose from {t.previous_level} to {t.level} in the period on the model alone; "
                "no analyst has confirmed or overridden it since",
            )
    recurring = {(c.neighbourhood_id, theme) for c in coverage_rows for theme in c.recurring_issues}
    planned: set[tuple[str, str]] = set()
    for p in priorities:
        if p.rank is None or p.rank > rules.top or p.harm is None:
            continue
        gap = p.concern_crime_gap
        if p.harm >= rules.problem_solving_harm and gap is not None and gap > 0:
            planned.add((p.neighbourhood_id, p.theme))
            crime = f"{p.crime_share:.0%}" if p.crime_share is not None else "none"
            add(
                p,
                "medium",
                "T3",
                f"Problem-solving plan for {theme_label(p.theme).lower()} with partners",
                f"top-{rules.top} priority (rank {p.rank}) of high harm (weight {p.harm:.1f}); "
                f"{p.voice_share or 0:.0%} of voices raise it against {crime} of recorded crime, "
                "so concern runs ahead of what is recorded",
                theme=p.theme,
            )
    coverage_of = {c.neighbourhood_id: c for c in coverage_rows}
    for nid, theme in sorted(recurring - planned):
        add(
            coverage_of[nid],
            "low",
            "T4",
            f"Problem-solving plan for {theme_label(theme).lower()}: it keeps coming back",
            "raised at 3 or more of the latest 6 meetings",
            theme=theme,
        )
    overdue_days = rules.report_back_after.total_seconds() / SECONDS_PER_DAY
    for f in feedback_rows:
        if f.status == "awaiting_action" and f.days_open is not None and f.days_open > overdue_days:
            add(
                f,
                "medium",
                "T5",
                f"Report back at the next PACT on {theme_label(f.theme).lower()}: "
                "what is being done, or why not",
                f"a priority since {f.priority_set_at:%Y-%m-%d} ({f.days_open:.0f} days) with no action "
                f"recorded (more than {overdue_days:.0f} days)",
                theme=f.theme,
            )
        elif f.status in ("actioned", "no_action") and not f.reported_back:
            add(
                f,
                "low",
                "T6",
                f"Report back at the next PACT what was done on {theme_label(f.theme).lower()}",
                f"status {f.status.replace('_', ' ')} but not reported back to the community",
                theme=f.theme,
            )
    for c in coverage_rows:
        if c.seldom_heard_gaps or c.channels_missing:
            add(
                c,
                "low",
                "T7",
                "Engagement: " + c.engage_next,
                f"{plural(c.voices_12m, 'voice event', 'voice events')} in 12 months"
                + (
                    ", none from "
                    + plural(len(c.seldom_heard_gaps), "seldom-heard group", "seldom-heard groups")
                    if c.seldom_heard_gaps
                    else ""
                )
                + (
                    f"; no {plural(len(c.channels_missing), 'channel', 'channels')} heard"
                    if c.channels_missing
                    else ""
                ),
            )
    for e in emerging:
        if e.kind == "spike":
            add(
                e,
                "medium",
                "T8",
                f"Scan and analyse the rise in {theme_label(e.theme).lower()} (emerging issue)",
                e.detail,
                theme=e.theme,
            )
    return tuple(
        sorted(
            out,
            key=lambda t: (
                PRIORITY_ORDER[t.priority],
                t.rule,
                t.neighbourhood.casefold(),
                t.neighbourhood_id,
                t.theme or "",
            ),
        )
    )


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _names_list(items: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def summary(
    snapshot: Snapshot,
    names: dict[str, str],
    priorities: Sequence[PriorityRow],
    tension_rows: Sequence[TensionRow],
    emerging: Sequence[EmergingIssue],
    tasks: Sequence[Tasking],
    feedback_rows: Sequence[FeedbackRow],
    coverage_rows: Sequence[CoverageRow],
    rules: Rules,
) -> Summary:
    levels = len(snapshot.tension_labels)
    at_now = [0] * levels
    at_before = [0] * levels
    for t in tension_rows:
        at_now[min(t.level, levels) - 1] += 1
        at_before[min(t.previous_level, levels) - 1] += 1
    top_now = Counter(p.theme for p in snapshot.priorities_now if p.rank <= rules.top)
    top_before = Counter(p.theme for p in snapshot.priorities_before if p.rank <= rules.top)
    moved = Counter(p.movement for p in priorities)
    overdue_days = rules.report_back_after.total_seconds() / SECONDS_PER_DAY
    overdue = [f for f in feedback_rows if f.days_open is not None and f.days_open > overdue_days]
    unreported = [f for f in feedback_rows if f.status in ("actioned", "no_action") and not f.reported_back]
    gaps = [c for c in coverage_rows if c.seldom_heard_gaps]
    high = sorted(
        (t for t in tension_rows if t.level >= rules.reassurance_level),
        key=lambda t: (-t.level, t.neighbourhood.casefold()),
    )
    rose = [t for t in tension_rows if t.change > 0]
    fell = [t for t in tension_rows if t.change < 0]
    new = [e for e in emerging if e.kind == "new_in_top"]
    spiking = [e for e in emerging if e.kind == "spike"]
    headlines = []
    label = snapshot.tension_labels[min(rules.reassurance_level, levels) - 1]
    if high:
        headlines.append(
            f"{plural(len(high), 'neighbourhood', 'neighbourhoods')} at tension level "
            f"{rules.reassurance_level} ({label}) or above: "
            + _names_list([f"{t.neighbourhood} ({t.level})" for t in high])
            + "."
        )
    else:
        headlines.append(
            f"No neighbourhood is at tension level {rules.reassurance_level} ({label}) or above."
        )
    headlines.append(
        f"Tension rose in {len(rose)} and fell in {plural(len(fell), 'neighbourhood', 'neighbourhoods')} "
        "since the last pack."
    )
    if new:
        headlines.append(
            f"{plural(len(new), 'theme', 'themes')} entered a top {rules.top}: "
            + _names_list([f"{theme_label(e.theme)} in {e.neighbourhood}" for e in new])
            + "."
        )
    if spiking:
        headlines.append(
            f"{plural(len(spiking), 'spike', 'spikes')} against the neighbourhood's own baseline: "
            + _names_list([f"{theme_label(e.theme)} in {e.neighbourhood} ({e.events})" for e in spiking])
            + "."
        )
    if overdue:
        headlines.append(
            f"{plural(len(overdue), 'priority', 'priorities')} awaiting action for more than "
            f"{overdue_days:.0f} days: "
            + _names_list([f"{theme_label(f.theme)} in {f.neighbourhood}" for f in overdue])
            + "."
        )
    if gaps:
        missing = Counter(g for c in gaps for g in c.seldom_heard_gaps).most_common(3)
        headlines.append(
            "Seldom-heard groups not heard for 12 months in "
            f"{plural(len(gaps), 'neighbourhood', 'neighbourhoods')}; most often: "
            + ", ".join(f"{group_label(g)} ({n})" for g, n in missing)
            + "."
        )
    if top_now:
        common = sorted(top_now.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        headlines.append(
            f"Most common top-{rules.top} themes: "
            + ", ".join(f"{theme_label(t)} ({n})" for t, n in common)
            + "."
        )
    return Summary(
        neighbourhoods=len(names),
        neighbourhoods_heard=len({p.neighbourhood_id for p in snapshot.priorities_now}),
        tension_at_reassurance=len(high),
        tension_rose=len(rose),
        tension_fell=len(fell),
        new_in_top=len(new),
        spikes=len(spiking),
        taskings={k: sum(1 for t in tasks if t.priority == k) for k in PRIORITY_ORDER},
        awaiting_overdue=len(overdue),
        not_reported_back=len(unreported),
        seldom_heard_gaps=len(gaps),
        movement={k: moved.get(k, 0) for k in ("new", "up", "same", "down", "out")},
        top_themes_now=dict(sorted(top_now.items())),
        top_themes_before=dict(sorted(top_before.items())),
        tension_levels_now=tuple(at_now),
        tension_levels_before=tuple(at_before),
        headlines=tuple(headlines),
    )


def assess(snapshot: Snapshot, area: str, rules: Rules) -> Pack:
    names = {p.neighbourhood_id: p.name for p in snapshot.places}
    evidence = {e.event_id: e for e in snapshot.evidence}
    priorities = movement(snapshot, names, rules)
    tension_rows, changes = tension(snapshot, names, evidence, rules)
    emerging = sorted(
        [*new_in_top(priorities, rules), *spikes(snapshot, names, rules)],
        key=lambda e: (e.neighbourhood.casefold(), e.neighbourhood_id, e.kind, e.theme),
    )
    feedback_rows = feedback(snapshot, names)
    coverage_rows = coverage(snapshot, names, rules)
    tasks = taskings(tension_rows, changes, priorities, feedback_rows, coverage_rows, emerging, rules)
    cited = {e for t in tension_rows for e in t.evidence_ids} | {
        e for c in changes if c.listed for e in c.evidence_ids
    }
    evidence_rows = tuple(EvidenceRow(**e.model_dump()) for e in snapshot.evidence if e.event_id in cited)
    return Pack(
        area=area,
        as_of=snapshot.as_of,
        previous_as_of=snapshot.previous_as_of,
        marking=highest([rules.minimum_marking, *(e.marking for e in evidence_rows)]),
        places=snapshot.places,
        rules=rules,
        tension_labels=snapshot.tension_labels,
        summary=summary(
            snapshot, names, priorities, tension_rows, emerging, tasks, feedback_rows, coverage_rows, rules
        ),
        priorities=priorities,
        tension=tension_rows,
        tension_changes=changes,
        emerging=tuple(emerging),
        taskings=tasks,
        coverage=coverage_rows,
        feedback=feedback_rows,
        evidence=evidence_rows,
        restricted=snapshot.restricted,
    )
