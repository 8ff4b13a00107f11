"""Dead letters: grouping by record, selection, and replay through a fixed mapping, boundaries or
clock, in memory."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors import deadletters
from connectors.base import Context
from connectors.council_csv import CouncilCsvConnector
from connectors.fixmystreet import FixMyStreetConnector
from connectors.ingest import ListPublisher
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.privacy import pseudonym
from connectors.registry import connector_for
from connectors.rejections import DeadLetter
from connectors.surveys import SurveysConnector
from engage.errors import ConfigurationError
from engage.settings import REPO_ROOT, Settings
from events import (
    ActionRecorded,
    MeetingHeld,
    PartnerCallLogged,
    PrioritySet,
    SurveyResponseReceived,
    Theme,
)
from events.codec import encode
from tests.conftest import ingest_in_memory

FMS = REPO_ROOT / "data" / "partners" / "fixmystreet"
HEADER = "month,lsoa,SHEF_A_CODE,reports,unique_users,average_per_user"
GOOD = "2019-01,E01000842,A33,2,1,2.0"
OUTSIDE = "2019-01,E01000001,A33,2,1,2.0"  # City of London: not in Camden's look-up
UNKNOWN_CODE = "2019-01,E01000842,A72,1,1,1.0"
MALFORMED = '2019-01,"E01000842'


@pytest.fixture
def fms_path(tmp_path: Path) -> Path:
    shutil.copy(FMS / "CODES_SHEF_A.csv", tmp_path / "CODES_SHEF_A.csv")
    path = tmp_path / "counts.csv"
    path.write_text("\n".join([HEADER, GOOD, OUTSIDE, UNKNOWN_CODE, MALFORMED]) + "\n", encoding="utf-8")
    return path


def rejected(fms_path: Path, context: Context) -> list[DeadLetter]:
    ran = ingest_in_memory(FixMyStreetConnector(), fms_path, context)
    assert (ran.summary.published, ran.summary.rejected) == (1, 3)
    return list(ran.letters.values())


def with_city(context: Context, neighbourhoods: Neighbourhoods) -> Context:
    """The fix: the look-up now gives City of London's first LSOA to a Camden ward."""
    areas = AreaLookup.from_rows(
        [
            {"area": "E01000001", "neighbourhood_id": "E36007164"},
            {"area": "E01000842", "neighbourhood_id": "E36007157"},
        ],
        neighbourhoods,
        "test",
    )
    return replace(context, areas=areas, recorded_time=context.recorded_time + timedelta(hours=1))


class TestWhatALetterKeeps:
    def test_fields_redacted_the_mapping_file_and_the_first_attempt(
        self, fms_path: Path, context: Context
    ) -> None:
        letters = {letter.line: letter for letter in rejected(fms_path, context)}
        assert letters[3].fields == dict(zip(HEADER.split(","), OUTSIDE.split(","), strict=True))
        assert letters[3].mapping == str((fms_path.parent / "CODES_SHEF_A.csv").resolve())
        assert letters[5].fields is None  # malformed: nothing to replay
        assert {letter.attempt for letter in letters.values()} == {1}

    def test_personal_data_is_redacted_in_the_fields_too(self, context: Context, tmp_path: Path) -> None:
        path = tmp_path / "requests.json"
        path.write_text(
            '[{"service_request_id": "1", "description": "call jo@example.com on 07700 900123",'
            ' "requested_datetime": "2024-05-01T09:30:00+01:00"}]',
            encoding="utf-8",
        )
        letter = ingest_in_memory(connector_for("open311"), path, context).letters[1]
        assert letter.fields is not None
        assert letter.fields["description"] == "call [email] on [phone]"
        assert "jo@example.com" not in encode(letter).decode()

    def test_letters_written_before_replay_existed_still_decode(self) -> None:
        old = (
            b'{"source": "open311", "file": "r.json", "line": 1, "reason": "unplaced", "detail": "d",'
            b' "record": "{}", "rejected_at": "2026-01-01T00:00:00Z"}'
        )
        letters, undecodable = deadletters.decode([old, b"not a letter"])
        assert (len(letters), undecodable) == (1, 1)
        assert (letters[0].fields, letters[0].attempt, letters[0].resolved) == (None, 1, False)


class TestListing:
    def test_counts_by_reason_and_source_and_filters(self, fms_path: Path, context: Context) -> None:
        letters = rejected(fms_path, context)
        shown = deadletters.listing(letters)
        assert shown.by_reason() == {"malformed": 1, "unmapped_category": 1, "unplaced": 1}
        assert shown.by_source() == {"fixmystreet": 3}
        assert [letter.line for letter in deadletters.listing(letters, reason="unplaced").open] == [3]
        assert deadletters.listing(letters, source="open311").open == []

    def test_the_same_file_ingested_twice_is_listed_once(self, fms_path: Path, context: Context) -> None:
        twice = rejected(fms_path, context) + rejected(fms_path, context)
        assert len(deadletters.listing(twice).open) == 3

    def test_the_json_form_carries_a_key_per_record_and_no_fields(
        self, fms_path: Path, context: Context
    ) -> None:
        document = deadletters.listing(rejected(fms_path, context)).as_dict()
        assert document["open"] == 3
        letters = document["letters"]
        assert isinstance(letters, list) and all("fields" not in d and len(d["key"]) == 24 for d in letters)


