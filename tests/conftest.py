"""Shared fixtures: the demo data that ships with the repo, the neighbourhoods it is placed in, and
small builders for events and in-memory ingest runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Connector, Context
from connectors.ingest import ListPublisher, Summary, run
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.rejections import DeadLetter
from engage.settings import REPO_ROOT, Settings
from events import Envelope, Payload

T0 = datetime(2026, 1, 1, tzinfo=UTC)

DEMO = REPO_ROOT / "data" / "demo"
CAMDEN_CRIME = DEMO / "camden_street_crime_2019-06.csv"
CITY_OF_LONDON_CRIME = DEMO / "2023-03-city-of-london-street.csv"


@pytest.fixture(scope="session")
def neighbourhoods() -> Neighbourhoods:
    settings = Settings()
    return Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )


@pytest.fixture(scope="session")
def areas(neighbourhoods: Neighbourhoods) -> AreaLookup:
    path = Settings().area_lookup_path
    assert path is not None
    return AreaLookup.load(path, neighbourhoods)


@pytest.fixture
def context(neighbourhoods: Neighbourhoods, areas: AreaLookup) -> Context:
    return Context(
        neighbourhoods=neighbourhoods,
        recorded_time=datetime(2026, 11, 25, tzinfo=UTC),
        salt=b"test",
        areas=areas,
    )


@pytest.fixture
def tmp_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def envelope(payload: Payload, neighbourhood_id: str = "N", event_id: str = "x") -> Envelope:
    """An envelope around `payload`, at T0, for tests that care only about the payload."""
    return Envelope(
        event_id=event_id,
        event_type=payload.event_type,
        event_time=T0,
        recorded_time=T0,
        source="test",
        neighbourhood_id=neighbourhood_id,
        payload=payload,
    )


@dataclass(frozen=True)
class Ingested:
    summary: Summary
    events: list[Envelope]
    letters: dict[int, DeadLetter]
    """Dead letters by the line they came from."""


def ingest_in_memory(connector: Connector, path: Path, context: Context) -> Ingested:
    """An ingest run into the in-memory publisher; checks the law every run obeys."""
    publisher = ListPublisher()
    summary = run(connector, path, context, publisher)
    assert summary.read == summary.published + summary.rejected
    assert (len(publisher.events), len(publisher.dead_letters)) == (
        summary.events_published,
        summary.rejected,
    )
    assert summary.events_published >= summary.published
    return Ingested(summary, publisher.events, {d.line: d for d in publisher.dead_letters})
