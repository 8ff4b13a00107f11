"""Placing: the Camden ward boundaries answer by id, by name and by point."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.placing import AreaLookup, Neighbourhoods
from connectors.rejections import RecordRejected
from engage.errors import ConfigurationError
from engage.settings import Settings


class TestPlacing:
    def test_the_demo_boundaries_hold_camdens_18_wards(self, neighbourhoods: Neighbourhoods) -> None:
        assert len(neighbourhoods.all) == 18

    def test_a_point_in_bloomsbury_is_placed_there(self, neighbourhoods: Neighbourhoods) -> None:
        # The British Museum.
        assert neighbourhoods.by_point(-0.1270, 51.5194).name == "Bloomsbury"

    def test_a_point_outside_every_ward_is_unplaced(self, neighbourhoods: Neighbourhoods) -> None:
        with pytest.raises(RecordRejected) as caught:
            neighbourhoods.by_point(-2.98, 53.40)
        assert caught.value.reason.value == "unplaced"

    @pytest.mark.parametrize("name", ["King's Cross", "kings cross", "KING'S  CROSS", "King\u2019s Cross"])
    def test_names_match_without_case_or_punctuation(self, neighbourhoods: Neighbourhoods, name: str) -> None:
        assert neighbourhoods.by_name(name).id == neighbourhoods.by_name("King's Cross").id

    def test_an_unknown_id_is_an_unknown_neighbourhood(self, neighbourhoods: Neighbourhoods) -> None:
        with pytest.raises(RecordRejected) as caught:
            neighbourhoods.by_id("E99999999")
        assert caught.value.reason.value == "unknown_neighbourhood"

    def test_boundaries_without_the_configured_properties_say_which_setting_to_change(self) -> None:
        document = {
            "features": [{"properties": {"code": "A"}, "geometry": {"type": "Point", "coordinates": [0, 0]}}]
        }
        with pytest.raises(ConfigurationError, match="ENGAGE_BOUNDARY_ID_PROPERTY"):
            Neighbourhoods.from_geojson(document, "cmwd11cd", "cmwd11nm")


class TestAreaLookup:
    def test_the_demo_look_up_gives_every_camden_lsoa_a_ward(
        self, areas: AreaLookup, neighbourhoods: Neighbourhoods
    ) -> None:
        assert len(areas) == 133
        assert areas.place("E01000842").name == "Belsize"
        assert areas.place(" e01000842 ") == areas.place("E01000842")

    def test_an_area_outside_the_table_is_unplaced_and_names_the_setting(self, areas: AreaLookup) -> None:
        with pytest.raises(RecordRejected) as caught:
            areas.place("E01000001")
        assert caught.value.reason.value == "unplaced"
        assert "ENGAGE_AREA_LOOKUP_PATH" in caught.value.detail

    def test_codes_and_place_names_can_share_one_table(
        self, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        path = tmp_path / "areas.csv"
        path.write_text(
            "area,neighbourhood_id,note\nE01000842,E36007157,an LSOA\nPrimrose Hill,E36007159,a place\n",
            encoding="utf-8",
        )
        areas = AreaLookup.load(path, neighbourhoods)
        assert areas.place("E01000842").name == "Belsize"
        assert areas.place("primrose hill").name == "Camden Town with Primrose Hill"

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("area,ward\nX,E36007157\n", "neighbourhood_id"),
            ("area,neighbourhood_id\nX,E99999999\n", "ENGAGE_BOUNDARIES_PATH"),
            ("area,neighbourhood_id\nX,E36007157\nx,E36007158\n", "two neighbourhoods"),
            ("area,neighbourhood_id\n,E36007157\n", "line 2"),
        ],
    )
    def test_a_table_that_does_not_fit_the_boundaries_is_refused(
        self, neighbourhoods: Neighbourhoods, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "areas.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=message):
            AreaLookup.load(path, neighbourhoods)

    def test_a_missing_table_names_the_setting(self, neighbourhoods: Neighbourhoods, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="ENGAGE_AREA_LOOKUP_PATH"):
            AreaLookup.load(tmp_path / "absent.csv", neighbourhoods)

    def test_an_empty_setting_means_no_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENGAGE_AREA_LOOKUP_PATH", "")
        assert Settings().area_lookup_path is None
