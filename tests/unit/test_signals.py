"""Sentiment, hostility and rumour of posts: bounded, explained by their cues, ordered as a reader would."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import signals
from connectors.evaluation.metrics import binary, cohen_kappa, macro_f1, pearson, ranks, spearman


class TestSentiment:
    def test_praise_is_positive_complaint_negative_and_fact_neutral(self) -> None:
        assert signals.sentiment("Brilliant work by the police, thank you!") > 0.5
        assert signals.sentiment("Awful. Sick of the dealing, nobody cares.") < -0.5
        assert signals.sentiment_class(signals.sentiment("The meeting is on Tuesday at 7pm.")) == 0

    def test_classes_use_vaders_cut_offs(self) -> None:
        assert [signals.sentiment_class(s) for s in (-0.05, -0.049, 0.049, 0.05)] == [-1, 0, 0, 1]


class TestHostility:
    @pytest.mark.parametrize(
        "text",
        [
            "Everyone get down there tonight and sort them out",
            "These people are vermin",
            "you stupid idiot",
            "I'm going to kill him",
        ],
    )
    def test_abuse_threats_and_calls_to_act_are_hostile(self, text: str) -> None:
        assert signals.hostility(text) >= signals.HOSTILE

    @pytest.mark.parametrize(
        "text",
        [
            "The fly-tipping on our street is disgusting",
            "Racist abuse shouted at a family last night. Awful.",
            "Bloody bins not collected again",
            "Lovely day at the park",
        ],
    )
    def test_complaints_and_reports_of_abuse_are_not(self, text: str) -> None:
        assert signals.hostility(text) < signals.HOSTILE

    def test_more_cues_mean_more_hostility_and_each_is_named(self) -> None:
        one = signals.hostility("you idiot")
        two = signals.hostility("you idiot, I'll kill you")
        assert 0 < one < two <= 1
        kinds = {kind for kind, _ in signals.hostility_cues("you idiot, I'll kill you")}
        assert {"abuse", "threat", "addressed"} <= kinds

    def test_a_curly_apostrophe_counts_like_a_straight_one(self) -> None:
        assert signals.hostility("you\u2019re dead") == signals.hostility("you're dead") > 0


class TestRumour:
    @pytest.mark.parametrize(
        "text",
        [
            "Apparently there was a stabbing, share before it's deleted",
            "I heard the police are covering it up",
            "People are saying it was a shooting, unconfirmed",
        ],
    )
    def test_hearsay_and_suppression_claims_read_as_rumour(self, text: str) -> None:
        assert signals.rumour(text) >= 0.5

    def test_a_report_of_fact_is_not_rumour(self) -> None:
        assert signals.rumour("Police confirmed a man was arrested on Malden Road at 9pm") == 0

    def test_more_cues_mean_more_rumour(self) -> None:
        assert (
            0 < signals.rumour("apparently") < signals.rumour("apparently, I heard, they're covering it up")
        )


@given(st.text(max_size=300))
def test_every_score_stays_in_its_range(text: str) -> None:
    assert -1 <= signals.sentiment(text) <= 1
    assert 0 <= signals.hostility(text) <= 1
    assert 0 <= signals.rumour(text) <= 1


class TestMetrics:
    def test_correlations_of_known_series(self) -> None:
        assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1)
        assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1)
        assert spearman([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1)
        assert math.isnan(pearson([1, 1], [1, 2]))

    def test_ties_share_their_mean_rank(self) -> None:
        assert ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]

    def test_classification_scores_of_a_worked_example(self) -> None:
        truth = [1, 1, 0, 0, -1, -1]
        guess = [1, 0, 0, 0, -1, 1]
        # Per class F1: 1 -> 0.5, 0 -> 0.8, -1 -> 0.667.
        assert macro_f1(truth, guess) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
        # Observed 4/6; expected by chance (2*2 + 2*3 + 2*1) / 36 = 1/3.
        assert cohen_kappa(truth, guess) == pytest.approx((4 / 6 - 1 / 3) / (1 - 1 / 3))
        scores = binary([True, True, False, False], [True, False, True, False])
        assert (scores.precision, scores.recall, scores.f1) == (0.5, 0.5, 0.5)
