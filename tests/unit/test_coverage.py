"""The coverage model: channels, groups and meetings heard over a window of whole days, in a state
that does not grow with the events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events import (
    Channel,
    Envelope,
    GroupCount,
    IssueRaised,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)
from projections.coverage import DEFAULT_PARAMS, day_of, evolve, fold, read

AS_OF = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)


def env(event_id: str, when: datetime, payload: Payload) -> Envelope:
    return Envelope(
        event_id=event_id,
        event_type=payload.event_type,
        event_time=when,
        recorded_time=when,
        source="test",
        neighbourhood_id="N1",
        payload=payload,
    )


def call(event_id: str, days_ago: float) -> Envelope:
    return env(
        event_id, AS_OF - timedelta(days=days_ago), PartnerCallLogged(partner="council", theme=Theme.NOISE)
    )


def meeting(event_id: str, days_ago: float, attendance: int, *themes: Theme) -> Envelope:
    payload = MeetingHeld(
        meeting_kind="pact",
        attendance=attendance,
        attendee_groups=(GroupCount(group="Young_People", count=2),),
        issues_raised=tuple(IssueRaised(theme=t, votes=1) for t in themes),
    )
    return env(event_id, AS_OF - timedelta(days=days_ago), payload)


def test_the_window_is_the_days_up_to_as_of_day() -> None:
    # 364 days before is inside, even at an earlier hour; 365 days before is outside, even at a later one.
    inside = env(
        "in", AS_OF - timedelta(days=364, hours=15), PartnerCallLogged(partner="c", theme=Theme.NOISE)
    )
    outside = env(
        "out",
        AS_OF - timedelta(days=365) + timedelta(hours=8),
        PartnerCallLogged(partner="c", theme=Theme.NOISE),
    )
    state = fold([inside, outside, call("today", 0)])["N1"]
    row = read(state, AS_OF)
    assert row.voices_12m == 2
    assert row.channels_heard == (Channel.PARTNER_CALL,)
    assert Channel.SOCIAL in row.channels_missing


def test_the_state_keeps_no_more_than_the_window() -> None:
    events = [call(f"c{i}", i * 0.75) for i in range(1500)]  # three years, several a day
    events += [meeting(f"m{i}", i * 30, 10 + i, Theme.DRUGS) for i in range(36)]
    state = fold(events)["N1"]
    assert len(state.heard[Channel.PARTNER_CALL]) <= 365
    assert all(m.time > AS_OF - DEFAULT_PARAMS.window for m in state.meetings.values())
    assert len(state.meetings) == 13  # days 0, 30, ..., 360
    row = read(state, AS_OF)
    assert row.voices_12m == 13 + sum(
        1 for i in range(1500) if day_of(AS_OF) - day_of(AS_OF - timedelta(days=i * 0.75)) < 365
    )
    assert row.meetings_12m == 13
    assert row.recurring_issues == (Theme.DRUGS,)


def test_a_later_event_never_changes_an_earlier_state() -> None:
    # A state shares the days and meetings an event leaves alone with the state before it. States are
    # values: whoever still holds an earlier one must find it as it was.
    events = [call(f"c{i}", 500 - i * 0.75) for i in range(700)]
    events += [meeting(f"m{i}", 500 - i * 20, 10 + i, Theme.DRUGS) for i in range(25)]
    events.sort(key=lambda e: e.event_time)
    states, snapshots, state = [], [], None
    for event in events:
        state = evolve(state, event)
        states.append(state)
        snapshots.append(state.model_dump_json())
    assert [s.model_dump_json() for s in states] == snapshots
    assert min(state.heard[Channel.PARTNER_CALL]) > day_of(AS_OF) - 365  # the window did move on


def test_a_late_event_behind_the_window_is_not_counted() -> None:
    state = fold([call("now", 0), call("ancient", 500)])["N1"]
    assert read(state, AS_OF).voices_12m == 1
    assert list(state.heard[Channel.PARTNER_CALL]) == [day_of(AS_OF)]


def test_groups_and_surveys_are_heard() -> None:
    survey = SurveyResponseReceived(
        survey_id="s", respondent="r", concerns=(Theme.DRUGS,), respondent_groups=("Older_People",)
    )
    post = SocialSignalObserved(platform="p", author="a", theme=Theme.NOISE)
    state = fold([env("s", AS_OF, survey), env("p", AS_OF, post), meeting("m", 1, 12)])["N1"]
    row = read(state, AS_OF)
    assert row.groups_heard == ("older_people", "young_people")
    assert "older_people" not in row.seldom_heard_gaps and "students" in row.seldom_heard_gaps
    assert row.channels_heard == (Channel.MEETING, Channel.SURVEY, Channel.SOCIAL)
    assert row.mean_attendance_12m == 12


def test_a_repeated_event_is_dropped_by_the_fold_but_counted_by_evolve() -> None:
    once = call("c", 1)
    assert read(fold([once, once])["N1"], AS_OF).voices_12m == 1
    # evolve itself counts events: the worker and the replay drop a repeated id before it.
    assert read(evolve(evolve(None, once), once), AS_OF).voices_12m == 2


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.floats(0, 800), min_size=1, max_size=80),
    meetings=st.lists(st.tuples(st.floats(0, 800), st.integers(0, 40)), max_size=12),
    order=st.integers(0, 10_000),
)
def test_the_reading_does_not_depend_on_event_order(
    days: list[float], meetings: list[tuple[float, int]], order: int
) -> None:
    events = [call(f"c{i}", d) for i, d in enumerate(days)]
    events += [meeting(f"m{i}", d, n, Theme.DRUGS) for i, (d, n) in enumerate(meetings)]
    shuffled = events[:]
    random.Random(order).shuffle(shuffled)
    assert read(fold(events)["N1"], AS_OF) == read(fold(shuffled)["N1"], AS_OF)
    heard = [*days, *(d for d, _ in meetings)]  # a meeting is a voice event too
    expected = sum(1 for d in heard if day_of(AS_OF) - day_of(AS_OF - timedelta(days=d)) < 365)
    assert read(fold(shuffled)["N1"], AS_OF).voices_12m == expected
