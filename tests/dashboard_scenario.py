"""A read-side database for the dashboard's tests, built as the sink builds it but without Kafka.

Camden's synthetic engagement (the example files of meetings, surveys, social posts and police.uk
priorities and events, through their connectors), then a scripted week in Kentish Town: youth
nuisance raised in surveys, a burst of hostile posts (one carrying a ``<script>``) that raises
tension, and an analyst's override to level 4 marked OFFICIAL-SENSITIVE. Folded by
``neighbourhood.replay`` and written with ``read_models.write_views`` and ``store.write_events``, as
the worker and the sink do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from connectors.base import Context
from connectors.ingest import ListPublisher, run
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.registry import connector_for
from engage.settings import REPO_ROOT, Settings
from events import (
    Envelope,
    Payload,
    ProtectiveMarking,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)
from projections import evidence, neighbourhood, read_models, store

HOT = "E36007168"
"""Kentish Town: where the scripted week happens."""
QUIET = "E36007174"
"""West Hampstead: nothing scripted, no OFFICIAL-SENSITIVE event."""
SPIKE = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
"""The hour of the hostile posts, after the synthetic files end (2026-03-04)."""
OVERRIDE = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
END = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
"""The last scripted event: the newest event time any view reflects."""
SCRIPT_TEXT = (
    "<script>window.pwned = 1</script> Crowd gathering by the station, they say it kicks off tonight"
)
EVIDENCE_TEXT = "Bottles thrown outside the station on Kentish Town Road, police nowhere"
ANALYST = "TT&CG analyst 4521"

EXAMPLES = (
    ("meetings", "data/meetings/meetings_synthetic.jsonl"),
    ("surveys", "data/surveys/camden_streetsafe_synthetic.csv"),
    ("social", "data/social/camden_posts_synthetic.jsonl"),
    ("police-uk-priorities", "data/police_uk/camden_E36007170_priorities_synthetic.json"),
    ("police-uk-events", "data/police_uk/camden_E36007170_events_synthetic.json"),
)


def load_neighbourhoods() -> Neighbourhoods:
    settings = Settings()
    return Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )


def example_events(neighbourhoods: Neighbourhoods) -> list[Envelope]:
    settings = Settings()
    assert settings.area_lookup_path is not None
    context = Context(
        neighbourhoods=neighbourhoods,
        recorded_time=datetime(2026, 3, 5, tzinfo=UTC),
        salt=b"test",
        areas=AreaLookup.load(settings.area_lookup_path, neighbourhoods),
    )
    publisher = ListPublisher()
    for source, path in EXAMPLES:
        run(connector_for(source), REPO_ROOT / path, context, publisher)
    return publisher.events


def _event(
    n: int, at: datetime, payload: Payload, marking: ProtectiveMarking = ProtectiveMarking.OFFICIAL
) -> Envelope:
    return Envelope(
        event_id=f"dashboard-scenario-{n}",
        event_type=payload.event_type,
        event_time=at,
        recorded_time=at + timedelta(minutes=10),
        source="scenario",
        neighbourhood_id=HOT,
        marking=marking,
        payload=payload,
    )


def scripted_events() -> list[Envelope]:
    events: list[Envelope] = []
    # Youth nuisance, never raised in Kentish Town before, in six surveys over the last days.
    for i in range(6):
        events.append(
            _event(
                len(events),
                SPIKE - timedelta(days=3, hours=i),
                SurveyResponseReceived(
                    survey_id="doorstep", respondent=f"p_w{i}", concerns=(Theme.YOUTH_NUISANCE,)
                ),
            )
        )
    # A quiet evening of posts a day before, then the burst.
    events.append(
        _event(
            len(events),
            SPIKE - timedelta(days=1),
            SocialSignalObserved(
                platform="x", author="p_calm", text="Lovely market today", theme=Theme.OTHER
            ),
        )
    )
    for i, text in enumerate(
        (SCRIPT_TEXT, EVIDENCE_TEXT, "Another fight by the station, it is getting ugly")
    ):
        events.append(
            _event(
                len(events),
                SPIKE + timedelta(minutes=5 + 10 * i),
                SocialSignalObserved(
                    platform="x",
                    author=f"p_h{i}",
                    text=text,
                    theme=Theme.PUBLIC_ORDER,
                    sentiment=-0.9,
                    hostility=0.9,
                ),
            )
        )
    events.append(
        _event(
            len(events),
            OVERRIDE,
            TensionAssessed(
                assessment="override", level=4, analyst=ANALYST, note="Disorder confirmed by the local team"
            ),
            ProtectiveMarking.OFFICIAL_SENSITIVE,
        )
    )
    events.append(
        _event(
            len(events),
            END,
            SurveyResponseReceived(
                survey_id="doorstep", respondent="p_last", concerns=(Theme.YOUTH_NUISANCE,)
            ),
        )
    )
    return events


def build(path: Path, neighbourhoods: Neighbourhoods) -> duckdb.DuckDBPyConnection:
    """The database at ``path``, open for writing (the caller closes it)."""
    # In event time, as a live system that took each file in as it happened would have folded them.
    events = sorted(example_events(neighbourhoods) + scripted_events(), key=lambda e: e.event_time)
    con = store.connect(path)
    read_models.write_views(con, list(neighbourhood.replay(events)))
    store.write_events(con, [evidence.row(e, 0, i) for i, e in enumerate(events)], "engage.events.v1", {})
    store.replace_neighbourhoods(con, neighbourhoods.all)
    return con
