"""The pack's rules (docs/briefing.md) on hand-made snapshots: no database, only the pure assessment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events import ProtectiveMarking
from projections.briefing.assess import assess
from projections.briefing.model import (
    DEFAULT_RULES,
    CoverageState,
    Evidence,
    FeedbackState,
    Pack,
    Place,
    RankedTheme,
    Snapshot,
    TensionPoint,
    ThemeCount,
)
from tests.unit.test_architecture import SHELL_LIBRARIES, imported_roots

T = datetime(2026, 2, 15, 6, tzinfo=UTC)
P = T - timedelta(days=14)
LABELS = ("normal", "elevated", "significant", "high", "critical")


def ranked(nid: str, theme: str, rank: int, **extra: Any) -> RankedTheme:
    values: dict[str, Any] = {
        "neighbourhood_id": nid,
        "theme": theme,
        "rank": rank,
        "score": 1.0 / rank,
        "voices": 10,
        "harm": 1.0,
        "voice_share": 0.1,
        "crime_share": None,
        "concern_crime_gap": None,
        "channels": ("survey",),
        "seldom_heard_share": 0.0,
        "agreed": False,
        "in_top_elsewhere": False,
    }
    return RankedTheme.model_validate(values | extra)


def point(nid: str, seq: int, at: datetime, level: int, **extra: Any) -> TensionPoint:
    values: dict[str, Any] = {
        "neighbourhood_id": nid,
        "seq": seq,
        "valid_from": at,
        "level": level,
        "label": LABELS[level - 1],
        "cause": "model",
        "score": 5.0,
        "evidence_ids": (),
        "analyst": "",
        "from_level": None,
    }
    return TensionPoint.model_validate(values | extra)


def feedback(nid: str, theme: str, status: str, set_at: datetime | None, **extra: Any) -> FeedbackState:
    values: dict[str, Any] = {
        "neighbourhood_id": nid,
        "theme": theme,
        "status": status,
        "priority_set_at": set_at,
        "actions": 0,
        "first_action_at": None,
        "last_action_at": None,
        "days_to_action": None,
        "reported_back": False,
        "reason": "",
    }
    return FeedbackState.model_validate(values | extra)


def coverage(nid: str, **extra: Any) -> CoverageState:
    values: dict[str, Any] = {
        "neighbourhood_id": nid,
        "channels_heard": ("meeting", "survey", "partner_call", "social"),
        "channels_missing": (),
        "voices_12m": 100,
        "groups_heard": ("older_people", "young_people"),
        "seldom_heard_gaps": (),
        "meetings_12m": 6,
        "mean_attendance_12m": 20.0,
        "attendance_trend": 1.0,
        "recurring_issues": (),
    }
    return CoverageState.model_validate(values | extra)


def snapshot(**extra: Any) -> Snapshot:
    values: dict[str, Any] = {
        "as_of": T,
        "previous_as_of": P,
        "places": (
            Place(neighbourhood_id="N1", name="Northside"),
            Place(neighbourhood_id="N2", name="Southside"),
        ),
        "priorities_now": (),
        "priorities_before": (),
        "tension_now": (),
        "tension_before": (),
        "tension_changes": (),
        "coverage": (coverage("N1"), coverage("N2")),
        "feedback": (),
        "theme_counts": (),
        "first_voice": {"N1": T - timedelta(days=365), "N2": T - timedelta(days=365)},
        "evidence": (),
        "tension_labels": LABELS,
    }
    return Snapshot.model_validate(values | extra)


def rules_of(pack: Pack, rule: str) -> list[str]:
    return [f"{t.neighbourhood_id}:{t.theme or ''}" for t in pack.taskings if t.rule == rule]


class TestMovement:
    """Each theme's rank now against the last pack's: up, down, same, new, and out of the top 5."""

    def test_movement_since_the_last_pack(self) -> None:
        pack = assess(
            snapshot(
                priorities_now=(
                    ranked("N1", "drugs", 1),
                    ranked("N1", "noise", 2),
                    ranked("N1", "theft", 3),
                    ranked("N1", "parking", 4),
                    ranked("N1", "burglary", 7),
                ),
                priorities_before=(
                    ranked("N1", "noise", 1),
                    ranked("N1", "drugs", 4),
                    ranked("N1", "parking", 4),
                    ranked("N1", "burglary", 2),
                ),
            ),
            "test",
            DEFAULT_RULES,
        )
        moved = {(p.theme, p.movement, p.rank, p.previous_rank) for p in pack.priorities}
        assert moved == {
            ("drugs", "up", 1, 4),
            ("noise", "down", 2, 1),
            ("theft", "new", 3, None),
            ("parking", "same", 4, 4),
            ("burglary", "out", 7, 2),
        }
        assert pack.summary.movement == {"new": 1, "up": 1, "same": 1, "down": 1, "out": 1}


class TestEmerging:
    """E1: new in the top 3. E2: a spike against the neighbourhood's own earlier periods."""

    def test_new_in_the_top_three(self) -> None:
        pack = assess(
            snapshot(
                priorities_now=(ranked("N1", "drugs", 1), ranked("N1", "noise", 3), ranked("N1", "theft", 4)),
                priorities_before=(ranked("N1", "noise", 2), ranked("N1", "drugs", 5)),
            ),
            "test",
            DEFAULT_RULES,
        )
        new = [(e.theme, e.previous_rank) for e in pack.emerging if e.kind == "new_in_top"]
        assert new == [("drugs", 5)]

    @staticmethod
    def counts(nid: str, theme: str, by_back: dict[int, int]) -> tuple[ThemeCount, ...]:
        return tuple(
            ThemeCount(neighbourhood_id=nid, theme=theme, back=b, events=n) for b, n in by_back.items()
        )

    def test_a_spike_against_the_own_baseline(self) -> None:
        baseline = {1: 1, 2: 0, 3: 2, 4: 1, 5: 1, 6: 1}
        pack = assess(
            snapshot(
                theme_counts=self.counts("N1", "drugs", {0: 8, **baseline})
                + self.counts("N2", "drugs", {0: 8, 1: 7, 2: 9, 3: 8, 4: 6, 5: 10, 6: 8}),
            ),
            "test",
            DEFAULT_RULES,
        )
        spikes = [e for e in pack.emerging if e.kind == "spike"]
        # N2 always hears about 8 a period: its 8 is its normal, N1's is not
        assert [(e.neighbourhood_id, e.events) for e in spikes] == [("N1", 8)]
        (spike,) = spikes
        assert spike.baseline_mean == pytest.approx(1.0)
        assert spike.baseline_sd == pytest.approx(0.6325, abs=1e-4)
        assert spike.z == pytest.approx((8 - 1.0) / 1.0)  # sd below the floor of 1
        assert rules_of(pack, "T8") == ["N1:drugs"]

    def test_below_the_threshold_or_the_minimum_is_no_spike(self) -> None:
        pack = assess(
            snapshot(
                theme_counts=self.counts("N1", "drugs", {0: 3, 1: 1, 2: 0, 3: 1})  # z = 3 - 0.33 < 3
                + self.counts("N2", "noise", {0: 2}),  # z = 2, and under 3 events
            ),
            "test",
            DEFAULT_RULES,
        )
        assert [e for e in pack.emerging if e.kind == "spike"] == []

    def test_no_spike_without_enough_history(self) -> None:
        recent = {"N1": T - timedelta(days=30), "N2": T - timedelta(days=365)}
        pack = assess(
            snapshot(theme_counts=self.counts("N1", "drugs", {0: 9, 1: 1}), first_voice=recent),
            "test",
            DEFAULT_RULES,
        )
        # heard for 30 days: only one earlier 14-day period is fully heard, two are needed
        assert [e for e in pack.emerging if e.kind == "spike"] == []