class TestReplay:
    def test_nothing_fixed_everything_is_rejected_again_at_the_next_attempt(
        self, fms_path: Path, context: Context
    ) -> None:
        letters = rejected(fms_path, context)
        publisher = ListPublisher()
        summary = deadletters.replay(letters, connector_for, context, publisher)
        assert summary.as_dict() == {
            "replayed": 3,
            "published": 0,
            "events_published": 0,
            "still_rejected": 3,
            "exhausted": 0,
            "reasons": {"malformed": 1, "unmapped_category": 1, "unplaced": 1},
        }
        assert publisher.events == []
        assert {letter.attempt for letter in publisher.dead_letters} == {2}
        now_open = deadletters.listing(letters + publisher.dead_letters).open
        assert sorted((letter.line, letter.attempt) for letter in now_open) == [(3, 2), (4, 2), (5, 2)]

    def test_after_a_fix_the_record_is_published_with_the_id_a_fresh_ingest_gives(
        self, fms_path: Path, context: Context, neighbourhoods: Neighbourhoods
    ) -> None:
        letters = rejected(fms_path, context)
        fixed = with_city(context, neighbourhoods)
        publisher = ListPublisher()
        summary = deadletters.replay(letters, connector_for, fixed, publisher, reason="unplaced")
        assert (summary.replayed, summary.published, summary.still_rejected) == (1, 1, 0)
        fresh = ingest_in_memory(FixMyStreetConnector(), fms_path, fixed)
        assert publisher.events[0].event_id in {event.event_id for event in fresh.events}
        assert publisher.events[0].neighbourhood_id == "E36007164"
        assert isinstance(publisher.events[0].payload, PartnerCallLogged)
        assert publisher.dead_letters[0].replayed_as == publisher.events[0].event_id

    def test_a_record_replayed_twice_makes_one_event(
        self, fms_path: Path, context: Context, neighbourhoods: Neighbourhoods
    ) -> None:
        topic = rejected(fms_path, context)
        fixed = with_city(context, neighbourhoods)
        events = []
        for _ in range(2):
            publisher = ListPublisher()
            deadletters.replay(topic, connector_for, fixed, publisher, reason="unplaced")
            topic += publisher.dead_letters
            events += publisher.events
        assert len(events) == 1
        assert deadletters.listing(topic, reason="unplaced").open == []
        assert deadletters.listing(topic, reason="unplaced").resolved == 1

    def test_replays_end_once_a_record_has_been_tried_max_attempts_times(
        self, fms_path: Path, context: Context
    ) -> None:
        topic = rejected(fms_path, context)
        runs = []
        for _ in range(4):
            publisher = ListPublisher()
            runs.append(deadletters.replay(topic, connector_for, context, publisher, max_attempts=3))
            topic += publisher.dead_letters
        assert [(run.replayed, run.exhausted) for run in runs] == [(3, 0), (3, 0), (0, 3), (0, 3)]
        assert deadletters.listing(topic, max_attempts=3).exhausted == 3

    def test_a_council_export_is_replayed_with_its_mapping_as_fixed(
        self, context: Context, tmp_path: Path
    ) -> None:
        export = tmp_path / "calls.csv"
        export.write_text(
            "ref,when,lat,lon,kind\nC1,01/05/2024 09:30,51.5194,-0.1270,Graffiti\n", encoding="utf-8"
        )
        mapping = tmp_path / "calls.mapping.yaml"
        columns = "columns: {id: ref, time: when, latitude: lat, longitude: lon, category: kind}\n"
        mapping.write_text(columns + 'time_format: "%Y-%m-%d %H:%M"\n', encoding="utf-8")
        letters = list(ingest_in_memory(CouncilCsvConnector(), export, context).letters.values())
        assert [letter.reason.value for letter in letters] == ["invalid_value"]
        mapping.write_text(columns + 'time_format: "%d/%m/%Y %H:%M"\n', encoding="utf-8")
        publisher = ListPublisher()
        summary = deadletters.replay(letters, connector_for, context, publisher)
        assert summary.published == 1
        assert publisher.events[0].event_time.isoformat() == "2024-05-01T09:30:00+00:00"
        assert (
            publisher.events[0].event_id
            == ingest_in_memory(CouncilCsvConnector(), export, context).events[0].event_id
        )

    def test_a_mapping_that_is_gone_stops_the_replay_before_anything_is_published(
        self, fms_path: Path, context: Context
    ) -> None:
        letters = rejected(fms_path, context)
        (fms_path.parent / "CODES_SHEF_A.csv").unlink()
        publisher = ListPublisher()
        with pytest.raises(ConfigurationError, match="CODES_SHEF_A"):
            deadletters.replay(letters, connector_for, context, publisher)
        assert (publisher.events, publisher.dead_letters) == ([], [])


