"""One theme vocabulary: every source's table in one module, and the count of what none explains."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from connectors import open311, police_uk_crime, theme_maps
from connectors.base import Context
from connectors.fixmystreet import FixMyStreetConnector
from connectors.open311 import Open311Connector
from connectors.police_uk_crime import PoliceUkCrimeConnector
from engage.settings import REPO_ROOT
from events import Theme
from tests.conftest import CAMDEN_CRIME, ingest_in_memory

FMS = REPO_ROOT / "data" / "partners" / "fixmystreet"


def category_names() -> set[str]:
    names = set()
    for scheme in ("SHEF_A", "SHEF_B"):
        with (FMS / f"CODES_{scheme}.csv").open(newline="") as handle:
            names |= {row["name"].lower() for row in csv.DictReader(handle)}
    return names


class TestTables:
    def test_every_fixmystreet_key_is_a_published_category(self) -> None:
        """A misspelt key would leave its category silently 'other'."""
        assert set(theme_maps.FIXMYSTREET_CATEGORY_THEMES) <= category_names()

    def test_the_old_names_still_answer(self) -> None:
        assert police_uk_crime.CRIME_TYPE_THEMES is theme_maps.CRIME_TYPE_THEMES
        assert open311.THEME_KEYWORDS is theme_maps.OPEN311_KEYWORDS

    @pytest.mark.parametrize(
        ("category", "theme"),
        [
            ("Graffiti", Theme.CRIMINAL_DAMAGE),
            ("  FLY-TIPPING ", Theme.ENVIRONMENT),
            ("Bin Collection", Theme.OTHER),
        ],
    )
    def test_lookups_ignore_case_and_default_to_other(self, category: str, theme: Theme) -> None:
        assert theme_maps.theme_of(theme_maps.FIXMYSTREET_CATEGORY_THEMES, category) == theme

    def test_one_kind_of_report_has_one_theme_whichever_source_names_it(self) -> None:
        fms = theme_maps.FIXMYSTREET_CATEGORY_THEMES
        for category in (
            "graffiti",
            "fly-tipping",
            "street lights",
            "abandoned vehicles",
            "parking",
            "noise",
        ):
            assert theme_maps.theme_by_keywords(theme_maps.OPEN311_KEYWORDS, category) == fms[category]

    def test_the_tables_cannot_be_changed_at_run_time(self) -> None:
        with pytest.raises(TypeError):
            theme_maps.CRIME_TYPE_THEMES["drugs"] = Theme.OTHER  # type: ignore[index]


class TestUnmappedOther:
    def test_events_themed_other_are_counted(self, context: Context) -> None:
        ran = ingest_in_memory(PoliceUkCrimeConnector(), CAMDEN_CRIME, context)
        assert ran.summary.unmapped_other == 14  # "Other crime"
        assert ran.summary.unmapped_other == sum(
            1 for e in ran.events if getattr(e.payload, "theme", None) == Theme.OTHER
        )

    def test_a_service_no_keyword_matches_is_counted_and_reported(
        self, context: Context, tmp_path: Path
    ) -> None:
        requests = [
            {
                "service_request_id": str(i),
                "service_code": code,
                "requested_datetime": "2024-05-01T09:30:00+01:00",
                "lat": 51.5194,
                "long": -0.1270,
            }
            for i, code in enumerate(["GRAFFITI", "BENCH", "TREES"])
        ]
        path = tmp_path / "requests.json"
        path.write_text(json.dumps(requests), encoding="utf-8")
        ran = ingest_in_memory(Open311Connector(), path, context)
        assert ran.summary.as_dict()["unmapped_other"] == 2

    def test_rejected_records_are_not_counted(self, context: Context) -> None:
        """Camden's borough-wide counts include categories themed other, but none is published."""
        ran = ingest_in_memory(FixMyStreetConnector(), FMS / "camden_lad_year_SHEF_B_2019.csv", context)
        assert ran.summary.rejected == 18
        assert ran.summary.as_dict()["unmapped_other"] == 0
