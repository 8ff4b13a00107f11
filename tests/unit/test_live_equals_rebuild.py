"""Live equals rebuild: the worker's batched, redelivering, duplicate-ridden path gives the same tables
as one replay of the log.

The live side here is the worker's algorithm without faust: events are read per partition in
batches of any size, the worker crashes after some batches and reads again from the last committed
offset (its tables kept what was written), records are re-sent under new offsets, and the sink
takes the views in chunks of any size, some twice. The rebuild side is ``neighbourhood.replay`` over
the log. Both are written by ``read_models.write_views`` into DuckDB and compared table by table.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import (
    ActionRecorded,
    CrimeRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    PrioritySet,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)
from events.envelope import GroupCount, IssueRaised
from projections import erasure, neighbourhood, read_models
from projections.neighbourhood import HistoryErased, NeighbourhoodState, NeighbourhoodView
from tests.conftest import T0

NEIGHBOURHOODS = ("N1", "N2", "N3")
PARTITION = {"N1": 0, "N2": 1, "N3": 0}
THEMES = (Theme.DRUGS, Theme.HATE, Theme.NOISE, Theme.VIOLENCE, Theme.ENVIRONMENT)

themes = st.sampled_from(THEMES)
payloads: st.SearchStrategy[Payload] = st.one_of(
    st.builds(
        SocialSignalObserved,
        platform=st.just("x"),
        author=st.sampled_from([None, "p_a", "p_b", "p_c"]),
        theme=themes,
        sentiment=st.floats(-1, 1),
        hostility=st.floats(0, 1),
        rumour=st.floats(0, 1),
    ),
    st.builds(
        SurveyResponseReceived,
        survey_id=st.just("s1"),
        respondent=st.sampled_from([None, "p_r1", "p_r2"]),
        concerns=st.lists(themes, max_size=2).map(tuple),
        respondent_groups=st.lists(st.sampled_from(["young_people", "older_people"]), max_size=1).map(tuple),
    ),
    st.builds(PartnerCallLogged, partner=st.just("council"), theme=themes, count=st.integers(1, 4)),
    st.builds(
        MeetingHeld,
        meeting_kind=st.sampled_from(["pact", "beat", "street"]),
        attendance=st.integers(0, 30) | st.none(),
        attendee_groups=st.lists(
            st.builds(GroupCount, group=st.sampled_from(["young_people", "faith"]), count=st.integers(0, 5)),
            max_size=2,
        ).map(tuple),
        issues_raised=st.lists(st.builds(IssueRaised, theme=themes, votes=st.integers(0, 9)), max_size=2).map(
            tuple
        ),
        priorities_agreed=st.lists(themes, max_size=2).map(tuple),
    ),
    st.builds(PrioritySet, theme=themes),
    st.builds(
        ActionRecorded,
        theme=themes,
        outcome=st.sampled_from(["completed", "in_progress", "no_action"]),
        reported_back=st.booleans(),
    ),
    st.builds(CrimeRecorded, crime_type=st.just("Drugs"), theme=themes),
    st.one_of(
        st.builds(
            TensionAssessed, assessment=st.just("override"), level=st.integers(1, 5), analyst=st.just("a1")
        ),
        st.builds(TensionAssessed, assessment=st.sampled_from(["confirm", "clear"]), analyst=st.just("a1")),
    ),
)


@st.composite
def logs(draw: st.DrawFn) -> list[Envelope]:
    """A log of events, mostly in time order with jitter, some re-sent later under the same id."""
    count = draw(st.integers(1, 60))
    minutes = 0
    events: list[Envelope] = []
    for index in range(count):
        minutes += draw(st.integers(0, 400))
        jitter = draw(st.integers(-180, 0))
        payload = draw(payloads)
        events.append(
            Envelope(
                event_id=f"e{index}",
                event_type=payload.event_type,
                event_time=T0 + timedelta(minutes=max(0, minutes + jitter)),
                recorded_time=T0 + timedelta(days=30, minutes=index),
                source="test",
                neighbourhood_id=draw(st.sampled_from(NEIGHBOURHOODS)),
                payload=payload,
            )
        )
    resent = draw(st.lists(st.integers(0, count - 1), max_size=count // 3))
    return events + [events[i] for i in resent]


def live(log: list[Envelope], data: st.DataObject) -> list[NeighbourhoodView | HistoryErased]:
    """The worker's path: batches, dedupe by id, withdrawals, and crashes.

    Table writes of a batch are kept, but its sends are in flight until the producer is flushed,
    which happens before every commit; a crash loses what is in flight and reads again from the
    committed offsets.
    """
    partitions: dict[int, list[Envelope]] = {}
    for event in log:
        partitions.setdefault(PARTITION[event.neighbourhood_id], []).append(event)
    states: dict[str, NeighbourhoodState] = {}
    seen: dict[str, tuple[int, int]] = {}
    committed = {p: 0 for p in partitions}
    position = dict(committed)
    delivered: list[NeighbourhoodView | HistoryErased] = []
    in_flight: list[NeighbourhoodView | HistoryErased] = []
    while any(position[p] < len(events) for p, events in partitions.items()):
        p = data.draw(st.sampled_from([p for p, events in partitions.items() if position[p] < len(events)]))
        size = data.draw(st.integers(1, 8))
        batch = [
            (p, o, partitions[p][o]) for o in range(position[p], min(position[p] + size, len(partitions[p])))
        ]
        # One neighbourhood at a time, each in log order, as the worker folds a batch (by_neighbourhood).
        first: dict[str, int] = {}
        for _, _, event in batch:
            first.setdefault(event.neighbourhood_id, len(first))
        batch.sort(key=lambda item: first[item[2].neighbourhood_id])
        touched: dict[str, NeighbourhoodState] = {}
        refolded: dict[str, erasure.Refolded] = {}
        for partition, offset, event in batch:
            claimed = seen.get(event.event_id)
            if claimed is not None and claimed != (partition, offset):
                continue
            nid = event.neighbourhood_id
            current = touched.get(nid, states.get(nid))
            if erasure.is_tombstone(event):
                # As the worker does: the neighbourhood's log before the tombstone, folded again.
                history = [
                    (o, e) for o, e in enumerate(partitions[partition][:offset]) if e.neighbourhood_id == nid
                ]
                again = erasure.refold(event, current, history, partition, offset, committed[partition])
                touched[nid], refolded[nid] = again.state, again
                seen.setdefault(event.event_id, (partition, offset))
                continue
            if current is not None and event.event_id in current.withdrawn:
                seen.setdefault(event.event_id, (partition, offset))
                continue
            stepped = neighbourhood.apply_at(current, event, partition, offset, committed[partition])
            if stepped is not None:
                touched[nid] = stepped[0]
            elif current is not None:
                touched[nid] = current  # a redelivery: its state is sent again
            seen.setdefault(event.event_id, (partition, offset))
        for nid, state in touched.items():
            states[nid], views = neighbourhood.to_send(state, committed[p])
            if nid in refolded:
                in_flight.extend(refolded[nid].announced())
            in_flight.extend(views)
        position[p] = max(offset for _, offset, _ in batch) + 1
        if data.draw(st.booleans()):
            delivered.extend(in_flight)  # faust flushes the producer, then commits
            in_flight.clear()
            committed[p] = position[p]
        elif data.draw(st.integers(0, 4)) == 0:
            if data.draw(st.booleans()):
                in_flight.clear()  # a crash before the sends reached the broker
            delivered.extend(in_flight)
            in_flight.clear()
            position = dict(committed)  # read again from the committed offsets
    return delivered + in_flight


def tables(
    views: list[NeighbourhoodView | HistoryErased], chunks: list[int]
) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(read_models.ddl())
    start = 0
    for size in chunks:
        read_models.write_views(con, views[start : start + size])
        start += size
    read_models.write_views(con, views[start:])
    return {t: con.execute(f"select * from {t} order by all").fetchall() for t in read_models.REBUILT}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)
@given(log=logs(), data=st.data())
def test_live_views_give_the_tables_a_rebuild_gives(log: list[Envelope], data: st.DataObject) -> None:
    emitted = live(log, data)
    again = data.draw(st.lists(st.sampled_from(emitted), max_size=5)) if emitted else []
    chunks = data.draw(st.lists(st.integers(1, 10), max_size=10))
    rebuilt = tables(list(neighbourhood.replay(log)), [10_000])
    assert tables(emitted + again, chunks) == rebuilt
    assert rebuilt["projection_versions"], "a non-empty log gives every neighbourhood a version"


def test_an_older_view_never_replaces_a_newer_one() -> None:
    log = [
        Envelope(
            event_id=f"e{i}",
            event_type=p.event_type,
            event_time=T0 + timedelta(hours=i),
            recorded_time=T0,
            source="test",
            neighbourhood_id="N1",
            payload=p,
        )
        for i, p in enumerate([PartnerCallLogged(partner="c", theme=Theme.DRUGS)] * 3)
    ]
    views = list(neighbourhood.replay(log))
    newest_first = tables(list(reversed(views)), [1, 1, 1])
    assert newest_first == tables(views, [10])
    assert newest_first["priority_current"][0][-2] == 3  # version
