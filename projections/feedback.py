"""Feedback, "you said, we did": what was done about each priority, how fast, and whether people were told.

A priority is set by a PACT or beat meeting (``MeetingHeld.priorities_agreed``) or published
(``PrioritySet``); actions arrive as ``ActionRecorded``. The state keeps both by event id, so the
fold does not depend on order; the reading is taken for an ``as_of`` time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field

from events import ActionRecorded, Envelope, Frozen, MeetingHeld, PrioritySet, Theme

SECONDS_PER_DAY = 86_400.0

Status = Literal["awaiting_action", "in_progress", "actioned", "no_action", "action_without_priority"]


class Action(Frozen):
    time: AwareDatetime
    outcome: Literal["completed", "in_progress", "no_action"]
    reason: str = ""
    reported_back: bool = False
    issue_time: AwareDatetime | None = None


class FeedbackState(Frozen):
    neighbourhood_id: str
    priorities: Mapping[Theme, Mapping[str, AwareDatetime]] = Field(default_factory=dict)
    """Per theme, event id -> when it was set as a priority."""
    actions: Mapping[Theme, Mapping[str, Action]] = Field(default_factory=dict)


class FeedbackRow(Frozen):
    """One row of ``feedback_current``: a theme that was made a priority or acted on."""

    theme: Theme
    status: Status
    priority_set_at: AwareDatetime | None
    """When it most recently became a priority."""
    actions: int
    first_action_at: AwareDatetime | None
    last_action_at: AwareDatetime | None
    days_to_action: float | None
    """From the issue (the action's own issue time, else the priority) to the first action after it."""
    reported_back: bool
    """Whether any action on it was reported back to the community."""
    reason: str
    """Why nothing was done, from the latest ``no_action``; empty otherwise."""


def evolve(state: FeedbackState | None, event: Envelope) -> FeedbackState:
    current = state or FeedbackState(neighbourhood_id=event.neighbourhood_id)
    payload = event.payload
    themes: tuple[Theme, ...] = ()
    if isinstance(payload, PrioritySet):
        themes = (payload.theme,)
    elif isinstance(payload, MeetingHeld) and payload.meeting_kind in ("pact", "beat"):
        themes = payload.priorities_agreed
    if themes:
        priorities = dict(current.priorities)
        for theme in themes:
            priorities[theme] = {**priorities.get(theme, {}), event.event_id: event.event_time}
        return current.model_copy(update={"priorities": priorities})
    if isinstance(payload, ActionRecorded):
        actions = dict(current.actions)
        action = Action(
            time=event.event_time,
            outcome=payload.outcome,
            reason=payload.reason,
            reported_back=payload.reported_back,
            issue_time=payload.issue_time,
        )
        actions[payload.theme] = {**actions.get(payload.theme, {}), event.event_id: action}
        return current.model_copy(update={"actions": actions})
    return current


def fold(events: Iterable[Envelope]) -> dict[str, FeedbackState]:
    states: dict[str, FeedbackState] = {}
    for event in events:
        states[event.neighbourhood_id] = evolve(states.get(event.neighbourhood_id), event)
    return states


def read(state: FeedbackState, as_of: datetime) -> list[FeedbackRow]:
    """One row per theme that was a priority or was acted on by ``as_of``, ordered by theme."""
    rows: list[FeedbackRow] = []
    for theme in sorted(set(state.priorities) | set(state.actions), key=lambda t: t.value):
        set_times = [t for t in state.priorities.get(theme, {}).values() if t <= as_of]
        actions = sorted(
            (a for a in state.actions.get(theme, {}).values() if a.time <= as_of),
            key=lambda a: (a.time, a.outcome, a.reason),
        )
        if not set_times and not actions:
            continue
        priority_set_at = max(set_times) if set_times else None
        issue = actions[0].issue_time if actions and actions[0].issue_time else priority_set_at
        first = actions[0].time if actions else None
        days = (first - issue).total_seconds() / SECONDS_PER_DAY if first and issue else None
        latest = actions[-1] if actions else None
        status: Status
        if latest is None:
            status = "awaiting_action"
        elif not set_times:
            status = "action_without_priority"
        elif latest.outcome == "completed":
            status = "actioned"
        else:
            status = latest.outcome
        rows.append(
            FeedbackRow(
                theme=theme,
                status=status,
                priority_set_at=priority_set_at,
                actions=len(actions),
                first_action_at=first,
                last_action_at=latest.time if latest else None,
                days_to_action=days,
                reported_back=any(a.reported_back for a in actions),
                reason=latest.reason if latest is not None and latest.outcome == "no_action" else "",
            )
        )
    return rows
