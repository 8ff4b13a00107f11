"""The priority model: breadth of distinct voices, harm, recency, channels, seldom-heard uplift."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.synthetic import generate
from engage.settings import REPO_ROOT
from events import (
    Channel,
    CrimeRecorded,
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
from projections.priority import (
    HARM_WEIGHTS,
    ParametersChanged,
    PriorityParams,
    PriorityRow,
    PriorityState,
    ScoredBeforeItsVoices,
    Voice,
    _contributions,
    _ranked,
    _Tally,
    decay,
    divergence,
    evolve,
    fold,
    score,
    wilson_lower_bound,
)
from tests.unit.test_architecture import SHELL_LIBRARIES, imported_roots

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def env(event_id: str, days_ago: float, payload: Payload, neighbourhood: str = "N1") -> Envelope:
    return Envelope(
        event_id=event_id,
        event_type=payload.event_type,
        event_time=AS_OF - timedelta(days=days_ago),
        recorded_time=AS_OF,
        source="test",
        neighbourhood_id=neighbourhood,
        payload=payload,
    )


def survey(
    event_id: str, respondent: str, *concerns: Theme, days_ago: float = 0, groups: tuple[str, ...] = ()
) -> Envelope:
    return env(
        event_id,
        days_ago,
        SurveyResponseReceived(
            survey_id="s", respondent=respondent, concerns=concerns, respondent_groups=groups
        ),
    )


def post(event_id: str, author: str, theme: Theme, days_ago: float = 0) -> Envelope:
    return env(event_id, days_ago, SocialSignalObserved(platform="p", author=author, theme=theme))


def ranked(events: list[Envelope], params: PriorityParams | None = None) -> list[PriorityRow]:
    return score(fold(events, params)["N1"], AS_OF, params)


def by_theme(rows: list[PriorityRow]) -> dict[Theme, PriorityRow]:
    return {row.theme: row for row in rows}


WORKED_EXAMPLE = [
    survey("we-1", "r1", Theme.BURGLARY, Theme.NOISE, days_ago=56),
    survey("we-2", "r2", Theme.NOISE, days_ago=0, groups=("young_people",)),
    post("we-3", "a1", Theme.BURGLARY, days_ago=56),
    post("we-4", "a1", Theme.BURGLARY, days_ago=28),
    post("we-5", "a1", Theme.BURGLARY, days_ago=0),
    env("we-6", 28, PartnerCallLogged(partner="council", theme=Theme.NOISE, count=2)),
    env(
        "we-7",
        28,
        MeetingHeld(
            meeting_kind="pact",
            attendance=10,
            attendee_groups=(
                GroupCount(group="residents", count=8),
                GroupCount(group="young_people", count=2),
            ),
            issues_raised=(IssueRaised(theme=Theme.BURGLARY, votes=4),),
            priorities_agreed=(Theme.BURGLARY,),
        ),
    ),
    env("we-8", 5, CrimeRecorded(crime_type="Burglary", theme=Theme.BURGLARY)),
]


class TestWorkedExample:
    """The example of docs/models.md, computed there by hand."""

    def test_the_numbers_of_the_document(self) -> None:
        rows = ranked(WORKED_EXAMPLE)
        assert [(r.rank, r.theme) for r in rows] == [(1, Theme.BURGLARY), (2, Theme.NOISE)]
        burglary, noise = rows
        assert (burglary.voices, burglary.neighbourhood_voices) == (6, 15)
        assert round(burglary.breadth, 4) == 0.1982
        assert burglary.harm == 2.3
        assert round(burglary.recency, 4) == 0.5417
        assert burglary.channels == (Channel.MEETING, Channel.SOCIAL, Channel.SURVEY)
        assert burglary.channel_factor == 1.5
        assert round(burglary.seldom_heard_share, 4) == 0.1333
        assert round(burglary.uplift, 4) == 1.0667
        assert round(burglary.score, 4) == 0.3952
        assert (burglary.recorded_crimes, burglary.agreed) == (1, True)

        assert (noise.voices, noise.neighbourhood_voices) == (4, 15)
        assert round(noise.breadth, 4) == 0.1090
        assert noise.recency == 0.5625
        assert noise.channels == (Channel.PARTNER_CALL, Channel.SURVEY)
        assert noise.channel_factor == 1.25
        assert noise.uplift == 1.125
        assert round(noise.score, 4) == 0.0948
        assert (noise.recorded_crimes, noise.agreed) == (0, False)

    def test_divergence_of_the_example(self) -> None:
        result = divergence(fold(WORKED_EXAMPLE)["N1"], AS_OF)
        assert result.agreed == (Theme.BURGLARY,)
        assert result.top_elsewhere == (Theme.NOISE, Theme.BURGLARY)
        assert (result.agreed_not_in_top, result.top_not_agreed) == ((), (Theme.NOISE,))


class TestVoices:
    def test_one_account_posting_100_times_does_not_outrank_20_residents(self) -> None:
        loud = [post(f"loud-{i}", "a_loud", Theme.VIOLENCE, days_ago=i / 100) for i in range(100)]
        residents = [survey(f"res-{i}", f"r{i}", Theme.PARKING) for i in range(20)]
        rows = by_theme(ranked(loud + residents))
        # Violence weighs three times parking, and has five times the posts: only breadth can win.
        assert HARM_WEIGHTS[Theme.VIOLENCE] == 3 * HARM_WEIGHTS[Theme.PARKING]
        assert rows[Theme.VIOLENCE].voices == 1
        assert rows[Theme.PARKING].voices == 20
        assert rows[Theme.PARKING].neighbourhood_voices == 21
        assert rows[Theme.PARKING].rank == 1
        assert rows[Theme.PARKING].score > rows[Theme.VIOLENCE].score

    def test_posts_without_a_pseudonym_are_one_voice_each(self) -> None:
        anonymous = [
            env(f"a-{i}", 0, SocialSignalObserved(platform="p", theme=Theme.DRUGS)) for i in range(5)
        ]
        assert by_theme(ranked(anonymous))[Theme.DRUGS].voices == 5

    def test_a_meeting_counts_its_votes_and_a_partner_feed_its_count(self) -> None:
        rows = by_theme(
            ranked(
                [
                    env(
                        "m",
                        0,
                        MeetingHeld(
                            meeting_kind="street",
                            attendance=12,
                            issues_raised=(
                                IssueRaised(theme=Theme.DRUGS, votes=7),
                                IssueRaised(theme=Theme.NOISE, votes=0),
                            ),
                        ),
                    ),
                    env("p", 0, PartnerCallLogged(partner="housing", theme=Theme.NOISE, count=5)),
                ]
            )
        )
        assert rows[Theme.DRUGS].voices == 7
        assert rows[Theme.NOISE].voices == 1 + 5  # raised without a vote still has the voice who raised it
        assert rows[Theme.DRUGS].neighbourhood_voices == 12 + 5
        assert rows[Theme.DRUGS].agreed is False  # a street meeting agrees no PACT priority

    def test_the_same_event_twice_changes_nothing(self) -> None:
        once = fold(WORKED_EXAMPLE[:-1])["N1"]
        twice = fold(WORKED_EXAMPLE[:-1] + WORKED_EXAMPLE[:-1])["N1"]
        assert score(once, AS_OF) == score(twice, AS_OF)

    def test_recorded_crime_is_context_not_a_voice(self) -> None:
        crimes = [env(f"c{i}", 0, CrimeRecorded(crime_type="Robbery", theme=Theme.ROBBERY)) for i in range(9)]
        state = fold([*crimes, survey("s", "r", Theme.NOISE)])["N1"]
        rows = score(state, AS_OF)
        assert [r.theme for r in rows] == [Theme.NOISE]
        assert state.recorded_crimes == {Theme.ROBBERY: 9}

    def test_an_unknown_neighbourhood_starts_empty(self) -> None:
        state = evolve(None, survey("s", "r", Theme.DRUGS))
        assert state.neighbourhood_id == "N1"
        assert set(state.theme_voices.by_theme()) == {Theme.DRUGS}
        assert score(PriorityState(neighbourhood_id="N9"), AS_OF) == []


class TestComponents:
    def test_wilson_lower_bound_matches_the_published_value(self) -> None:
        # 8 of 10: the Wilson 95% interval is 0.4902 to 0.9433 (e.g. Newcombe 1998, method 3).
        assert round(wilson_lower_bound(8, 10), 4) == 0.4902
        assert wilson_lower_bound(0, 10) == 0.0
        assert wilson_lower_bound(0, 0) == 0.0
        assert wilson_lower_bound(40, 100) > wilson_lower_bound(2, 3)

    def test_more_channels_weigh_more(self) -> None:
        one = [survey("a", "r1", Theme.DRUGS), survey("b", "r2", Theme.DRUGS), survey("x", "r3", Theme.NOISE)]
        two = [survey("a", "r1", Theme.DRUGS), post("b", "r2", Theme.DRUGS), survey("x", "r3", Theme.NOISE)]
        single, double = by_theme(ranked(one))[Theme.DRUGS], by_theme(ranked(two))[Theme.DRUGS]
        assert (single.channel_factor, double.channel_factor) == (1.0, 1.25)
        assert double.score == pytest.approx(single.score * 1.25)

    def test_seldom_heard_voices_lift_a_theme(self) -> None:
        plain = by_theme(ranked([survey("a", "r1", Theme.DRUGS), survey("b", "r2", Theme.NOISE)]))
        lifted = by_theme(
            ranked([survey("a", "r1", Theme.DRUGS, groups=("Young_People",)), survey("b", "r2", Theme.NOISE)])
        )
        assert plain[Theme.DRUGS].uplift == 1.0
        assert lifted[Theme.DRUGS].uplift == 1.5
        assert lifted[Theme.NOISE].uplift == 1.0
        narrower = PriorityParams(seldom_heard_groups=frozenset({"older_people"}))
        events = [survey("a", "r1", Theme.DRUGS, groups=("young_people",)), survey("b", "r2", Theme.NOISE)]
        assert by_theme(ranked(events, narrower))[Theme.DRUGS].uplift == 1.0

    def test_recency_halves_every_half_life(self) -> None:
        events = [survey("a", "r1", Theme.DRUGS, days_ago=0), survey("b", "r2", Theme.DRUGS, days_ago=28)]
        assert by_theme(ranked(events))[Theme.DRUGS].recency == 0.75
        short = PriorityParams(half_life_days=14)
        assert by_theme(ranked(events, short))[Theme.DRUGS].recency == 0.625

    def test_every_theme_has_a_harm_weight(self) -> None:
        assert set(HARM_WEIGHTS) == set(Theme)
        assert HARM_WEIGHTS[Theme.VIOLENCE] > HARM_WEIGHTS[Theme.THEFT] > HARM_WEIGHTS[Theme.PARKING]


class TestDivergence:
    def test_agreed_themes_missing_from_the_top_and_top_themes_not_agreed(self) -> None:
        pact = MeetingHeld(meeting_kind="pact", attendance=8, priorities_agreed=(Theme.PARKING, Theme.DRUGS))
        events = [
            env(
                "old-pact",
                60,
                MeetingHeld(meeting_kind="pact", attendance=5, priorities_agreed=(Theme.NOISE,)),
            ),
            env("pact", 7, pact),
            *[survey(f"v{i}", f"v{i}", Theme.VIOLENCE) for i in range(6)],
            *[survey(f"d{i}", f"d{i}", Theme.DRUGS) for i in range(5)],
            *[survey(f"b{i}", f"b{i}", Theme.BURGLARY) for i in range(4)],
            survey("p", "p", Theme.PARKING),
        ]
        result = divergence(fold(events)["N1"], AS_OF)
        assert result.agreed == (Theme.DRUGS, Theme.PARKING)  # the older meeting's noise is superseded
        assert result.top_elsewhere == (Theme.VIOLENCE, Theme.DRUGS, Theme.BURGLARY)
        assert result.agreed_not_in_top == (Theme.PARKING,)
        assert result.top_not_agreed == (Theme.VIOLENCE, Theme.BURGLARY)


class TestProperties:
    @settings(max_examples=40, deadline=None)
    @given(seed=st.integers(0, 10_000), shuffle_seed=st.integers(0, 10_000))
    def test_the_ranking_does_not_depend_on_event_order(self, seed: int, shuffle_seed: int) -> None:
        events = list(generate(["N1", "N2"], 120, seed=seed))
        shuffled = events[:]
        random.Random(shuffle_seed).shuffle(shuffled)
        as_of = datetime(2026, 2, 1, tzinfo=UTC)
        ordered, reordered = fold(events), fold(shuffled)
        assert ordered.keys() == reordered.keys()
        for key in ordered:
            assert score(ordered[key], as_of) == score(reordered[key], as_of)

    @settings(max_examples=40, deadline=None)
    @given(repeats=st.integers(1, 50), others=st.integers(1, 10))
    def test_repeating_a_post_never_changes_the_breadth(self, repeats: int, others: int) -> None:
        base = [survey(f"o{i}", f"o{i}", Theme.NOISE) for i in range(others)]
        once = by_theme(ranked([*base, post("x0", "loud", Theme.DRUGS)]))
        many = by_theme(ranked([*base, *(post(f"x{i}", "loud", Theme.DRUGS) for i in range(repeats))]))
        assert many[Theme.DRUGS].breadth == once[Theme.DRUGS].breadth
        assert many[Theme.DRUGS].score == once[Theme.DRUGS].score


def test_the_model_imports_no_shell_library() -> None:
    assert not imported_roots(REPO_ROOT / "projections" / "priority.py") & SHELL_LIBRARIES


class TestKeptSums:
    """A view scores from the sums the fold keeps; they must agree with scoring every voice."""

    @settings(max_examples=40, deadline=None)
    @given(seed=st.integers(0, 10_000), days=st.floats(0, 400))
    def test_the_kept_sums_score_as_every_voice_does(self, seed: int, days: float) -> None:
        events = list(generate(["N1", "N2"], 150, seed=seed))
        as_of = max(e.event_time for e in events) + timedelta(days=days)
        for nid, state in fold(events).items():
            kept = score(state, as_of)
            every = _score_by_voice([e for e in events if e.neighbourhood_id == nid], as_of)
            assert [(r.rank, r.theme, r.voices, r.neighbourhood_voices, r.channels) for r in kept] == [
                (r.rank, r.theme, r.voices, r.neighbourhood_voices, r.channels) for r in every
            ]
            for fast, slow in zip(kept, every, strict=True):
                assert fast.recency == pytest.approx(slow.recency, rel=1e-12)
                assert fast.seldom_heard_share == pytest.approx(slow.seldom_heard_share, rel=1e-9, abs=1e-12)
                assert fast.score == pytest.approx(slow.score, rel=1e-9)

    def test_other_parameters_need_the_events_folded_again(self) -> None:
        events = [survey("a", "r1", Theme.DRUGS, days_ago=0), survey("b", "r2", Theme.DRUGS, days_ago=28)]
        state = fold(events)["N1"]
        short = PriorityParams(half_life_days=14)
        with pytest.raises(ParametersChanged, match="engage rebuild"):
            score(state, AS_OF, short)
        with pytest.raises(ParametersChanged):
            evolve(state, survey("c", "r3", Theme.NOISE), short)
        refolded = fold(events, short)["N1"]
        assert refolded.basis != state.basis
        assert by_theme(score(refolded, AS_OF, short))[Theme.DRUGS].recency == pytest.approx(0.625, rel=1e-12)

    def test_a_score_before_the_latest_voice_is_refused(self) -> None:
        state = fold([survey("a", "r1", Theme.DRUGS, days_ago=0)])["N1"]
        with pytest.raises(ScoredBeforeItsVoices, match="scores as of its latest voice"):
            score(state, AS_OF - timedelta(days=1))

    def test_anonymous_voices_are_summed_not_kept(self) -> None:
        calls = [
            env(f"c{i}", i, PartnerCallLogged(partner="council", theme=Theme.NOISE, count=i % 3 + 1))
            for i in range(60)
        ]
        state = fold([*calls, survey("s", "r1", Theme.DRUGS)])["N1"]
        assert list(state.voices) == ["survey:r1"]
        assert state.theme_voices.by_theme() == {Theme.DRUGS: ["survey:r1"]}
        assert state.tallies[Theme.NOISE][Channel.PARTNER_CALL].weight == sum(i % 3 + 1 for i in range(60))
        noise = by_theme(score(state, AS_OF))[Theme.NOISE]
        assert noise.neighbourhood_voices == sum(i % 3 + 1 for i in range(60)) + 1

    def test_a_voice_heard_again_moves_its_sum(self) -> None:
        once = fold([post("a", "x", Theme.DRUGS, days_ago=56), post("c", "y", Theme.NOISE)])["N1"]
        heard_again = [
            post("a", "x", Theme.DRUGS, days_ago=56),
            post("b", "x", Theme.DRUGS),
            post("c", "y", Theme.NOISE),
        ]
        again = fold(heard_again)["N1"]
        # The voice now counts as heard today (recency 1), not 56 days ago (0.25), and is still one voice.
        assert by_theme(score(once, AS_OF))[Theme.DRUGS].recency == pytest.approx(0.25, rel=1e-12)
        assert by_theme(score(again, AS_OF))[Theme.DRUGS].recency == pytest.approx(1.0, rel=1e-12)
        assert by_theme(score(again, AS_OF))[Theme.DRUGS].voices == 1


def _score_by_voice(events: list[Envelope], as_of: datetime) -> list[PriorityRow]:
    """The definition the sums follow, worked from the events: every voice merged under its key (an
    anonymous one is its event's alone), decayed one by one, and summed in floating point."""
    params = PriorityParams()
    voices: dict[str, Voice] = {}
    theme_voices: dict[tuple[Theme, str], Voice] = {}
    for event in {e.event_id: e for e in events}.values():
        everyone, by_theme = _contributions(event)
        for index, (key, voice) in enumerate(everyone):
            name = key or f"{event.event_id}/{index}"
            voices[name] = voices[name].merge(voice) if name in voices else voice
        for index, (theme, key, voice) in enumerate(by_theme):
            name = key or f"{event.event_id}/{index}"
            held = theme_voices.get((theme, name))
            theme_voices[(theme, name)] = held.merge(voice) if held else voice
    terms: dict[Theme, tuple[list[int], list[float], list[float], set[Channel]]] = {}
    for (theme, _), voice in theme_voices.items():
        weights, recencies, seldoms, channels = terms.setdefault(theme, ([], [], [], set()))
        age_days = (as_of - voice.last_time).total_seconds() / 86_400
        weights.append(voice.weight)
        recencies.append(voice.weight * decay(age_days, params.half_life_days))
        seldoms.append(voice.seldom_heard(params.seldom_heard_groups))
        channels.add(voice.channel)
    tallies = {t: _Tally(sum(w), math.fsum(r), math.fsum(s), c) for t, (w, r, s, c) in terms.items()}
    n = sum(v.weight for v in voices.values())
    state = fold(events)[events[0].neighbourhood_id]  # for the agreed priorities and recorded crimes
    return _ranked(state, params, n, tallies)


def _integers(value: object) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _integers(v)]
    if isinstance(value, list):
        return [i for v in value for i in _integers(v)]
    return []


def test_a_states_json_holds_no_integer_past_64_bits() -> None:
    """The exact sums pass 2**64; JSON readers such as orjson refuse such integers, so they go as text."""
    state = fold(list(generate(["N1"], 200, seed=7)))["N1"]
    assert max(u for by in state.tallies.values() for t in by.values() for u in t.recency.values()) > 2**64
    dumped = json.loads(state.model_dump_json())
    assert max(_integers(dumped), default=0) < 2**63
    assert PriorityState.model_validate(dumped) == state


def test_a_state_reads_back_from_its_json_as_it_was() -> None:
    """Voices are named tuples: the worker's table holds a state as JSON and reads it back."""
    state = fold(WORKED_EXAMPLE)["N1"]
    raw = state.model_dump_json()
    back = PriorityState.model_validate_json(raw)
    assert back == state
    assert back.model_dump_json() == raw
    assert all(isinstance(v, Voice) for v in back.voices.values())
    assert score(back, AS_OF) == score(state, AS_OF)
