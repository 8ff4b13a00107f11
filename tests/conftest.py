"""Shared fixtures: the demo data that ships with the repo, and the neighbourhoods it is placed in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Context
from connectors.placing import Neighbourhoods
from engage.settings import REPO_ROOT, Settings

DEMO = REPO_ROOT / "data" / "demo"
CAMDEN_CRIME = DEMO / "camden_street_crime_2019-06.csv"
CITY_OF_LONDON_CRIME = DEMO / "2023-03-city-of-london-street.csv"


@pytest.fixture(scope="session")
def neighbourhoods() -> Neighbourhoods:
    settings = Settings()
    return Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )


@pytest.fixture
def context(neighbourhoods: Neighbourhoods) -> Context:
    return Context(
        neighbourhoods=neighbourhoods, recorded_time=datetime(2026, 11, 25, tzinfo=UTC), salt=b"test"
    )


@pytest.fixture
def tmp_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
