"""A DuckDB read side for the briefing tests, built as the service builds it, without Kafka.

The repo's example files (meetings, social posts, surveys, police.uk priorities, all synthetic Camden
data) through their connectors, seeded synthetic events for volume, and a few planted facts the tests
look for: a hostile burst marked OFFICIAL-SENSITIVE two hours before the pack, a spike of drugs
reports, an analyst's override, and a priority published in an OFFICIAL-SENSITIVE event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors import synthetic
from connectors.base import Context
from connectors.ingest import ListPublisher, run
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.registry import connector_for
from engage.settings import REPO_ROOT, Settings
from events import (
    Envelope,
    PrioritySet,
    ProtectiveMarking,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)
from projections import evidence, neighbourhood, read_models, store

AS_OF = datetime(2026, 2, 15, 6, tzinfo=UTC)
PREVIOUS = AS_OF - timedelta(days=14)
BURST_AREA, SPIKE_AREA, OVERRIDE_AREA = "Kilburn", "Highgate", "Belsize"
SENSITIVE_TEXT = "crowd gathering outside the community centre after the rumour"
OVERRIDE_NOTE = "raised after the council's meeting on the estate"
SENSITIVE_ISSUE = "weapons sweep near the school gates"

DATA = REPO_ROOT / "data"
EXAMPLES = (
    ("meetings", DATA / "meetings" / "meetings_synthetic.jsonl"),
    ("social", DATA / "social" / "camden_posts_synthetic.jsonl"),
    ("surveys", DATA / "surveys" / "camden_streetsafe_synthetic.csv"),
    ("police-uk-priorities", DATA / "police_uk" / "camden_E36007170_priorities_synthetic.json"),
)


def load_neighbourhoods() -> Neighbourhoods:
    settings = Settings()
    return Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )


def _envelope(
    event_id: str, nid: str, when: datetime, payload: object, marking: ProtectiveMarking
) -> Envelope:
    return Envelope.model_validate(
        {
            "event_id": event_id,
            "event_type": payload.event_type,  # type: ignore[attr-defined]
            "event_time": when,
            "recorded_time": when,
            "source": "test",
            "neighbourhood_id": nid,
            "marking": marking,
            "payload": payload,
        }
    )


def planted(places: Neighbourhoods) -> list[Envelope]:
    """The facts the tests look for."""
    burst_at = AS_OF - timedelta(hours=2)
    kilburn = places.by_name(BURST_AREA)
    highgate = places.by_name(SPIKE_AREA)
    belsize = places.by_name(OVERRIDE_AREA)
    sensitive = ProtectiveMarking.OFFICIAL_SENSITIVE
    events = [
        _envelope(
            f"burst-{i}",
            kilburn.id,
            burst_at + timedelta(minutes=3 * i),
            SocialSignalObserved(
                platform="test",
                author=f"p_burst{i}",
                text=f"{SENSITIVE_TEXT} ({i})",
                theme=Theme.PUBLIC_ORDER,
                sentiment=-0.9,
                hostility=0.9,
                rumour=0.8,
            ),
            sensitive,
        )
        for i in range(12)
    ]
    events += [
        _envelope(
            f"spike-{i}",
            highgate.id,
            AS_OF - timedelta(days=9, hours=i),
            SurveyResponseReceived(survey_id="test", respondent=f"p_spike{i}", concerns=(Theme.DRUGS,)),
            ProtectiveMarking.OFFICIAL,
        )
        for i in range(12)
    ]
    events.append(
        _envelope(
            "override-1",
            belsize.id,
            AS_OF - timedelta(days=3),
            TensionAssessed(assessment="override", level=3, analyst="analyst 4411", note=OVERRIDE_NOTE),
            ProtectiveMarking.OFFICIAL,
        )
    )
    events.append(
        _envelope(
            "sensitive-priority",
            highgate.id,
            AS_OF - timedelta(days=40),
            PrioritySet(theme=Theme.WEAPONS, issue=SENSITIVE_ISSUE, forum="ttcg"),
            sensitive,
        )
    )
    return events


def all_events(places: Neighbourhoods) -> list[Envelope]:
    settings = Settings()
    assert settings.area_lookup_path is not None
    context = Context(
        neighbourhoods=places,
        recorded_time=datetime(2026, 3, 1, tzinfo=UTC),
        salt=b"test",
        areas=AreaLookup.load(settings.area_lookup_path, places),
    )
    events: list[Envelope] = []
    for source, path in EXAMPLES:
        publisher = ListPublisher()
        run(connector_for(source), path, context, publisher)
        events += publisher.events
    ids = [n.id for n in places.all]
    start = datetime(2025, 10, 1, tzinfo=UTC)
    events += synthetic.generate(
        ids, 2000, seed=11, start=start, span=datetime(2026, 3, 1, tzinfo=UTC) - start
    )
    events += planted(places)
    return sorted(events, key=lambda e: (e.event_time, e.event_id))


def build_database(path: Path, places: Neighbourhoods) -> None:
    events = all_events(places)
    con = store.connect(path)
    try:
        read_models.write_views(con, list(neighbourhood.replay(events)))
        store.write_events(con, [evidence.row(e, 0, i) for i, e in enumerate(events)], "engage.events.v1", {})
        store.replace_neighbourhoods(con, places.all)
    finally:
        con.close()
