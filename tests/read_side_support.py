"""A read-side database as the sink leaves it, built without Kafka: the example files of every
engagement connector, plus a scenario (a hostile burst in Kilburn, an analyst's override with a
note, a priority and a refusal to act with their reasons), folded by the same functions the worker
calls and written by the same functions the sink calls."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from connectors.base import Context
from connectors.ingest import ListPublisher, run
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.registry import connector_for
from engage.settings import REPO_ROOT, Settings
from events import (
    ActionRecorded,
    Envelope,
    PartnerCallLogged,
    Payload,
    PrioritySet,
    ProtectiveMarking,
    SocialSignalObserved,
    TensionAssessed,
    Theme,
    topics,
)
from projections import evidence, neighbourhood, read_models, store
from projections.api.access import Principal, Role, StaticTokens

ANALYST_TOKEN = "analyst-token-for-tests"
PARTNER_TOKEN = "partner-token-for-tests"
PUBLIC_TOKEN = "public-token-for-tests"
TOKENS = StaticTokens(
    {
        ANALYST_TOKEN: Principal("ttcg-analyst-1", Role.ANALYST),
        PARTNER_TOKEN: Principal("camden-council", Role.PARTNER),
        PUBLIC_TOKEN: Principal("open-data-portal", Role.PUBLIC),
    }
)
HEADERS = {
    "analyst": {"Authorization": f"Bearer {ANALYST_TOKEN}"},
    "partner": {"Authorization": f"Bearer {PARTNER_TOKEN}"},
    "public": {},
}

KILBURN = "E36007169"
WEST_HAMPSTEAD = "E36007174"
BURST = datetime(2026, 3, 2, 0, 5, tzinfo=UTC)
"""When the hostile burst in Kilburn starts (after every example file's events)."""
OVERRIDE_NOTE = "Override after the ward panel: residents' leaders report calm since Tuesday"
PRIORITY_ISSUE = "Dealing from the flats stairwell on Kilburn High Road"
NO_ACTION_REASON = "Outside police powers: referred to the housing association"
SENSITIVE_TEXT = "Informant says a reprisal is planned at the Kilburn estate"

EXAMPLES = (
    ("meetings", REPO_ROOT / "data" / "meetings" / "meetings_synthetic.jsonl"),
    ("social", REPO_ROOT / "data" / "social" / "camden_posts_synthetic.jsonl"),
    ("surveys", REPO_ROOT / "data" / "surveys" / "camden_streetsafe_synthetic.csv"),
    ("police-uk-priorities", REPO_ROOT / "data" / "police_uk" / "camden_E36007170_priorities_synthetic.json"),
    ("police-uk-events", REPO_ROOT / "data" / "police_uk" / "camden_E36007170_events_synthetic.json"),
    ("open311", REPO_ROOT / "data" / "partners" / "open311" / "example_requests.json"),
)


@dataclass(frozen=True)
class Built:
    events: list[Envelope]
    texts: list[str]
    """Every piece of the events' free text (as the evidence store keeps it), non-empty ones only."""


def _event(n: int, hood: str, at: datetime, payload: Payload, marking: ProtectiveMarking) -> Envelope:
    return Envelope(
        event_id=f"scenario-{n}",
        event_type=payload.event_type,
        event_time=at,
        recorded_time=at + timedelta(minutes=5),
        source="scenario",
        neighbourhood_id=hood,
        marking=marking,
        payload=payload,
    )


def scenario() -> list[Envelope]:
    made: list[tuple[str, datetime, Payload, ProtectiveMarking]] = []
    official = ProtectiveMarking.OFFICIAL
    start = BURST - timedelta(hours=24)
    for hour in range(24):
        at = start + timedelta(hours=hour, minutes=10)
        for hood in (KILBURN, WEST_HAMPSTEAD):
            post = SocialSignalObserved(
                platform="x", author=f"p_{hood}{hour}", theme=Theme.OTHER, sentiment=-0.2, text="Quiet night"
            )
            made.append((hood, at, post, official))
    for i in range(30):
        post = SocialSignalObserved(
            platform="x",
            author=f"p_h{i % 9}",
            theme=Theme.HATE,
            sentiment=-0.9,
            hostility=0.9,
            text=f"Hostile post number {i} about the Kilburn estate",
        )
        made.append((KILBURN, BURST + timedelta(minutes=i), post, official))
    for i in range(3):
        call = PartnerCallLogged(
            partner="housing", theme=Theme.HATE, description=f"Graffiti reported, call {i}"
        )
        made.append((KILBURN, BURST + timedelta(minutes=20 + i), call, official))
    secret = SocialSignalObserved(platform="x", theme=Theme.VIOLENCE, sentiment=-0.5, text=SENSITIVE_TEXT)
    made.append((KILBURN, BURST + timedelta(minutes=40), secret, ProtectiveMarking.OFFICIAL_SENSITIVE))
    override = TensionAssessed(assessment="override", level=2, analyst="ttcg-analyst-1", note=OVERRIDE_NOTE)
    made.append((KILBURN, BURST + timedelta(minutes=50), override, official))
    made.append(
        (KILBURN, BURST + timedelta(hours=2), PrioritySet(theme=Theme.DRUGS, issue=PRIORITY_ISSUE), official)
    )
    refusal = ActionRecorded(
        theme=Theme.DRUGS, outcome="no_action", reason=NO_ACTION_REASON, issue_time=BURST + timedelta(hours=2)
    )
    made.append((KILBURN, BURST + timedelta(days=3), refusal, official))
    return [_event(n, hood, at, payload, marking) for n, (hood, at, payload, marking) in enumerate(made)]


def alerted(events: list[Envelope]) -> list[neighbourhood.NeighbourhoodView]:
    """Each neighbourhood's newest view with its alerts, as the worker raises them."""
    states: dict[str, neighbourhood.NeighbourhoodState] = {}
    for event in events:
        states[event.neighbourhood_id], _ = neighbourhood.step(states.get(event.neighbourhood_id), event)
    return [neighbourhood.with_alerts(state, neighbourhood.view(state))[1] for state in states.values()]


def build(con: duckdb.DuckDBPyConnection) -> Built:
    """Fill ``con`` (from ``store.connect``) as the sink would after every event had gone through."""
    settings = Settings()
    hoods = Neighbourhoods.load(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    assert settings.area_lookup_path is not None
    context = Context(
        neighbourhoods=hoods,
        recorded_time=datetime(2026, 1, 5, tzinfo=UTC),
        salt=b"test",
        areas=AreaLookup.load(settings.area_lookup_path, hoods),
        neighbourhood=None,
    )
    events: list[Envelope] = []
    for source, path in EXAMPLES:
        publisher = ListPublisher()
        neighbourhood_of = "E36007170" if source.startswith("police-uk") else None
        run(connector_for(source), path, replace(context, neighbourhood=neighbourhood_of), publisher)
        events += publisher.events
    events += scenario()
    events.sort(key=lambda e: e.event_time)
    read_models.write_views(con, list(neighbourhood.replay(events)))
    read_models.write_views(con, alerted(events))
    store.write_events(con, [evidence.row(e, 0, i) for i, e in enumerate(events)], topics.EVENTS, {})
    store.replace_neighbourhoods(con, hoods.all)
    texts = [line for e in events for line in evidence.free_text(e).split("\n") if line.strip()]
    return Built(events, texts)


def database(path: Path) -> tuple[duckdb.DuckDBPyConnection, Built]:
    con = store.connect(path)
    return con, build(con)
