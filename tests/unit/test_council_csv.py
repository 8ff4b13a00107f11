"""The council CSV connector on real Boston 311 cases (with a boundary around Boston), and on broken rows."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from connectors.base import Context, event_id
from connectors.council_csv import CouncilCsvConnector, CouncilMapping, mapping_path
from connectors.ingest import ListPublisher, run
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from engage.errors import ConfigurationError
from engage.settings import REPO_ROOT
from events import Envelope, PartnerCallLogged, Theme
from tests.conftest import ingest_in_memory

BOSTON = REPO_ROOT / "data" / "partners" / "boston311" / "boston311-100.csv"

MAPPING = """\
columns:
  id: ref
  time: logged
  latitude: lat
  longitude: lon
  category: kind
  description: notes
  partner: team
time_format: "%d/%m/%Y %H:%M"
timezone: Europe/London
themes:
  Graffiti: criminal_damage
  fly-tipping: environment
"""
HEADER = "ref,logged,lat,lon,kind,notes,team"


def row(
    ref: str = "1",
    logged: str = "01/05/2024 09:30",
    lat: str = "51.5194",
    lon: str = "-0.1270",
    kind: str = "Graffiti",
    notes: str = "Tags on the wall",
    team: str = "Street Environment",
) -> str:
    return f'{ref},{logged},{lat},{lon},{kind},"{notes}",{team}'


@pytest.fixture(scope="module")
def boston() -> Neighbourhoods:
    ring = [[-71.2, 42.2], [-70.9, 42.2], [-70.9, 42.45], [-71.2, 42.45], [-71.2, 42.2]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "BOS", "name": "Boston"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    return Neighbourhoods.from_geojson(document, "id", "name")


def payloads(events: list[Envelope]) -> list[PartnerCallLogged]:
    return [e.payload for e in events if isinstance(e.payload, PartnerCallLogged)]


class TestBoston:
    def test_real_boston_cases_are_placed_and_themed_as_the_mapping_says(
        self, boston: Neighbourhoods
    ) -> None:
        context = Context(neighbourhoods=boston, recorded_time=datetime(2026, 11, 25, tzinfo=UTC), salt=b"t")
        publisher = ListPublisher()
        summary = run(connector_for("council-csv"), BOSTON, context, publisher)
        assert summary.read == 100 == summary.published + summary.rejected
        # Every case lies in the box around Boston (City Hall stands in for cases without a location).
        assert summary.published == 100

        document = yaml.safe_load(mapping_path(BOSTON).read_text(encoding="utf-8"))
        table = {str(k).lower(): Theme(v) for k, v in document["themes"].items()}
        with BOSTON.open(encoding="utf-8-sig", newline="") as handle:
            expected = {
                event_id("council-csv", r["case_enquiry_id"]): table.get(r["type"].lower(), Theme.OTHER)
                for r in csv.DictReader(handle)
            }
        assert all(e.neighbourhood_id == "BOS" for e in publisher.events)
        themes = {
            e.event_id: e.payload.theme for e in publisher.events if isinstance(e.payload, PartnerCallLogged)
        }
        assert themes == expected
        counts = Counter(themes.values())
        assert counts[Theme.PARKING] == 20
        assert counts[Theme.DRUGS] == 2
        assert counts[Theme.OTHER] > 0  # unmapped categories are kept, never dropped
        assert {p.service_code for p in payloads(publisher.events) if p.theme == Theme.DRUGS} == {
            "Needle Pickup"
        }

    def test_boston_times_are_local_to_boston(self, boston: Neighbourhoods) -> None:
        context = Context(neighbourhoods=boston, recorded_time=datetime(2026, 11, 25, tzinfo=UTC), salt=b"t")
        publisher = ListPublisher()
        run(CouncilCsvConnector(), BOSTON, context, publisher)
        # The first row was opened 2022-01-21 13:47 in Boston, 18:47 UTC.
        assert publisher.events[0].event_time.astimezone(UTC) == datetime(2022, 1, 21, 18, 47, tzinfo=UTC)

    def test_against_camden_every_boston_case_is_unplaced(self, context: Context) -> None:
        summary = run(CouncilCsvConnector(), BOSTON, context, ListPublisher())
        assert summary.read == 100 == summary.rejected
        assert dict(summary.reasons) == {"unplaced": 100}


class TestMapping:
    def test_a_csv_without_a_mapping_names_the_file_to_write(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("calls.csv", HEADER + "\n" + row() + "\n")
        with pytest.raises(ConfigurationError, match=r"calls\.mapping\.yaml"):
            run(CouncilCsvConnector(), path, context, ListPublisher())

    def test_a_mapping_naming_an_absent_column_is_refused(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("calls.csv", "ref,logged,lat,lon,kind\n")
        tmp_csv("calls.mapping.yaml", MAPPING)
        with pytest.raises(ConfigurationError, match="'notes'"):
            run(CouncilCsvConnector(), path, context, ListPublisher())

    def test_an_unknown_theme_is_refused_with_the_choices(self) -> None:
        document = yaml.safe_load(MAPPING)
        document["themes"]["Graffiti"] = "vandalism"
        with pytest.raises(ConfigurationError, match="criminal_damage"):
            CouncilMapping.from_dict(document, "test")

    def test_the_long_name_beside_the_csv_is_found_too(self, tmp_csv: Callable[[str, str], Path]) -> None:
        path = tmp_csv("calls.csv", HEADER + "\n")
        mapping = tmp_csv("calls.csv.mapping.yaml", MAPPING)
        assert mapping_path(path) == mapping


class TestRecords:
    def test_happy_path_in_camden(
        self, context: Context, neighbourhoods: Neighbourhoods, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("calls.csv", "\n".join([HEADER, row(), row("2", kind="Fly-Tipping", team="")]) + "\n")
        tmp_csv("calls.mapping.yaml", MAPPING)
        publisher = ListPublisher()
        summary = run(CouncilCsvConnector(), path, context, publisher)
        assert summary.published == 2 == summary.read
        first, second = payloads(publisher.events)
        assert (first.theme, first.partner, first.service_code) == (
            Theme.CRIMINAL_DAMAGE,
            "Street Environment",
            "Graffiti",
        )
        assert (second.theme, second.partner) == (Theme.ENVIRONMENT, "council")
        assert neighbourhoods.by_id(publisher.events[0].neighbourhood_id).name == "Bloomsbury"
        # 09:30 in London in May is 08:30 UTC.
        assert publisher.events[0].event_time.astimezone(UTC) == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)

    def test_each_bad_row_is_rejected_with_its_reason_and_the_run_goes_on(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        lines = [
            HEADER,
            row("good-1"),
            "broken,too,few",
            row("bad-lat", lat="north"),
            row("nowhere", lat="", lon=""),
            row("liverpool", lat="53.40", lon="-2.98"),
            row("bad-time", logged="yesterday"),
            row(""),
            row("no-kind", kind=""),
            row("good-2", kind="Potholes"),
        ]
        path = tmp_csv("mixed.csv", "\n".join(lines) + "\n")
        tmp_csv("mixed.mapping.yaml", MAPPING)
        ran = ingest_in_memory(CouncilCsvConnector(), path, context)
        summary, by_line = ran.summary, ran.letters
        assert summary.read == 9
        assert summary.published == 2
        assert dict(summary.reasons) == {
            "malformed": 1,
            "invalid_value": 2,
            "unplaced": 2,
            "missing_field": 2,
        }
        assert by_line[3].reason.value == "malformed"
        assert by_line[4].reason.value == "invalid_value" and "north" in by_line[4].detail
        assert by_line[5].reason.value == "unplaced"
        assert by_line[6].reason.value == "unplaced" and "none of the neighbourhoods" in by_line[6].detail
        assert by_line[7].reason.value == "invalid_value" and "yesterday" in by_line[7].detail
        assert payloads(ran.events)[-1].theme == Theme.OTHER  # "Potholes" is not in this mapping
        assert all(
            letter.source == "council-csv" and letter.file == "mixed.csv" for letter in by_line.values()
        )

    def test_e_mails_and_phones_in_free_text_are_redacted_everywhere(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        personal = "Ring jo.bloggs@example.com or 07700 900123"
        path = tmp_csv(
            "calls.csv",
            "\n".join([HEADER, row("ok", notes=personal), row("far", notes=personal, lat="53.4")]) + "\n",
        )
        tmp_csv("calls.mapping.yaml", MAPPING)
        publisher = ListPublisher()
        summary = run(CouncilCsvConnector(), path, context, publisher)
        assert payloads(publisher.events)[0].description == "Ring [email] or [phone]"
        letter = publisher.dead_letters[0]
        assert "jo.bloggs" not in letter.record and "900123" not in letter.record
        assert summary.redacted == {"email": 2, "phone": 2}
