"""Placing: the Camden ward boundaries answer by id, by name and by point."""

from __future__ import annotations

import pytest

from connectors.placing import Neighbourhoods
from connectors.rejections import RecordRejected
from engage.errors import ConfigurationError


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
