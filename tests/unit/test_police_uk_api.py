"""The police.uk priorities and events connectors: the real Leicestershire samples (placed in a test
boundary named NC04), the synthetic Camden files, each way a record can be wrong, and where the
neighbourhood comes from."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Context
from connectors.placing import Neighbourhoods
from connectors.police_uk_api import (
    PoliceUkEventsConnector,
    PoliceUkPrioritiesConnector,
    meeting_kind,
    neighbourhood_in_name,
    plain_text,
)
from connectors.registry import connector_for
from engage.settings import REPO_ROOT
from events import ActionRecorded, MeetingHeld, PrioritySet, Theme
from tests.conftest import ingest_in_memory
from tests.unit.wire import leaks

DATA = REPO_ROOT / "data" / "police_uk"
LEICESTER_PRIORITIES = DATA / "leicestershire_NC04_priorities.json"
LEICESTER_EVENTS = DATA / "leicestershire_NC04_events.json"
CAMDEN_PRIORITIES = DATA / "camden_E36007170_priorities_synthetic.json"
CAMDEN_EVENTS = DATA / "camden_E36007170_events_synthetic.json"
KINGS_CROSS = "E36007170"
BLOOMSBURY = "E36007158"


@pytest.fixture(scope="module")
def leicester() -> Neighbourhoods:
    ring = [[-1.20, 52.60], [-1.08, 52.60], [-1.08, 52.68], [-1.20, 52.68], [-1.20, 52.60]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "NC04", "name": "City Centre"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    return Neighbourhoods.from_geojson(document, "id", "name")


@pytest.fixture
def in_leicester(leicester: Neighbourhoods) -> Context:
    return Context(neighbourhoods=leicester, recorded_time=datetime(2026, 11, 25, tzinfo=UTC), salt=b"t")


def priority(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "action": "<p>Extra patrols on <b>Friday</b> nights.</p>",
        "issue-date": "2025-10-01T00:00:00",
        "action-date": "2025-11-01T00:00:00",
        "issue": "<p>Drug dealing in the park &amp; the alley.</p>",
    }
    fields.update(overrides)
    return fields


def event(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "contact_details": {
            "name": "PC Sam Sample",
            "email": "sam.sample@example.org",
            "telephone": "07700 900456",
        },
        "description": None,
        "title": "Beat meeting",
        "address": "Church hall, 1 High Street, NW6 7QX",
        "type": "meeting",
        "start_date": "2025-10-04T19:00:00",
        "end_date": "2025-10-04T20:30:00",
    }
    fields.update(overrides)
    return fields


def array(*elements: object) -> str:
    return "[\n" + ",\n".join(e if isinstance(e, str) else json.dumps(e) for e in elements) + "\n]\n"


class TestLeicestershireSamples:
    def test_the_real_priority_maps_through_its_file_name(self, in_leicester: Context) -> None:
        ran = ingest_in_memory(connector_for("police-uk-priorities"), LEICESTER_PRIORITIES, in_leicester)
        assert (ran.summary.read, ran.summary.published, ran.summary.events_published) == (1, 1, 1)
        (only,) = ran.events
        assert isinstance(only.payload, PrioritySet)
        assert only.neighbourhood_id == "NC04"
        assert (
            only.payload.issue == "To reduce the amount of Anti-Social Behaviour Humberstone Gate, Leicester."
        )
        assert (only.payload.theme, only.payload.forum) == (Theme.ANTI_SOCIAL_BEHAVIOUR, "police_uk")
        # Midnight on 14 April 2016 in London (BST) is 23:00 UTC the day before.
        assert only.event_time.astimezone(UTC) == datetime(2016, 4, 13, 23, tzinfo=UTC)

    def test_the_real_event_is_a_surgery_with_attendance_unknown(self, in_leicester: Context) -> None:
        ran = ingest_in_memory(connector_for("police-uk-events"), LEICESTER_EVENTS, in_leicester)
        (only,) = ran.events
        assert isinstance(only.payload, MeetingHeld)
        assert (only.payload.meeting_kind, only.payload.attendance) == ("surgery", None)
        assert only.event_time.astimezone(UTC) == datetime(2016, 9, 17, 11, tzinfo=UTC)

    def test_an_explicit_neighbourhood_places_a_file_named_for_none(
        self, in_leicester: Context, tmp_path: Path
    ) -> None:
        path = tmp_path / "priorities.json"
        shutil.copy(LEICESTER_PRIORITIES, path)
        ran = ingest_in_memory(
            PoliceUkPrioritiesConnector(), path, replace(in_leicester, neighbourhood="NC04")
        )
        assert [e.neighbourhood_id for e in ran.events] == ["NC04"]
        by_name = ingest_in_memory(
            PoliceUkPrioritiesConnector(), path, replace(in_leicester, neighbourhood="city centre")
        )
        assert [e.event_id for e in by_name.events] == [e.event_id for e in ran.events]

    def test_against_camden_nc04_is_unknown(self, context: Context) -> None:
        for connector, path in (
            (PoliceUkPrioritiesConnector(), LEICESTER_PRIORITIES),
            (PoliceUkEventsConnector(), LEICESTER_EVENTS),
        ):
            ran = ingest_in_memory(connector, path, context)
            assert dict(ran.summary.reasons) == {"unknown_neighbourhood": 1}
            assert "'NC04' (taken from the file name" in ran.letters[1].detail


class TestCamdenExamples:
    def test_the_synthetic_priorities(self, context: Context) -> None:
        ran = ingest_in_memory(connector_for("police-uk-priorities"), CAMDEN_PRIORITIES, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.rejected) == (5, 5, 0)
        assert ran.summary.events_published == 8
        assert {e.neighbourhood_id for e in ran.events} == {KINGS_CROSS}
        priorities = [e for e in ran.events if isinstance(e.payload, PrioritySet)]
        actions = [e for e in ran.events if isinstance(e.payload, ActionRecorded)]
        assert [p.payload.theme for p in priorities if isinstance(p.payload, PrioritySet)] == [
            Theme.DRUGS,
            Theme.VEHICLE_CRIME,
            Theme.ANTI_SOCIAL_BEHAVIOUR,
            Theme.THEFT,
            Theme.ROAD_SAFETY,
        ]
        assert len(actions) == 3
        refs = {p.payload.priority_ref: p for p in priorities if isinstance(p.payload, PrioritySet)}
        for action in actions:
            assert isinstance(action.payload, ActionRecorded)
            assert action.payload.reported_back and action.payload.outcome == "in_progress"
            set_by = refs[action.payload.priority_ref]
            assert action.payload.issue_time == set_by.event_time < action.event_time
            assert isinstance(set_by.payload, PrioritySet) and action.payload.theme == set_by.payload.theme

    def test_the_synthetic_events(self, context: Context) -> None:
        ran = ingest_in_memory(connector_for("police-uk-events"), CAMDEN_EVENTS, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.rejected) == (7, 6, 1)
        assert dict(ran.summary.reasons) == {"unmapped_category": 1}
        kinds = sorted(e.payload.meeting_kind for e in ran.events if isinstance(e.payload, MeetingHeld))
        assert kinds == ["beat", "online", "pact", "street", "surgery", "surgery"]
        assert all(isinstance(e.payload, MeetingHeld) and e.payload.attendance is None for e in ran.events)

    def test_neighbourhood_option_wins_over_the_file_name(self, context: Context) -> None:
        ran = ingest_in_memory(
            PoliceUkEventsConnector(), CAMDEN_EVENTS, replace(context, neighbourhood="Bloomsbury")
        )
        assert {e.neighbourhood_id for e in ran.events} == {BLOOMSBURY}

    def test_contact_details_and_addresses_are_never_published(self, context: Context) -> None:
        events = ingest_in_memory(PoliceUkEventsConnector(), CAMDEN_EVENTS, context)
        priorities = ingest_in_memory(PoliceUkPrioritiesConnector(), CAMDEN_PRIORITIES, context)
        # Inward codes with their space: short strings also occur inside event ids.
        personal = ["Alex Example", "kingscross.snt", "example.org", "7946", " 1BD", " 4AG", " 1EE", "mailto"]
        assert leaks(events, personal) == []
        assert leaks(priorities, personal) == []


class TestPriorities:
    def test_a_priority_with_an_action(self, context: Context) -> None:
        placed = replace(context, neighbourhood=KINGS_CROSS)
        set_, acted = PoliceUkPrioritiesConnector().to_events(priority(), placed)
        assert isinstance(set_.payload, PrioritySet) and isinstance(acted.payload, ActionRecorded)
        assert set_.payload.issue == "Drug dealing in the park & the alley."
        assert set_.payload.theme == acted.payload.theme == Theme.DRUGS
        assert acted.payload.action == "Extra patrols on Friday nights."
        assert acted.event_time.astimezone(UTC) == datetime(2025, 11, 1, tzinfo=UTC)
        assert acted.payload.issue_time == set_.event_time
        assert acted.payload.priority_ref == set_.payload.priority_ref != ""

    def test_refetched_with_its_action_the_priority_keeps_its_id(self, context: Context) -> None:
        placed = replace(context, neighbourhood=KINGS_CROSS)
        connector = PoliceUkPrioritiesConnector()
        (before,) = connector.to_events(priority(action=None, **{"action-date": None}), placed)
        after = connector.to_events(priority(), placed)
        assert before.event_id == after[0].event_id
        assert after[1].event_id != before.event_id
        elsewhere = connector.to_events(priority(), replace(context, neighbourhood=BLOOMSBURY))
        assert elsewhere[0].event_id != before.event_id

    def test_an_issue_of_no_known_theme_is_other(self, context: Context) -> None:
        placed = replace(context, neighbourhood=KINGS_CROSS)
        set_, _ = PoliceUkPrioritiesConnector().to_events(
            priority(issue="<p>Community reassurance</p>"), placed
        )
        assert isinstance(set_.payload, PrioritySet) and set_.payload.theme == Theme.OTHER

    def test_each_bad_priority_is_rejected_with_its_reason(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        cases: list[tuple[object, str, str]] = [
            (priority(issue=None), "missing_field", "'issue'"),
            (priority(issue="<p> </p>"), "missing_field", "'issue'"),
            (priority(issue=["a list"]), "invalid_value", "'issue'"),
            (priority(**{"issue-date": None}), "missing_field", "'issue-date'"),
            (priority(**{"issue-date": "14/04/2016"}), "invalid_value", "14/04/2016"),
            (priority(**{"action-date": None}), "missing_field", "'action-date'"),
            (priority(**{"action-date": "soon"}), "invalid_value", "soon"),
            (priority(**{"action-date": "2025-09-01T00:00:00"}), "invalid_value", "before 'issue-date'"),
            ('"a string"', "malformed", "one JSON object"),
        ]
        path = tmp_csv(f"camden_{KINGS_CROSS}_priorities.json", array(priority(), *(c for c, _, _ in cases)))
        ran = ingest_in_memory(PoliceUkPrioritiesConnector(), path, context)
        assert (ran.summary.read, ran.summary.published) == (len(cases) + 1, 1)
        for index, (_, reason, hint) in enumerate(cases, start=2):
            letter = ran.letters[index]
            assert (letter.reason.value, hint in letter.detail) == (reason, True), letter.detail

    def test_a_syntax_error_rejects_the_rest_as_malformed(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv(f"x_{KINGS_CROSS}_priorities.json", "[" + json.dumps(priority()) + ', {"issue": ]')
        ran = ingest_in_memory(PoliceUkPrioritiesConnector(), path, context)
        assert (ran.summary.read, ran.summary.published, dict(ran.summary.reasons)) == (
            2,
            1,
            {"malformed": 1},
        )

    def test_a_file_naming_no_neighbourhood_and_no_option_is_unplaced(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        ran = ingest_in_memory(
            PoliceUkPrioritiesConnector(), tmp_csv("priorities.json", array(priority())), context
        )
        assert dict(ran.summary.reasons) == {"unplaced": 1}
        assert "--neighbourhood" in ran.letters[1].detail

    def test_an_unknown_option_names_the_option(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("priorities.json", array(priority()))
        ran = ingest_in_memory(
            PoliceUkPrioritiesConnector(), path, replace(context, neighbourhood="Atlantis")
        )
        assert dict(ran.summary.reasons) == {"unknown_neighbourhood": 1}
        assert "'Atlantis'" in ran.letters[1].detail and "--neighbourhood" in ran.letters[1].detail

    def test_e_mails_in_issue_and_action_are_redacted(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        record = priority(
            issue="<p>Burglaries; tell jo.bloggs@example.com or 07700 900123</p>",
            action="<p>Mail <a href='mailto:snt.private@example.com'>us</a> or snt.private@example.com</p>",
        )
        path = tmp_csv(f"x_{KINGS_CROSS}_priorities.json", array(record))
        ran = ingest_in_memory(PoliceUkPrioritiesConnector(), path, context)
        assert ran.summary.events_published == 2
        assert leaks(ran, ["jo.bloggs", "900123", "snt.private", "mailto"]) == []
        assert ran.summary.redacted == {"email": 2, "phone": 1}


class TestEvents:
    def test_each_bad_event_is_rejected_with_its_reason(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        cases: list[tuple[object, str, str]] = [
            (event(title=None, type=None), "missing_field", "'title'"),
            (event(start_date=None), "missing_field", "'start_date'"),
            (event(start_date="next Tuesday"), "invalid_value", "next Tuesday"),
            (event(end_date="2025-10-04T18:00:00"), "invalid_value", "before 'start_date'"),
            (event(end_date="late"), "invalid_value", "late"),
            (event(start_date="2027-01-05T19:00:00", end_date=None), "not_yet_held", "once it is held"),
            (event(title="Bike marking", type="other"), "unmapped_category", "Bike marking"),
            (event(description=7), "invalid_value", "'description'"),
            ("42", "malformed", "one JSON object"),
        ]
        path = tmp_csv(f"x_{KINGS_CROSS}_events.json", array(event(), *(c for c, _, _ in cases)))
        ran = ingest_in_memory(PoliceUkEventsConnector(), path, context)
        assert (ran.summary.read, ran.summary.published) == (len(cases) + 1, 1)
        for index, (_, reason, hint) in enumerate(cases, start=2):
            letter = ran.letters[index]
            assert (letter.reason.value, hint in letter.detail) == (reason, True), letter.detail

    def test_a_future_event_once_held_gets_the_id_it_would_have_had(self, context: Context) -> None:
        placed = replace(context, neighbourhood=KINGS_CROSS)
        later = replace(placed, recorded_time=datetime(2027, 2, 1, tzinfo=UTC))
        record = event(start_date="2027-01-05T19:00:00", end_date=None)
        held = PoliceUkEventsConnector().to_event(record, later)
        assert (
            held.event_id
            == PoliceUkEventsConnector().to_event(record, replace(later, salt=b"other")).event_id
        )
        assert held.event_time.astimezone(UTC) == datetime(2027, 1, 5, 19, tzinfo=UTC)

    def test_contact_details_leave_even_the_dead_letters(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv(
            f"x_{KINGS_CROSS}_events.json", array(event(), event(title="Bike marking", type="other"))
        )
        ran = ingest_in_memory(PoliceUkEventsConnector(), path, context)
        assert (ran.summary.published, ran.summary.rejected) == (1, 1)
        assert leaks(ran, ["Sam Sample", "sam.sample", "900456", " 7QX", "contact_details"]) == []


class TestHelpers:
    @pytest.mark.parametrize(
        ("texts", "kind"),
        [
            (("meeting", "Drop In Beat Surgery"), "surgery"),
            (("meeting", "Online PACT meeting"), "pact"),
            (("meeting", "Partners and Communities Together"), "pact"),
            (("meeting", "Street briefing, Caledonian Road"), "street"),
            (("meeting", "Community walkabout"), "street"),
            (("meeting", "Have your say", "Join us on Microsoft Teams"), "online"),
            (("meeting", "Ward panel"), "beat"),
            (("meeting", "Quarterly get-together"), "beat"),
            (("other", "Cuppa with a Copper"), "surgery"),
            (("other", "Bike marking"), None),
            (("", "Beaten track walk"), None),
        ],
    )
    def test_meeting_kind(self, texts: tuple[str, ...], kind: str | None) -> None:
        assert meeting_kind(*texts) == kind

    def test_plain_text_drops_tags_attributes_and_scripts(self) -> None:
        html = "<p>Speeding&nbsp;on <a href='mailto:a@b.org'>Fleet Road</a></p><script>x()</script><br>Again"
        assert plain_text(html) == "Speeding on Fleet Road Again"

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("leicestershire_NC04_priorities.json", "NC04"),
            ("camden_E36007170_events_synthetic.json", "E36007170"),
            ("metropolitan_00BKX6_events.json", "00BKX6"),
            ("priorities.json", None),
            ("camden_priorities_2026.json", "camden"),
        ],
    )
    def test_neighbourhood_in_name(self, name: str, expected: str | None) -> None:
        assert neighbourhood_in_name(Path(name)) == expected
