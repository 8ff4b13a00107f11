"""The surveys connector on the synthetic StreetSafe-style export and its mapping, on mappings that
cannot work, and on each way a response can be wrong; respondents are only ever pseudonyms."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from connectors.base import Context
from connectors.privacy import pseudonym
from connectors.registry import connector_for
from connectors.surveys import SurveyMapping, SurveysConnector, mapping_path
from engage.errors import ConfigurationError
from engage.settings import REPO_ROOT
from events import SurveyResponseReceived, Theme
from tests.conftest import Ingested, ingest_in_memory
from tests.unit.wire import leaks

EXAMPLE = REPO_ROOT / "data" / "surveys" / "camden_streetsafe_synthetic.csv"

MAPPING = """\
survey_id: test-survey
columns:
  id: ref
  time: at
  respondent: who
  ward: ward
  latitude: lat
  longitude: lon
  postcode: pc
  concern: [worry_1, worry_2]
  feels_safe: safe
  confidence: trust
  comment: note
time_format: "%d/%m/%Y %H:%M"
themes:
  Drugs: drugs
  Speeding cars: road_safety
  Other: other
likert:
  Very unsafe: 1
  Very safe: 5
groups:
  age: {"16-24": young_people, "75+": older_people}
  about_you: {Disabled: disabled, Student: students}