class TestTensionTaskings:
    """T1 reassurance at level 3 and above, with the evidence of the rise; T2 review of a model rise."""

    def evidence(self, event_id: str, marking: ProtectiveMarking) -> Evidence:
        return Evidence(
            event_id=event_id,
            neighbourhood_id="N1",
            neighbourhood="Northside",
            event_time=T - timedelta(hours=3),
            event_type="SocialSignalObserved",
            channel="social",
            theme="public_order",
            source="test",
            marking=marking,
            text="hostile posts",
        )

    def test_reassurance_cites_the_rise_and_carries_its_marking(self) -> None:
        rise = point("N1", 1, T - timedelta(hours=3), 4, from_level=1, evidence_ids=("e1", "e2"))
        fell = point(
            "N1",
            2,
            T - timedelta(hours=1),
            3,
            from_level=4,
            rise_at=rise.valid_from,
            rise_level=4,
            rise_evidence_ids=("e1", "e2"),
        )
        pack = assess(
            snapshot(
                tension_now=(fell,),
                tension_changes=(rise, fell),
                evidence=(
                    self.evidence("e1", ProtectiveMarking.OFFICIAL_SENSITIVE),
                    self.evidence("e2", ProtectiveMarking.OFFICIAL),
                ),
            ),
            "test",
            DEFAULT_RULES,
        )
        (t1,) = [t for t in pack.taskings if t.rule == "T1"]
        assert t1.priority == "medium"  # level 3; high from level 4
        assert t1.evidence_ids == ("e1", "e2")
        assert t1.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
        assert "after a rise to 4" in t1.reason
        assert pack.marking is ProtectiveMarking.OFFICIAL_SENSITIVE
        assert [e.event_id for e in pack.evidence] == ["e1", "e2"]
        tension = {t.neighbourhood_id: t for t in pack.tension}
        assert (tension["N1"].level, tension["N1"].previous_level, tension["N1"].peak_level) == (3, 1, 4)
        assert (tension["N2"].level, tension["N2"].label) == (1, "normal")
        # the fall is below the listing level: counted, not listed
        assert [c.listed for c in pack.tension_changes] == [True, False]

    def test_high_priority_from_level_four_and_official_without_sensitive_evidence(self) -> None:
        rise = point("N1", 1, T - timedelta(hours=3), 5, from_level=1, evidence_ids=("e2",))
        rise = rise.model_copy(
            update={"rise_at": rise.valid_from, "rise_level": 5, "rise_evidence_ids": ("e2",)}
        )
        pack = assess(
            snapshot(
                tension_now=(rise,),
                tension_changes=(rise,),
                evidence=(self.evidence("e2", ProtectiveMarking.OFFICIAL),),
            ),
            "test",
            DEFAULT_RULES,
        )
        assert [t.priority for t in pack.taskings if t.rule == "T1"] == ["high"]
        assert pack.marking is ProtectiveMarking.OFFICIAL
        assert rules_of(pack, "T2") == ["N1:"]

    def test_a_force_can_mark_every_pack_official_sensitive(self) -> None:
        rules = DEFAULT_RULES.model_copy(update={"minimum_marking": ProtectiveMarking.OFFICIAL_SENSITIVE})
        assert assess(snapshot(), "test", rules).marking is ProtectiveMarking.OFFICIAL_SENSITIVE
        assert assess(snapshot(), "test", DEFAULT_RULES).marking is ProtectiveMarking.OFFICIAL

    def test_an_analysts_confirmation_settles_the_review(self) -> None:
        rise = point("N1", 1, T - timedelta(hours=3), 2, from_level=1)
        confirm = point("N1", 2, T - timedelta(hours=2), 2, from_level=2, cause="confirm", analyst="PS 12")
        pack = assess(
            snapshot(tension_now=(confirm,), tension_changes=(rise, confirm)), "test", DEFAULT_RULES
        )
        assert rules_of(pack, "T2") == []
        assert rules_of(pack, "T1") == []  # level 2 is below reassurance
        assert [c.listed for c in pack.tension_changes] == [False, True]
        assert pack.tension[0].analyst == "PS 12"


