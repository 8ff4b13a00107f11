"""The meetings connector on the synthetic Camden example, on each way a record can be wrong, and on
how one record becomes a meeting and the actions it reported back."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Context, event_id
from connectors.ingest import ListPublisher, run
from connectors.meetings import MeetingsConnector
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from connectors.rejections import RecordRejected
from engage.settings import REPO_ROOT
from events import ActionRecorded, Envelope, MeetingHeld, Theme
from tests.conftest import ingest_in_memory
from tests.unit.wire import leaks

EXAMPLE = REPO_ROOT / "data" / "meetings" / "meetings_synthetic.jsonl"
KILBURN = "E36007169"


def meeting(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "M-1",
        "when": "2026-01-14T19:00:00+00:00",
        "kind": "pact",
        "where": {"ward": "Kilburn"},
        "attendance": 20,
        "attendee_groups": {"Older_People": 6, "young_people": 2},
        "issues_raised": [
            {"theme": "drugs", "votes": 9},
            {"text": "Cars speeding past the school", "votes": 4},
            {"theme": "noise", "text": "Parties every weekend"},
        ],
        "priorities_agreed": ["drugs", "road_safety", "drugs"],
        "actions_reported": [
            {
                "theme": "burglary",
                "action": "Crime prevention stall",
                "outcome": "completed",
                "issue_date": "2025-11-12",
                "priority_ref": "M-0/burglary",
            },
            {"action": "Waited for the council", "outcome": "no_action", "reason": "A council matter"},
        ],
    }
    record.update(overrides)
    return {key: value for key, value in record.items() if value is not None}


def jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


class TestExample:
    def test_the_synthetic_file_reads_as_documented(self, context: Context) -> None:
        ran = ingest_in_memory(connector_for("meetings"), EXAMPLE, context)
        summary = ran.summary
        assert (summary.read, summary.published, summary.rejected) == (132, 130, 2)
        assert summary.events_published == 184
        assert dict(summary.reasons) == {"unknown_neighbourhood": 2}
        meetings = [e.payload for e in ran.events if isinstance(e.payload, MeetingHeld)]
        actions = [e.payload for e in ran.events if isinstance(e.payload, ActionRecorded)]
        assert Counter(m.meeting_kind for m in meetings) == {
            "pact": 62,
            "surgery": 37,
            "street": 19,
            "beat": 7,
            "online": 5,
        }
        assert len(actions) == 54 and all(a.reported_back for a in actions)
        assert Counter(a.outcome for a in actions) == {"completed": 34, "in_progress": 10, "no_action": 10}
        assert all(a.reason for a in actions if a.outcome == "no_action")
        assert {e.neighbourhood_id for e in ran.events} == {n.id for n in context.neighbourhoods.all}
        assert all("Camden" in letter.detail for letter in ran.letters.values())

    def test_actions_report_on_priorities_agreed_at_an_earlier_pact(self) -> None:
        records = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
        pacts = {r["id"]: r for r in records if r["kind"] == "pact"}
        for record in records:
            for action in record["actions_reported"]:
                earlier_id, theme = action["priority_ref"].split("/")
                earlier = pacts[earlier_id]
                assert theme in earlier["priorities_agreed"]
                assert action["issue_date"] == earlier["when"][:10] < record["when"][:10]

    def test_contact_details_in_notes_never_leave(self, context: Context) -> None:
        ran = ingest_in_memory(MeetingsConnector(), EXAMPLE, context)
        assert ran.summary.redacted == {"email": 4, "phone": 4, "postcode": 3}
        assert leaks(ran, ["@example.org", "7946 0", "NW5 1TL", "resident808"]) == []

    def test_event_ids_are_stable_and_distinct(self, context: Context) -> None:
        first = ingest_in_memory(MeetingsConnector(), EXAMPLE, context)
        again = ingest_in_memory(MeetingsConnector(), EXAMPLE, context)
        ids = [e.event_id for e in first.events]
        assert len(set(ids)) == 184
        assert ids == [e.event_id for e in again.events]


class TestMapping:
    def test_a_meeting_and_its_actions(self, context: Context) -> None:
        held, stall, waited = MeetingsConnector().to_events(meeting(), context)
        assert held.event_id == event_id("meetings", "M-1")
        assert held.neighbourhood_id == KILBURN
        assert held.event_time == datetime(2026, 1, 14, 19, tzinfo=UTC)
        payload = held.payload
        assert isinstance(payload, MeetingHeld)
        assert (payload.meeting_kind, payload.attendance) == ("pact", 20)
        assert [(g.group, g.count) for g in payload.attendee_groups] == [
            ("older_people", 6),
            ("young_people", 2),
        ]
        assert [(i.theme, i.votes) for i in payload.issues_raised] == [
            (Theme.DRUGS, 9),
            (Theme.ROAD_SAFETY, 4),  # classified from its text
            (Theme.NOISE, 0),  # a given theme wins over the text's
        ]
        assert payload.priorities_agreed == (Theme.DRUGS, Theme.ROAD_SAFETY)
        assert isinstance(stall.payload, ActionRecorded) and isinstance(waited.payload, ActionRecorded)
        assert (stall.payload.theme, stall.payload.outcome, stall.payload.priority_ref) == (
            Theme.BURGLARY,
            "completed",
            "M-0/burglary",
        )
        assert stall.payload.issue_time is not None
        assert stall.payload.issue_time.isoformat() == "2025-11-12T00:00:00+00:00"
        assert stall.payload.reported_back and waited.payload.reported_back
        assert (waited.payload.outcome, waited.payload.reason) == ("no_action", "A council matter")
        assert stall.event_time == waited.event_time == held.event_time  # reported at the meeting
        assert len({held.event_id, stall.event_id, waited.event_id}) == 3
        assert {e.neighbourhood_id for e in (stall, waited)} == {KILBURN}

    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ({"ward": "kings cross"}, "E36007170"),
            ({"neighbourhood_id": "E36007158"}, "E36007158"),
            ({"lat": 51.5194, "lon": -0.1270}, "E36007158"),
            ("Bloomsbury", "E36007158"),
            ("E36007169", KILBURN),
        ],
    )
    def test_placed_by_ward_id_or_point(self, context: Context, where: object, expected: str) -> None:
        event = MeetingsConnector().to_event(meeting(where=where), context)
        assert event.neighbourhood_id == expected

    def test_a_time_without_offset_is_london_time(self, context: Context) -> None:
        event = MeetingsConnector().to_event(
            meeting(when="2025-07-01T19:00:00", actions_reported=[]), context
        )
        assert event.event_time.astimezone(UTC) == datetime(2025, 7, 1, 18, tzinfo=UTC)

    def test_attendance_may_be_unknown(self, context: Context) -> None:
        event = MeetingsConnector().to_event(meeting(attendance=None), context)
        assert isinstance(event.payload, MeetingHeld) and event.payload.attendance is None

    def test_to_event_gives_the_meeting(self, context: Context) -> None:
        assert isinstance(MeetingsConnector().to_event(meeting(), context).payload, MeetingHeld)


class TestIngestCounting:
    def test_a_record_with_actions_is_read_and_published_once(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("m.jsonl", jsonl(meeting(), meeting(id="M-2", actions_reported=[])))
        ran = ingest_in_memory(MeetingsConnector(), path, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.events_published) == (2, 2, 4)
        assert ran.summary.as_dict()["events_published"] == 4

    def test_a_resent_file_gives_the_same_events(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("m.jsonl", jsonl(meeting()))
        first, second = ListPublisher(), ListPublisher()
        run(MeetingsConnector(), path, context, first)
        run(MeetingsConnector(), path, context, second)
        assert first.events == second.events

    def test_a_bad_action_rejects_the_whole_record(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        bad = meeting(actions_reported=[{"theme": "drugs", "outcome": "completed"}, {"outcome": "maybe"}])
        ran = ingest_in_memory(MeetingsConnector(), tmp_csv("m.jsonl", jsonl(bad)), context)
        assert (ran.summary.read, ran.summary.rejected, ran.events) == (1, 1, [])


class TestRejections:
    CASES: tuple[tuple[object, str | None, str], ...] = (
        ('{"id": "broken", ', "malformed", "not JSON"),
        ("[1, 2]", "malformed", "one JSON object"),
        (meeting(id=""), "missing_field", "'id'"),
        (meeting(when=None), "missing_field", "'when'"),
        (meeting(when="yesterday"), "invalid_value", "yesterday"),
        (meeting(when="2026-13-01T19:00:00"), "invalid_value", "ISO 8601"),
        (meeting(kind=None), "missing_field", "'kind'"),
        (meeting(kind="coffee morning"), "invalid_value", "pact, beat"),
        (meeting(where=None), "unplaced", "'where'"),
        (meeting(where={"lat": 53.40, "lon": -2.98}), "unplaced", "none of the neighbourhoods"),
        (meeting(where={"postcode": "NW6"}), "unplaced", "no ward"),
        (meeting(where={"ward": "Kilburn Park"}), "unknown_neighbourhood", "Kilburn Park"),
        (meeting(where="Camden"), "unknown_neighbourhood", "Camden"),
        (meeting(where={"lat": "north", "lon": 0}), "invalid_value", "'lat'"),
        (meeting(attendance=-3), "invalid_value", "attendance"),
        (meeting(attendance="many"), "invalid_value", "attendance"),
        (meeting(attendee_groups={"older_people": 30}), "invalid_value", "more than the attendance"),
        (meeting(attendee_groups=["older_people"]), "invalid_value", "attendee_groups"),
        (meeting(issues_raised=[{"theme": "scooters", "votes": 2}]), "unmapped_category", "scooters"),
        (meeting(issues_raised=[{"votes": 2}]), "missing_field", "neither a 'theme' nor a 'text'"),
        (meeting(issues_raised=[{"theme": "drugs", "votes": 2.5}]), "invalid_value", "votes"),
        (meeting(issues_raised={"theme": "drugs"}), "invalid_value", "JSON array"),
        (
            meeting(priorities_agreed=["drugs", "parking enforcement"]),
            "unmapped_category",
            "parking enforcement",
        ),
        (meeting(actions_reported=[{"theme": "drugs"}]), "missing_field", "outcome"),
        (meeting(actions_reported=[{"theme": "drugs", "outcome": "done"}]), "invalid_value", "done"),
        (meeting(actions_reported=[{"theme": "drugs", "outcome": "no_action"}]), "missing_field", "reason"),
        (meeting(actions_reported=[{"theme": "dogs", "outcome": "completed"}]), "unmapped_category", "dogs"),
        (meeting(actions_reported=[{"outcome": "completed"}]), "missing_field", "neither a 'theme'"),
        (
            meeting(actions_reported=[{"theme": "drugs", "outcome": "completed", "issue_date": "last week"}]),
            "invalid_value",
            "issue_date",
        ),
        (
            meeting(
                actions_reported=[{"theme": "drugs", "outcome": "completed", "issue_date": "2026-02-01"}]
            ),
            "invalid_value",
            "after the meeting",
        ),
        (meeting(issues_raised=[{"theme": "drugs", "text": "x" * 3000}]), None, ""),
    )

    def test_each_bad_record_is_rejected_with_its_reason_and_the_run_goes_on(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        lines = [meeting(id="good-1"), *(case for case, _, _ in self.CASES), meeting(id="good-2")]
        path = tmp_csv("mixed.jsonl", jsonl(*lines))
        ran = ingest_in_memory(MeetingsConnector(), path, context)
        expected_rejections = [
            (n + 2, reason, hint) for n, (_, reason, hint) in enumerate(self.CASES) if reason
        ]
        assert ran.summary.read == len(lines)
        assert ran.summary.rejected == len(expected_rejections)
        for line, reason, hint in expected_rejections:
            letter = ran.letters[line]
            assert (letter.reason.value, hint in letter.detail) == (reason, True), (line, letter.detail)
            assert letter.source == "meetings" and letter.file == "mixed.jsonl"

    def test_overlong_text_is_cut_between_words(self, context: Context) -> None:
        words = "drug dealing " * 300
        event = MeetingsConnector().to_event(meeting(issues_raised=[{"text": words}]), context)
        assert isinstance(event.payload, MeetingHeld)
        summary = event.payload.issues_raised[0].summary
        assert len(summary) <= 2000 and words.startswith(summary) and words[len(summary)] == " "

    def test_the_mapping_raises_record_rejected_for_the_caller(self, context: Context) -> None:
        with pytest.raises(RecordRejected, match="unmapped_category"):
            MeetingsConnector().to_events(meeting(priorities_agreed=["vibes"]), context)


class TestPrivacy:
    def test_personal_data_in_notes_is_redacted_in_events_and_dead_letters(
        self, context: Context, neighbourhoods: Neighbourhoods, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        note = "Dealing outside NW6 7QX, ring 07700 900123 or mail jo.bloggs@example.com, van AB12 CDE"
        good = meeting(
            issues_raised=[{"text": note, "votes": 3}],
            actions_reported=[{"theme": "drugs", "action": note, "outcome": "no_action", "reason": note}],
        )
        bad = meeting(id="far", where={"lat": 53.4, "lon": -2.98}, issues_raised=[{"text": note}])
        ran = ingest_in_memory(MeetingsConnector(), tmp_csv("p.jsonl", jsonl(good, bad)), context)
        assert ran.summary.events_published == 2 and ran.summary.rejected == 1
        assert leaks(ran, ["NW6 7QX", " 7QX", "900123", "jo.bloggs", "example.com", "AB12 CDE"]) == []
        issue = ran.events[0].payload
        assert isinstance(issue, MeetingHeld) and issue.issues_raised[0].theme == Theme.DRUGS
        assert "NW6 [postcode]" in issue.issues_raised[0].summary


class _Silent(MeetingsConnector):
    """A faulty connector that maps a record to nothing."""

    def to_events(self, record: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
        return ()


def test_a_record_mapped_to_no_event_is_rejected_not_dropped(
    context: Context, tmp_csv: Callable[[str, str], Path]
) -> None:
    ran = ingest_in_memory(_Silent(), tmp_csv("m.jsonl", jsonl(meeting())), context)
    assert (ran.summary.read, ran.summary.rejected) == (1, 1)
    assert "no event" in ran.letters[1].detail


def test_a_reason_quoting_personal_data_is_redacted(
    context: Context, tmp_csv: Callable[[str, str], Path]
) -> None:
    path = tmp_csv("m.jsonl", jsonl(meeting(kind="chat with jo.bloggs@example.com")))
    ran = ingest_in_memory(MeetingsConnector(), path, context)
    assert "[email]" in ran.letters[1].detail and "jo.bloggs" not in ran.letters[1].detail
