"""The tension model: indicators, an EARS C2 spike against the area's own baseline, and hysteresis."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engage.settings import REPO_ROOT
from events import (
    CrimeRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    SocialSignalObserved,
    SurveyResponseReceived,
    Theme,
)
from projections.tension import (
    EPOCH,
    TensionParams,
    TensionState,
    c2,
    evolve,
    fold,
    history,
    level,
    velocity,
)
from tests.unit.test_architecture import SHELL_LIBRARIES, imported_roots

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
"""The start of an hour bucket."""


def env(event_id: str, when: datetime, payload: Payload, neighbourhood: str = "N1") -> Envelope:
    return Envelope(
        event_id=event_id,
        event_type=payload.event_type,
        event_time=when,
        recorded_time=when,
        source="test",
        neighbourhood_id=neighbourhood,
        payload=payload,
    )


def post(
    event_id: str,
    when: datetime,
    sentiment: float,
    hostility: float,
    theme: Theme = Theme.OTHER,
    where: str = "N1",
) -> Envelope:
    payload = SocialSignalObserved(
        platform="p", author=f"a_{event_id}", theme=theme, sentiment=sentiment, hostility=hostility
    )
    return env(event_id, when, payload, where)


def hate_call(event_id: str, when: datetime, where: str = "N1", count: int = 1) -> Envelope:
    return env(event_id, when, PartnerCallLogged(partner="council", theme=Theme.HATE, count=count), where)


def ordinary(where: str, hours: int, seed: int) -> list[Envelope]:
    """A day of ordinary traffic: three mild posts an hour, and now and then a partner call."""
    rng = random.Random(seed)
    events = []
    for h in range(-hours, 2):
        for m in (5, 25, 45):
            when = T0 + timedelta(hours=h, minutes=m)
            sentiment, hostility = round(rng.uniform(-0.4, 0.6), 3), round(0.3 * rng.random() ** 3, 3)
            events.append(post(f"{where}-{h}-{m}", when, sentiment, hostility, where=where))
        if h % 6 == 0:
            when = T0 + timedelta(hours=h, minutes=30)
            payload = PartnerCallLogged(partner="council", theme=Theme.ENVIRONMENT)
            events.append(env(f"{where}-call-{h}", when, payload, where))
    return events


def burst(where: str) -> list[Envelope]:
    """Hostile posts from twelve accounts and three hate reports, in the 40 minutes after T0."""
    posts = [
        post(
            f"burst-{i}",
            T0 + timedelta(minutes=2 + 3 * i),
            -0.9,
            0.85,
            Theme.HATE if i % 3 == 0 else Theme.OTHER,
            where,
        )
        for i in range(12)
    ]
    reports = [
        hate_call("burst-call", T0 + timedelta(minutes=20), where),
        env(
            "burst-crime",
            T0 + timedelta(minutes=30),
            CrimeRecorded(crime_type="Public order", theme=Theme.HATE),
            where,
        ),
        env(
            "burst-survey",
            T0 + timedelta(minutes=40),
            SurveyResponseReceived(survey_id="s", respondent="r", concerns=(Theme.HATE,)),
            where,
        ),
    ]
    return posts + reports


class TestSpike:
    def test_a_hostile_burst_raises_one_area_two_levels_within_the_hour_and_not_its_neighbour(self) -> None:
        events = ordinary("N1", 24, seed=1) + ordinary("N2", 24, seed=2) + burst("N1")
        states = fold(events)
        before = T0 - timedelta(seconds=1)
        within = T0 + timedelta(minutes=59)
        n1_before, n1_after = level(states["N1"], before), level(states["N1"], within)
        assert n1_before.level == 1
        assert n1_after.level >= n1_before.level + 2
        burst_ids = {e.event_id for e in burst("N1")}
        # The bucket's events, largest contribution first: the burst leads, ordinary posts trail.
        assert set(n1_after.evidence_ids[: len(burst_ids)]) == burst_ids
        assert all(event_id.startswith("N1-") for event_id in n1_after.evidence_ids[len(burst_ids) :])
        assert n1_after.since == T0

        n2_changes, _ = history(states["N2"], within)
        assert n2_changes == ()  # ordinary traffic moves nothing, all day
        assert level(states["N2"], before).level == level(states["N2"], within).level == 1

    def test_ordinary_traffic_alone_never_leaves_level_1(self) -> None:
        for seed in range(5):
            state = fold(ordinary("N1", 72, seed=seed))["N1"]
            assert history(state, T0 + timedelta(hours=2))[0] == ()

    def test_c2_against_the_baseline(self) -> None:
        # mean 4, sample sd sqrt(28 / 6)
        assert c2(10.0, [1, 2, 3, 4, 5, 6, 7], 1.0) == pytest.approx(6 / math.sqrt(28 / 6))
        assert c2(3.0, [0.0] * 7, 1.0) == 3.0  # a silent baseline uses the floor
        assert c2(3.0, [0.0] * 7, 2.0) == 1.5

    def test_the_baseline_skips_the_gap(self) -> None:
        # A rise in the two buckets just before is in the gap: it does not dampen the spike.
        ramp = [hate_call("r1", T0 - timedelta(minutes=30)), hate_call("r2", T0 - timedelta(minutes=90))]
        spike = [hate_call(f"s{i}", T0 + timedelta(minutes=10)) for i in range(3)]
        reading = level(fold(ramp + spike)["N1"], T0 + timedelta(minutes=30))
        assert reading.score == 15.0
        # Without a gap the ramp is in the baseline and the spike is smaller.
        no_gap = level(fold(ramp + spike)["N1"], T0 + timedelta(minutes=30), TensionParams(gap_buckets=0))
        assert no_gap.score < 15.0

    def test_indicators_from_every_channel(self) -> None:
        state = fold(
            [
                env("m", T0, MeetingHeld(meeting_kind="beat", attendance=5, issues_raised=())),
                env("s", T0, SurveyResponseReceived(survey_id="s", concerns=(Theme.NOISE,))),
                env("c", T0, CrimeRecorded(crime_type="Burglary", theme=Theme.BURGLARY)),
                env("p", T0, PartnerCallLogged(partner="housing", theme=Theme.VIOLENCE, count=2)),
                hate_call("h", T0, count=3),
            ]
        )["N1"]
        assert set(state.signals) == {"p", "h"}
        assert state.signals["p"].signals == 2
        assert state.signals["h"].hate == 3


class TestHysteresis:
    def test_rises_at_once_and_falls_one_step_per_quiet_hold(self) -> None:
        hour = timedelta(hours=1)
        events = [
            hate_call("h1", T0 + timedelta(minutes=5)),
            hate_call("h2", T0 + timedelta(minutes=6)),  # bucket 0: score 10, C2 10: level 4
            post("p1", T0 + hour, -1.0, 1.0),  # bucket 1: C2 3, level 2 on its own, under fall 7
        ]
        state = fold(events)["N1"]

        def at(bucket: int) -> int:
            return level(state, T0 + bucket * hour + timedelta(minutes=59)).level

        assert [at(b) for b in range(-1, 11)] == [1, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1]
        rise = level(state, T0 + timedelta(minutes=59))
        assert (rise.label, rise.evidence_ids, rise.score) == ("high", ("h1", "h2"), 10.0)
        first_fall = level(state, T0 + 3 * hour)
        assert first_fall.evidence_ids == ("p1",)  # the quiet buckets' events, none from the rise
        assert first_fall.since == T0 + 3 * hour

    def test_a_bucket_above_the_lower_threshold_restarts_the_hold(self) -> None:
        hour = timedelta(hours=1)
        events = [
            hate_call("h1", T0 + timedelta(minutes=5)),
            hate_call("h2", T0 + timedelta(minutes=6)),
            hate_call("h3", T0 + 2 * hour),
            post("p1", T0 + 2 * hour, -1.0, 1.0),  # bucket 2: C2 8, above fall 7, below rise 10
        ]
        state = fold(events)["N1"]
        levels = [level(state, T0 + b * hour + timedelta(minutes=59)).level for b in range(7)]
        assert levels == [4, 4, 4, 4, 4, 3, 3]

    def test_levels_and_labels_are_configurable(self) -> None:
        three = TensionParams(
            labels=("green", "amber", "red"), rise=(3.0, 8.0), fall=(1.0, 5.0), hold_buckets=1
        )
        state = fold([hate_call("h1", T0), hate_call("h2", T0)])["N1"]
        reading = level(state, T0, three)
        assert (reading.level, reading.label) == (3, "red")
        assert level(state, T0 + timedelta(hours=1), three).level == 2
        with pytest.raises(ValidationError):
            TensionParams(labels=("a", "b"), rise=(3.0, 6.0), fall=(2.0, 4.0))
        with pytest.raises(ValidationError):
            TensionParams(rise=(3.0, 6.0, 10.0, 15.0), fall=(4.0, 4.0, 7.0, 11.0))

    def test_events_after_as_of_are_not_read(self) -> None:
        state = fold([hate_call("late", T0 + timedelta(hours=3), count=4)])["N1"]
        assert level(state, T0).level == 1
        assert level(state, T0 + timedelta(hours=3)).level == 5
        assert level(TensionState(neighbourhood_id="N9"), T0).level == 1


post_strategy = st.tuples(
    st.floats(-1.0, 1.0), st.floats(0.0, 1.0), st.sampled_from([Theme.HATE, Theme.OTHER, Theme.NOISE])
)


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(posts=st.lists(post_strategy, min_size=1, max_size=40), hates=st.integers(0, 3), data=st.data())
    def test_a_shuffled_bucket_gives_the_same_reading(
        self, posts: list[tuple[float, float, Theme]], hates: int, data: st.DataObject
    ) -> None:
        background = ordinary("N1", 12, seed=7)
        inside = [
            post(f"x{i}", T0 + timedelta(minutes=i % 60), s, h, theme)
            for i, (s, h, theme) in enumerate(posts)
        ]
        inside += [hate_call(f"hc{i}", T0 + timedelta(minutes=30)) for i in range(hates)]
        shuffled = data.draw(st.permutations(inside))
        as_of = T0 + timedelta(minutes=59, seconds=59)
        ordered = level(fold(background + inside)["N1"], as_of)
        reordered = level(fold(background + list(shuffled))["N1"], as_of)
        assert ordered == reordered
        assert history(fold(background + inside)["N1"], as_of) == history(
            fold(list(shuffled) + background)["N1"], as_of
        )

    @settings(max_examples=30, deadline=None)
    @given(posts=st.lists(post_strategy, min_size=1, max_size=20))
    def test_a_repeated_event_is_folded_once(self, posts: list[tuple[float, float, Theme]]) -> None:
        events = [post(f"x{i}", T0 + timedelta(minutes=i), s, h, t) for i, (s, h, t) in enumerate(posts)]
        once = fold(events)["N1"]
        twice = once
        for event in events:
            twice = evolve(twice, event)
        assert twice == once


def test_the_model_imports_no_shell_library() -> None:
    assert not imported_roots(REPO_ROOT / "projections" / "tension.py") & SHELL_LIBRARIES


def test_velocity_is_the_rise_of_the_score_from_the_last_bucket() -> None:
    now = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
    earlier = [post(f"a{i}", now - timedelta(hours=1), -1.0, 0.0) for i in range(2)]
    current = [post(f"b{i}", now - timedelta(minutes=5), -1.0, 0.0) for i in range(5)]
    state = fold(earlier + current)["N1"]
    assert velocity(state, now) == pytest.approx(3.0)
    assert velocity(state, now + timedelta(hours=1)) == pytest.approx(-5.0)


class TestKeptTotals:
    """A reading as of the watermark uses the bucket totals the fold keeps; they must be the totals
    the signals give, bit for bit, whatever the order the signals came in."""

    @settings(max_examples=40, deadline=None)
    @given(
        posts=st.lists(post_strategy, min_size=1, max_size=40),
        hours=st.integers(1, 120),
        order=st.integers(0, 10_000),
    )
    def test_the_kept_totals_read_as_the_signals_do(
        self, posts: list[tuple[float, float, Theme]], hours: int, order: int
    ) -> None:
        background = ordinary("N1", hours, seed=order)
        inside = [
            post(f"x{i}", T0 + timedelta(minutes=7 * i), s, h, theme) for i, (s, h, theme) in enumerate(posts)
        ]
        events = background + inside
        random.Random(order).shuffle(events)
        state = fold(events)["N1"]
        assert state.watermark is not None and state.totals
        from_signals = state.model_copy(update={"basis": "", "totals": {}})
        as_of = state.watermark
        assert history(state, as_of) == history(from_signals, as_of)
        assert level(state, as_of) == level(from_signals, as_of)
        assert velocity(state, as_of) == velocity(from_signals, as_of)

    def test_only_unsealed_buckets_are_kept(self) -> None:
        state = fold(ordinary("N1", 24 * 5, seed=3))["N1"]
        assert state.sealed is not None
        buckets = {int((s.time - EPOCH) // TensionParams().bucket) for s in state.signals.values()}
        assert set(state.totals) == buckets
        assert min(state.totals) >= state.sealed.through

    def test_other_parameters_read_from_the_signals(self) -> None:
        state = fold([hate_call("h1", T0), hate_call("h2", T0)])["N1"]
        doubled = TensionParams(weight_hate=10.0)
        # 2 hate reports: 10 at the default weight, 20 at the doubled one; the kept totals are the former.
        assert velocity(state, T0) == pytest.approx(10.0)
        assert velocity(state, T0, doubled) == pytest.approx(20.0)


def test_a_state_reads_back_from_its_json_as_it_was() -> None:
    """Indicators are named tuples: the worker's table holds a state as JSON and reads it back."""
    state = fold([*ordinary("N1", 30, seed=5), *burst("N1")])["N1"]
    assert state.signals and state.totals
    raw = state.model_dump_json()
    back = TensionState.model_validate_json(raw)
    assert back == state
    assert back.model_dump_json() == raw
    assert all(isinstance(s, type(next(iter(state.signals.values())))) for s in back.signals.values())