def renamed(neighbourhood_id: str, name: str) -> Neighbourhoods:
    """The boundaries with one neighbourhood renamed: a fix an operator makes to the boundaries file."""
    settings = Settings()
    document = json.loads(settings.boundaries_path.read_text(encoding="utf-8"))
    for feature in document["features"]:
        if feature["properties"][settings.boundary_id_property] == neighbourhood_id:
            feature["properties"][settings.boundary_name_property] = name
    return Neighbourhoods.from_geojson(
        document, settings.boundary_id_property, settings.boundary_name_property
    )


class TestReplayOfEngagementSources:
    """Sources whose records stand for several events, or name no neighbourhood, or hold respondents."""

    def test_a_record_of_several_events_is_replayed_whole_in_the_neighbourhood_it_was_ingested_for(
        self, context: Context, tmp_path: Path
    ) -> None:
        # A file named after no neighbourhood: only --neighbourhood places its records.
        path = tmp_path / "priorities.json"
        path.write_text(
            json.dumps(
                [
                    {
                        "issue": "<p>Reduce drug dealing by the station.</p>",
                        "issue-date": "2025-09-16T00:00:00",
                        "action": "<p>Plain-clothes patrols at the times residents named.</p>",
                        "action-date": "2025-10-20T00:00:00",
                    }
                ]
            ),
            encoding="utf-8",
        )
        given = replace(context, neighbourhood="Primrose Hill")  # a name the boundaries do not hold yet
        ran = ingest_in_memory(connector_for("police-uk-priorities"), path, given)
        assert [letter.reason.value for letter in ran.letters.values()] == ["unknown_neighbourhood"]
        assert ran.letters[1].neighbourhood == "Primrose Hill"

        # The fix, and a replay by an operator who passes no --neighbourhood.
        fixed = replace(context, neighbourhoods=renamed("E36007159", "Primrose Hill"))
        publisher = ListPublisher()
        summary = deadletters.replay(list(ran.letters.values()), connector_for, fixed, publisher)

        assert (summary.replayed, summary.published, summary.events_published) == (1, 1, 2)
        assert [type(event.payload) for event in publisher.events] == [PrioritySet, ActionRecorded]
        assert {event.neighbourhood_id for event in publisher.events} == {"E36007159"}
        fresh = ingest_in_memory(
            connector_for("police-uk-priorities"), path, replace(fixed, neighbourhood="Primrose Hill")
        )
        assert [e.event_id for e in publisher.events] == [e.event_id for e in fresh.events]
        assert publisher.dead_letters[0].replayed_as == publisher.events[0].event_id

    def test_an_event_not_yet_held_is_published_by_a_replay_once_it_has_been(
        self, context: Context, tmp_path: Path
    ) -> None:
        path = tmp_path / "events.json"
        path.write_text(
            json.dumps([{"title": "Ward panel", "type": "meeting", "start_date": "2026-12-01T19:00:00"}]),
            encoding="utf-8",
        )
        given = replace(context, neighbourhood="E36007170")
        letters = list(ingest_in_memory(connector_for("police-uk-events"), path, given).letters.values())
        assert [letter.reason.value for letter in letters] == ["not_yet_held"]

        later = replace(context, recorded_time=datetime(2026, 12, 2, tzinfo=UTC))
        publisher = ListPublisher()
        assert deadletters.replay(letters, connector_for, later, publisher).published == 1
        assert publisher.events[0].neighbourhood_id == "E36007170"
        assert isinstance(publisher.events[0].payload, MeetingHeld)

    def test_a_survey_response_is_replayed_with_its_mapping_and_only_its_respondent_s_pseudonym(
        self, context: Context, tmp_path: Path
    ) -> None:
        export = tmp_path / "survey.csv"
        export.write_text(
            "rid,at,who,ward,worry\nR1,2026-01-05T10:00:00+00:00,SS-99172,Kilburn,Speeding cars\n",
            encoding="utf-8",
        )
        mapping = tmp_path / "survey.yaml"
        head = "survey_id: s1\ncolumns: {id: rid, time: at, respondent: who, ward: ward, concern: worry}\n"
        mapping.write_text(head, encoding="utf-8")
        ran = ingest_in_memory(SurveysConnector(), export, context)
        assert [letter.reason.value for letter in ran.letters.values()] == ["unmapped_category"]
        # A survey tool's own id is not something redaction finds: the letter never carries it.
        assert b"SS-99172" not in encode(ran.letters[2])

        mapping.write_text(head + "themes: {Speeding cars: road_safety}\n", encoding="utf-8")
        publisher = ListPublisher()
        summary = deadletters.replay(list(ran.letters.values()), connector_for, context, publisher)
        assert summary.published == 1
        response = publisher.events[0].payload
        assert isinstance(response, SurveyResponseReceived)
        assert response.respondent == pseudonym("SS-99172", context.salt)
        assert response.concerns == (Theme.ROAD_SAFETY,)
        fresh = ingest_in_memory(SurveysConnector(), export, context).events[0]
        assert publisher.events[0].event_id == fresh.event_id
        assert publisher.events[0].payload == fresh.payload