class TestPriorityAndFeedbackTaskings:
    """T3 problem-solving, T4 recurring issues, T5 overdue report back, T6 not reported back."""

    def test_problem_solving_for_high_harm_concern_ahead_of_crime(self) -> None:
        pack = assess(
            snapshot(
                priorities_now=(
                    ranked("N1", "drugs", 1, harm=2.5, concern_crime_gap=0.05, crime_share=0.02),
                    ranked("N1", "violence", 2, harm=3.0, concern_crime_gap=-0.1, crime_share=0.3),
                    ranked("N1", "noise", 3, harm=1.1, concern_crime_gap=0.4, crime_share=0.0),
                    ranked("N1", "weapons", 4, harm=3.0, concern_crime_gap=0.2, crime_share=0.0),
                    ranked("N2", "robbery", 1, harm=2.8, concern_crime_gap=None),
                ),
                coverage=(coverage("N1", recurring_issues=("drugs", "parking")), coverage("N2")),
            ),
            "test",
            DEFAULT_RULES,
        )
        # violence: crime ahead of concern; noise: low harm; weapons: not top 3; robbery: no crime data
        assert rules_of(pack, "T3") == ["N1:drugs"]
        assert rules_of(pack, "T4") == ["N1:parking"]  # drugs already has a plan

    def test_report_back_rules(self) -> None:
        pack = assess(
            snapshot(
                feedback=(
                    feedback("N1", "drugs", "awaiting_action", T - timedelta(days=29)),
                    feedback("N1", "noise", "awaiting_action", T - timedelta(days=27)),
                    feedback(
                        "N2", "theft", "actioned", T - timedelta(days=60), actions=1, reported_back=False
                    ),
                    feedback(
                        "N2", "parking", "actioned", T - timedelta(days=60), actions=1, reported_back=True
                    ),
                    feedback(
                        "N2", "noise", "no_action", T - timedelta(days=60), actions=1, reason="not ours"
                    ),
                )
            ),
            "test",
            DEFAULT_RULES,
        )
        assert rules_of(pack, "T5") == ["N1:drugs"]
        assert sorted(rules_of(pack, "T6")) == ["N2:noise", "N2:theft"]
        assert pack.summary.awaiting_overdue == 1 and pack.summary.not_reported_back == 2
        assert [f.theme for f in pack.feedback][:2] == ["drugs", "noise"]  # the longest waiting first