"""
HEADER = "ref,at,who,ward,lat,lon,pc,worry_1,worry_2,safe,trust,note,age,about_you"


def row(
    ref: str = "1",
    at: str = "14/01/2026 19:05",
    who: str = "Jo.Bloggs@example.com",
    ward: str = "Kilburn",
    lat: str = "",
    lon: str = "",
    pc: str = "",
    worry_1: str = "Drugs",
    worry_2: str = "",
    safe: str = "Very unsafe",
    trust: str = "3",
    note: str = "",
    age: str = "16-24",
    about_you: str = "Disabled; Student",
) -> str:
    cells = [ref, at, who, ward, lat, lon, pc, worry_1, worry_2, safe, trust, note, age, about_you]
    return ",".join(f'"{cell}"' if "," in cell else cell for cell in cells)


def responses(ran: Ingested) -> list[SurveyResponseReceived]:
    return [e.payload for e in ran.events if isinstance(e.payload, SurveyResponseReceived)]


@pytest.fixture
def survey(tmp_csv: Callable[[str, str], Path]) -> Callable[..., Path]:
    def write(*rows: str, name: str = "answers") -> Path:
        tmp_csv(f"{name}.yaml", MAPPING)
        return tmp_csv(f"{name}.csv", "\n".join([HEADER, *rows]) + "\n")

    return write


class TestExample:
    def test_the_synthetic_export_reads_as_documented(self, context: Context) -> None:
        ran = ingest_in_memory(connector_for("surveys"), EXAMPLE, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.rejected) == (400, 360, 40)
        assert dict(ran.summary.reasons) == {"unplaced": 38, "unmapped_category": 2}
        assert all(
            "E-scooters" in d.detail for d in ran.letters.values() if d.reason.value == "unmapped_category"
        )
        assert {r.survey_id for r in responses(ran)} == {"camden-streetsafe-2026-synthetic"}
        assert {e.neighbourhood_id for e in ran.events} == {n.id for n in context.neighbourhoods.all}

    def test_answers_map_as_the_yaml_says(self, context: Context) -> None:
        ran = ingest_in_memory(SurveysConnector(), EXAMPLE, context)
        with EXAMPLE.open(encoding="utf-8", newline="") as handle:
            rows = {f"R{int(r['response_id'][1:]):05d}": r for r in csv.DictReader(handle)}
        mapping = yaml.safe_load(mapping_path(EXAMPLE).read_text(encoding="utf-8"))
        first = responses(ran)[0]
        source = rows["R00001"]
        assert first.respondent == pseudonym(source["respondent"], context.salt)
        assert first.feels_safe == mapping["likert"][source["feel_safe"]]
        assert first.confidence_in_police == int(source["confidence_in_police"])
        expected = [Theme(mapping["themes"][a.strip()]) for a in source["main_concerns"].split(";")]
        assert list(first.concerns[: len(expected)]) == list(dict.fromkeys(expected))

    def test_repeat_respondents_share_a_pseudonym(self, context: Context) -> None:
        ran = ingest_in_memory(SurveysConnector(), EXAMPLE, context)
        named = [r.respondent for r in responses(ran) if r.respondent]
        assert 0 < len(set(named)) < len(named)
        assert all(r.startswith("p_") for r in named)
        assert sum(r.respondent is None for r in responses(ran)) > 0

    def test_no_respondent_phone_or_postcode_is_published(self, context: Context) -> None:
        ran = ingest_in_memory(SurveysConnector(), EXAMPLE, context)
        personal = ["@example.com", "respondent0", "SS-", "07700", " 4LB", " 2QG", " 9JE", " 0AB", " 4AB"]
        assert leaks(ran, personal) == []


class TestRecords:
    def test_a_response(self, context: Context, survey: Callable[..., Path]) -> None:
        path = survey(
            row(worry_2="Speeding cars", note="Dealers on the corner every night"),
            row(
                "2", who="  jo.bloggs@EXAMPLE.com ", ward="", lat="51.5194", lon="-0.1270", trust="", age="40"
            ),
            row("3", who="", worry_1="", safe="", note="Lovely area"),
        )
        ran = ingest_in_memory(SurveysConnector(), path, context)
        first, second, third = responses(ran)
        assert first.concerns == (Theme.DRUGS, Theme.ROAD_SAFETY)  # the comment's drugs is already there
        assert (first.feels_safe, first.confidence_in_police) == (1, 3)
        assert first.respondent_groups == ("young_people", "disabled", "students")
        assert first.respondent == second.respondent == pseudonym("jo.bloggs@example.com", context.salt)
        assert ran.events[0].neighbourhood_id == "E36007169"
        assert ran.events[1].neighbourhood_id == "E36007158"  # by its point, in Bloomsbury
        assert (second.confidence_in_police, second.respondent_groups[:1]) == (None, ("disabled",))
        assert (third.respondent, third.feels_safe, third.concerns) == (None, None, ())

    def test_the_comment_adds_its_theme(self, context: Context, survey: Callable[..., Path]) -> None:
        ran = ingest_in_memory(
            SurveysConnector(), survey(row(worry_1="Other", note="Knife found by the bins")), context
        )
        assert responses(ran)[0].concerns == (Theme.OTHER, Theme.WEAPONS)

    def test_london_time_and_stable_ids(self, context: Context, survey: Callable[..., Path]) -> None:
        path = survey(row(at="01/07/2026 09:30"))
        first = ingest_in_memory(SurveysConnector(), path, context)
        again = ingest_in_memory(SurveysConnector(), path, context)
        assert first.events[0].event_time.isoformat() == "2026-07-01T09:30:00+01:00"
        assert first.events[0].event_id == again.events[0].event_id

    def test_each_bad_response_is_rejected_with_its_reason(
        self, context: Context, survey: Callable[..., Path]
    ) -> None:
        cases: list[tuple[str, str, str]] = [
            ("1,2,3", "malformed", "fields"),
            (row(ref=""), "missing_field", "'ref'"),
            (row(at=""), "missing_field", "'at'"),
            (row(at="2026-01-14"), "invalid_value", "'%d/%m/%Y %H:%M'"),
            (row(ward="", pc="NW6"), "unplaced", "postcode district"),
            (row(ward="", pc="NW6 7QX"), "unplaced", "no postcode look-up"),
            (row(ward=""), "unplaced", "no ward and no point"),
            (row(ward="", lat="53.40", lon="-2.98"), "unplaced", "none of the neighbourhoods"),
            (row(ward="", lat="north", lon="-0.1"), "invalid_value", "'lat'"),
            (row(ward="Kilburn Park"), "unknown_neighbourhood", "Kilburn Park"),
            (row(worry_2="Scooters"), "unmapped_category", "Scooters"),
            (row(worry_1="Drugs; Dogs"), "unmapped_category", "Dogs"),
            (row(safe="Quite safe"), "invalid_value", "'safe'"),
            (row(trust="7"), "invalid_value", "'trust'"),
        ]
        ran = ingest_in_memory(SurveysConnector(), survey(row("ok"), *(c for c, _, _ in cases)), context)
        assert (ran.summary.read, ran.summary.published) == (len(cases) + 1, 1)
        for line, (_, reason, hint) in enumerate(cases, start=3):
            letter = ran.letters[line]
            assert (letter.reason.value, hint in letter.detail) == (reason, True), letter.detail
        assert "NW6 7QX" not in ran.letters[8].detail
        assert leaks(ran, ["jo.bloggs", " 7QX"]) == []
        assert "[respondent]" in ran.letters[4].record


class TestMapping:
    def test_the_mapping_may_be_called_mapping_yaml(self, tmp_csv: Callable[[str, str], Path]) -> None:
        path = tmp_csv("s.csv", HEADER + "\n")
        mapping = tmp_csv("s.mapping.yaml", MAPPING)
        assert mapping_path(path) == mapping

    def test_a_csv_without_a_mapping_names_the_file_to_write(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("s.csv", HEADER + "\n")
        with pytest.raises(ConfigurationError, match=r"s\.yaml"):
            list(SurveysConnector().records(path))

    def test_a_mapping_naming_an_absent_column_is_refused(self, tmp_csv: Callable[[str, str], Path]) -> None:
        tmp_csv("s.yaml", MAPPING)
        path = tmp_csv("s.csv", HEADER.replace(",about_you", "") + "\n")
        with pytest.raises(ConfigurationError, match="'about_you'"):
            SurveysConnector().records(path)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda d: d["themes"].update({"Drugs": "narcotics"}), "not a theme"),
            (lambda d: d["likert"].update({"Very safe": 6}), "1..5"),
            (lambda d: d.pop("survey_id"), "survey_id"),
            (lambda d: d["columns"].pop("time"), "time"),
            (lambda d: [d["columns"].pop(k) for k in ("ward", "latitude")], "'ward'"),
            (lambda d: d["columns"].update({"mood": "m"}), "unknown keys"),
            (lambda d: d.update({"timezone": "Mars/Olympus"}), "IANA"),
        ],
    )
    def test_a_mapping_that_cannot_work_says_why(
        self, change: Callable[[dict[str, object]], object], message: str
    ) -> None:
        document = yaml.safe_load(MAPPING)
        change(document)
        with pytest.raises(ConfigurationError, match=message):
            SurveyMapping.from_dict(document, "test")

    def test_the_example_mapping_lists_every_concern_but_the_late_one(self) -> None:
        from connectors.synthetic_surveys import CONCERNS, UNLISTED_CONCERN

        mapping = SurveyMapping.load(mapping_path(EXAMPLE))
        assert {c.lower() for c in CONCERNS} == set(mapping.themes)
        assert UNLISTED_CONCERN.lower() not in mapping.themes
