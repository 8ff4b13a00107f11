"""The FixMyStreet connector on the Camden counts that ship with the repo, and on broken rows."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connectors.base import Context, event_id
from connectors.fixmystreet import FixMyStreetConnector
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.registry import connector_for
from connectors.rejections import RecordRejected
from engage.errors import ConfigurationError
from engage.settings import REPO_ROOT
from events import Envelope, PartnerCallLogged, Theme
from tests.conftest import CITY_OF_LONDON_CRIME, ingest_in_memory

FMS = REPO_ROOT / "data" / "partners" / "fixmystreet"
LSOA_MONTHS = FMS / "camden_lsoa_month_shefA_2019_2020.csv"
LAD_YEAR = FMS / "camden_lad_year_SHEF_B_2019.csv"
HEADER = "month,lsoa,SHEF_A_CODE,reports,unique_users,average_per_user"


@pytest.fixture
def fms_file(tmp_path: Path) -> Callable[..., Path]:
    """A data file in a folder of its own, with the shipped codes beside it."""

    def write(*rows: str, name: str = "counts.csv", header: str = HEADER, scheme: str = "SHEF_A") -> Path:
        shutil.copy(FMS / f"CODES_{scheme}.csv", tmp_path / f"CODES_{scheme}.csv")
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path

    return write


def payloads(events: list[Envelope]) -> list[PartnerCallLogged]:
    return [e.payload for e in events if isinstance(e.payload, PartnerCallLogged)]


class TestCamdenSlice:
    def test_every_row_is_placed_in_the_ward_its_lsoa_lies_in(
        self, context: Context, areas: AreaLookup
    ) -> None:
        ran = ingest_in_memory(connector_for("fixmystreet"), LSOA_MONTHS, context)
        with LSOA_MONTHS.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        expected = Counter(areas.place(r["lsoa"]).id for r in rows)
        assert (ran.summary.read, ran.summary.published) == (828, 828)
        assert Counter(e.neighbourhood_id for e in ran.events) == expected
        assert len(expected) == 18  # every Camden ward has some

    def test_counts_are_carried_whole(self, context: Context) -> None:
        ran = ingest_in_memory(FixMyStreetConnector(), LSOA_MONTHS, context)
        assert sum(p.count for p in payloads(ran.events)) == 961
        assert {p.partner for p in payloads(ran.events)} == {"fixmystreet"}

    def test_categories_are_named_and_themed(self, context: Context) -> None:
        ran = ingest_in_memory(FixMyStreetConnector(), LSOA_MONTHS, context)
        reports: Counter[str] = Counter()
        themes: Counter[Theme] = Counter()
        for p in payloads(ran.events):
            reports[p.service_code] += p.count
            themes[p.theme] += 1
        assert reports["Fly-tipping"] == 173 and reports["Graffiti"] == 53
        assert themes[Theme.CRIMINAL_DAMAGE] == 36  # graffiti rows
        assert themes[Theme.OTHER] == ran.summary.unmapped_other == 337

    def test_the_event_time_is_the_first_of_the_month_and_the_id_its_cell(self, context: Context) -> None:
        ran = ingest_in_memory(FixMyStreetConnector(), LSOA_MONTHS, context)
        first = ran.events[0]
        with LSOA_MONTHS.open(newline="") as handle:
            row = next(csv.DictReader(handle))
        assert first.event_time.isoformat() == f"{row['month']}-01T00:00:00+00:00"
        assert first.event_id == event_id(
            "fixmystreet", f"SHEF_A|{row['lsoa']}|{row['month']}|{row['SHEF_A_CODE']}"
        )
        assert len({e.event_id for e in ran.events}) == 828

    def test_local_authority_rows_are_rejected_as_too_coarse(self, context: Context) -> None:
        ran = ingest_in_memory(FixMyStreetConnector(), LAD_YEAR, context)
        assert (ran.summary.read, ran.summary.rejected) == (18, 18)
        assert dict(ran.summary.reasons) == {"area_too_coarse": 18}
        assert "E09000007" in ran.letters[2].detail


class TestTheLookUpAgreesWithPoliceUk:
    def test_camden_lsoas_in_the_city_crime_file_are_placed_where_their_points_lie(
        self, neighbourhoods: Neighbourhoods, areas: AreaLookup
    ) -> None:
        """The crime file gives an LSOA code and a point for each crime: an independent check, where
        the point lies inside the (generalised) ward polygons at all."""
        with CITY_OF_LONDON_CRIME.open(newline="", encoding="utf-8-sig") as handle:
            camden = [r for r in csv.DictReader(handle) if r["LSOA name"].startswith("Camden ")]
        checked = set()
        for row in camden:
            try:
                by_point = neighbourhoods.by_point(float(row["Longitude"]), float(row["Latitude"]))
            except RecordRejected:
                continue  # snapped to a street on the borough's edge, outside the generalised polygon
            assert areas.place(row["LSOA code"]) == by_point
            checked.add(row["LSOA code"])
        assert len(checked) == 2


class TestRows:
    def test_an_lsoa_outside_the_look_up_is_unplaced(
        self, context: Context, fms_file: Callable[..., Path]
    ) -> None:
        path = fms_file("2019-01,E01000001,A33,2,1,2.0", "2019-01,E01000842,A33,2,1,2.0")
        ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert ran.summary.published == 1
        assert ran.letters[2].reason.value == "unplaced"
        assert "E01000001" in ran.letters[2].detail

    def test_a_code_the_codes_file_does_not_name_is_an_unmapped_category(
        self, context: Context, fms_file: Callable[..., Path]
    ) -> None:
        ran = ingest_in_memory(FixMyStreetConnector(), fms_file("2019-01,E01000842,A72,1,1,1.0"), context)
        assert ran.letters[2].reason.value == "unmapped_category"
        assert "CODES_SHEF_A.csv" in ran.letters[2].detail

    @pytest.mark.parametrize("reports", ["-1", "two", "1.5", ""])
    def test_a_count_that_is_not_a_whole_positive_number_is_invalid(
        self, context: Context, fms_file: Callable[..., Path], reports: str
    ) -> None:
        path = fms_file(f"2019-01,E01000842,A33,{reports},1,1.0")
        ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert ran.letters[2].reason.value in {"invalid_value", "missing_field"}
        assert ran.summary.published == 0

    def test_zero_count_rows_are_not_records_and_are_logged_as_skipped(
        self, context: Context, fms_file: Callable[..., Path]
    ) -> None:
        path = fms_file("2019-01,E01000842,A33,0,0,0.0", "2019-01,E01000842,A29,3,2,1.5", " 2019-02,x")
        with capture_logs() as logs:
            ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert (ran.summary.read, ran.summary.published, ran.summary.rejected) == (2, 1, 1)
        assert [entry["rows"] for entry in logs if entry["event"] == "zero_count_rows_skipped"] == [1]

    def test_monthly_files_as_published_take_their_month_from_the_name(
        self, context: Context, fms_file: Callable[..., Path]
    ) -> None:
        path = fms_file(
            "E01000842,A29,3,2,1.5",
            name="2020-3.csv",
            header="lsoa,SHEF_A_CODE,reports,unique_users,average_per_user",
        )
        ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert ran.events[0].event_time.isoformat() == "2020-03-01T00:00:00+00:00"

    def test_a_row_with_no_month_anywhere_is_rejected(
        self, context: Context, fms_file: Callable[..., Path]
    ) -> None:
        path = fms_file(
            "E01000842,A29,3,2,1.5", header="lsoa,SHEF_A_CODE,reports,unique_users,average_per_user"
        )
        ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert ran.letters[2].reason.value == "missing_field"
        assert "month" in ran.letters[2].detail

    def test_shef_b_rows_use_the_shef_b_codes(self, context: Context, fms_file: Callable[..., Path]) -> None:
        path = fms_file(
            "2019-05,E01000842,B14,4,3,1.3",
            header="month,lsoa,SHEF_B_CODE,reports,unique_users,average_per_user",
            scheme="SHEF_B",
        )
        ran = ingest_in_memory(FixMyStreetConnector(), path, context)
        assert [(p.service_code, p.theme) for p in payloads(ran.events)] == [
            ("Incivilities", Theme.ANTI_SOCIAL_BEHAVIOUR)
        ]


class TestFiles:
    def test_a_file_without_its_codes_beside_it_says_where_to_find_them(
        self, context: Context, tmp_path: Path
    ) -> None:
        path = tmp_path / "counts.csv"
        path.write_text(HEADER + "\n2019-01,E01000842,A33,2,1,2.0\n", encoding="utf-8")
        with pytest.raises(ConfigurationError, match=r"CODES_SHEF_A\.csv"):
            list(FixMyStreetConnector().records(path))

    def test_a_file_of_another_kind_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "other.csv"
        path.write_text("a,b\n1,2\n", encoding="utf-8")
        with pytest.raises(ConfigurationError, match="SHEF_A_CODE"):
            list(FixMyStreetConnector().records(path))