class TestCoverageTaskings:
    """T7: engagement naming the seldom-heard groups and the channels not heard."""

    def test_engagement_names_groups_and_channels(self) -> None:
        pack = assess(
            snapshot(
                coverage=(
                    coverage("N1", seldom_heard_gaps=("faith", "young_people"), channels_missing=("survey",)),
                    coverage("N2"),
                )
            ),
            "test",
            DEFAULT_RULES,
        )
        (t7,) = [t for t in pack.taskings if t.rule == "T7"]
        assert t7.neighbourhood_id == "N1"
        assert "faith communities" in t7.tasking and "young people" in t7.tasking and "surveys" in t7.tasking
        assert pack.coverage[0].engage_next.startswith("reach faith communities")

    def test_a_neighbourhood_never_heard_has_every_channel_missing(self) -> None:
        pack = assess(snapshot(coverage=()), "test", DEFAULT_RULES)
        assert {c.channels_missing for c in pack.coverage} == {
            ("meeting", "survey", "partner_call", "social")
        }


def test_taskings_are_ordered_high_first_and_the_summary_counts_them() -> None:
    rise = point("N2", 1, T - timedelta(hours=3), 4, from_level=1)
    pack = assess(
        snapshot(
            tension_now=(rise,),
            tension_changes=(rise,),
            coverage=(coverage("N1", seldom_heard_gaps=("faith",)), coverage("N2")),
        ),
        "test",
        DEFAULT_RULES,
    )
    assert [t.priority for t in pack.taskings] == ["high", "medium", "low"]
    assert pack.summary.taskings == {"high": 1, "medium": 1, "low": 1}
    assert pack.summary.tension_levels_now == (1, 0, 0, 1, 0)
    assert any("Southside (4)" in h for h in pack.summary.headlines)


@pytest.mark.parametrize("module", ["model", "assess", "layout", "charts", "html", "pdf", "opendata"])
def test_the_pack_logic_imports_no_shell_library(module: str) -> None:
    from engage.settings import REPO_ROOT

    assert not imported_roots(REPO_ROOT / "projections" / "briefing" / f"{module}.py") & SHELL_LIBRARIES
