"""The police.uk crime connector on the real files that ship with the repo, and on broken ones."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from connectors.base import Context
from connectors.ingest import ListPublisher, run
from connectors.placing import Neighbourhoods
from connectors.police_uk_crime import PoliceUkCrimeConnector
from events import CrimeRecorded, Theme
from tests.conftest import CAMDEN_CRIME, CITY_OF_LONDON_CRIME, ingest_in_memory

CAMDEN_HEADER = (
    "Category,Street ID,Street Name,Context,Outcome Category,Outcome Date,Service,Location Subtype,ID,"
    "Persistent ID,Epoch,Ward Code,Ward Name,Easting,Northing,Longitude,Latitude,Spatial Accuracy,"
    "Last Uploaded,Location"
)


def camden_row(
    category: str = "Drugs",
    ward: str = "Belsize",
    lon: str = "-0.1",
    lat: str = "51.5",
    crime_id: str = "1",
    epoch: str = "06/01/2019 12:00:00 AM",
) -> str:
    return (
        f"{category},1,On or near X,,,,Police Force,,{crime_id},,{epoch},E05000143,{ward},1,1,{lon},{lat},"
        'approx,18/02/2021,"(51.5, -0.1)"'
    )


class TestRealFiles:
    def test_every_camden_record_lands_in_its_own_ward(
        self, context: Context, neighbourhoods: Neighbourhoods
    ) -> None:
        publisher = ListPublisher()
        summary = run(PoliceUkCrimeConnector(), CAMDEN_CRIME, context, publisher)
        with CAMDEN_CRIME.open(encoding="utf-8-sig", newline="") as handle:
            expected = Counter(row["Ward Name"] for row in csv.DictReader(handle))
        placed = Counter(neighbourhoods.by_id(e.neighbourhood_id).name for e in publisher.events)
        assert summary.read == 4075 == summary.published
        assert placed == expected

    def test_crime_categories_map_to_themes(self, context: Context) -> None:
        publisher = ListPublisher()
        run(PoliceUkCrimeConnector(), CAMDEN_CRIME, context, publisher)
        themes = Counter(e.payload.theme for e in publisher.events if isinstance(e.payload, CrimeRecorded))
        assert themes[Theme.ANTI_SOCIAL_BEHAVIOUR] == 852
        assert themes[Theme.DRUGS] == 121
        assert themes[Theme.OTHER] == 14  # "Other crime": reported, never dropped

    def test_the_bulk_download_is_placed_by_point_and_the_rest_rejected(self, context: Context) -> None:
        publisher = ListPublisher()
        summary = run(PoliceUkCrimeConnector(), CITY_OF_LONDON_CRIME, context, publisher)
        assert summary.read == 709 == summary.published + summary.rejected
        # City of London lies outside Camden's wards, bar a few records on the border.
        assert 0 < summary.published < 100
        assert set(summary.reasons) == {"unplaced"}
        assert all(letter.reason.value == "unplaced" for letter in publisher.dead_letters)

    def test_identical_rows_without_ids_are_distinct_events_and_stable_across_runs(
        self, context: Context
    ) -> None:
        first, second = ListPublisher(), ListPublisher()
        run(PoliceUkCrimeConnector(), CITY_OF_LONDON_CRIME, context, first)
        run(PoliceUkCrimeConnector(), CITY_OF_LONDON_CRIME, context, second)
        ids = [e.event_id for e in first.events]
        assert len(set(ids)) == len(ids)
        assert ids == [e.event_id for e in second.events]


class TestBadRecords:
    def test_each_bad_record_is_rejected_with_its_reason_and_the_run_goes_on(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        lines = [
            CAMDEN_HEADER,
            camden_row(crime_id="good-1"),
            "Drugs,1,broken,with,too,few,fields",
            camden_row(ward="", lon="west", lat="51.5", crime_id="bad-type"),
            camden_row(ward="Atlantis", crime_id="bad-ward"),
            camden_row(category="", crime_id="no-category"),
            camden_row(epoch="yesterday", crime_id="bad-date"),
            camden_row(ward="", lon="", lat="", crime_id="nowhere"),
            camden_row(ward="", lon="-3.0", lat="53.4", crime_id="liverpool"),
            camden_row(ward="king's cross", crime_id="good-2"),
        ]
        path = tmp_csv("mixed.csv", "\n".join(lines) + "\n")
        ran = ingest_in_memory(PoliceUkCrimeConnector(), path, context)
        summary, by_line = ran.summary, ran.letters
        assert summary.read == 9
        assert summary.published == 2
        assert dict(summary.reasons) == {
            "malformed": 1,
            "invalid_value": 2,
            "unknown_neighbourhood": 1,
            "missing_field": 1,
            "unplaced": 2,
        }
        assert by_line[3].reason.value == "malformed"
        assert "Longitude" in by_line[4].detail and "west" in by_line[4].detail
        assert "Atlantis" in by_line[5].detail
        assert all(
            letter.source == "police-uk-crime" and letter.file == "mixed.csv" for letter in by_line.values()
        )
