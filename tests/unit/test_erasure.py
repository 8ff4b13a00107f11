"""A record's withdrawal (``RecordWithdrawn``) on the worker's path, without faust: every projection
ends as if the record had never been sent, live equals rebuilt through crashes and redeliveries, and
the evidence store forgets the record, also when it comes again after its tombstone."""

from __future__ import annotations

from datetime import timedelta

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Envelope, EventType, PartnerCallLogged, RecordWithdrawn, Theme
from projections import activity, erasure, neighbourhood, read_models, store
from projections.evidence import row as evidence_row
from projections.evidence import withdrawal_row
from projections.neighbourhood import HistoryErased, NeighbourhoodState, NeighbourhoodView, TensionAlert
from tests.conftest import T0
from tests.unit.test_live_equals_rebuild import PARTITION, live, logs, tables

HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)


def tombstone(withdrawn_id: str, nid: str, index: int) -> Envelope:
    return Envelope(
        event_id=f"w{index}",
        event_type=EventType.RECORD_WITHDRAWN,
        event_time=T0 + timedelta(days=60, minutes=index),
        recorded_time=T0 + timedelta(days=60, minutes=index),
        source="test",
        neighbourhood_id=nid,
        payload=RecordWithdrawn(
            withdrawn_event_id=withdrawn_id, reason="withdrawn_by_partner", requested_by="council"
        ),
    )


@st.composite
def withdrawing_logs(draw: st.DrawFn) -> list[Envelope]:
    """A log with tombstones: mostly after the record they withdraw, some before it (the record then
    arrives after its tombstone), and some naming a record that was never sent."""
    log = draw(logs())
    originals = list({e.event_id: e for e in log}.values())
    targets = draw(
        st.lists(st.sampled_from(originals), min_size=1, max_size=4, unique_by=lambda e: e.event_id)
    )
    for index, target in enumerate(targets):
        at = draw(st.integers(0, len(log)))
        log.insert(at, tombstone(target.event_id, target.neighbourhood_id, index))
    if draw(st.booleans()):
        log.insert(draw(st.integers(0, len(log))), tombstone("never-sent", "N1", 99))
    return log


def partitions_of(log: list[Envelope]) -> dict[int, list[Envelope]]:
    found: dict[int, list[Envelope]] = {}
    for event in log:
        found.setdefault(PARTITION[event.neighbourhood_id], []).append(event)
    return found


def rebuilt(log: list[Envelope]) -> list[NeighbourhoodView | HistoryErased]:
    """The rebuild's path: one replay, each tombstone folding its neighbourhood again from the log."""
    partitions = partitions_of(log)
    first: dict[str, tuple[int, int]] = {}
    for p, events in partitions.items():
        for offset, event in enumerate(events):
            first.setdefault(event.event_id, (p, offset))

    def withdraw(
        event: Envelope, state: NeighbourhoodState | None
    ) -> tuple[NeighbourhoodState, tuple[HistoryErased | NeighbourhoodView, ...]]:
        p, offset = first[event.event_id]
        history = [
            (o, e)
            for o, e in enumerate(partitions[p][:offset])
            if e.neighbourhood_id == event.neighbourhood_id
        ]
        again = erasure.refold(event, state, history, p, offset, committed=offset)
        return again.state, again.announced()

    return list(neighbourhood.replay(log, withdraw=withdraw))


def never_sent(log: list[Envelope]) -> list[Envelope]:
    """The log as if the withdrawn records, and their tombstones, had never been sent."""
    gone = {e.payload.withdrawn_event_id for e in log if isinstance(e.payload, RecordWithdrawn)}
    return [e for e in log if not erasure.is_tombstone(e) and e.event_id not in gone]


def partner_calls(themes: list[Theme]) -> list[Envelope]:
    """One council report an hour in N1, on each theme in turn."""
    return [
        Envelope(
            event_id=f"c{i}",
            event_type=EventType.PARTNER_CALL_LOGGED,
            event_time=T0 + timedelta(hours=i),
            recorded_time=T0,
            source="test",
            neighbourhood_id="N1",
            payload=PartnerCallLogged(partner="council", theme=theme),
        )
        for i, theme in enumerate(themes)
    ]


@HYPOTHESIS
@given(log=withdrawing_logs(), data=st.data())
def test_live_withdrawals_give_the_tables_a_rebuild_gives(log: list[Envelope], data: st.DataObject) -> None:
    emitted = live(log, data)
    chunks = data.draw(st.lists(st.integers(1, 10), max_size=10))
    assert tables(emitted, chunks) == tables(rebuilt(log), [10_000])


@HYPOTHESIS
@given(log=withdrawing_logs())
def test_a_withdrawn_record_leaves_the_tables_as_if_never_sent(log: list[Envelope]) -> None:
    assert tables(rebuilt(log), [10_000]) == tables(list(neighbourhood.replay(never_sent(log))), [10_000])


def test_the_check_can_fail_a_withdrawal_that_changed_nothing_is_seen() -> None:
    calls = partner_calls([Theme.DRUGS, Theme.NOISE, Theme.DRUGS])
    log = [*calls, tombstone("c1", "N1", 0)]
    with_noise = tables(list(neighbourhood.replay(calls)), [10_000])
    without = tables(rebuilt(log), [10_000])
    assert with_noise != without
    themes = {row[1] for row in without["priority_current"]}
    assert themes == {"drugs"}


@HYPOTHESIS
@given(log=withdrawing_logs())
def test_activity_folded_again_counts_only_what_was_not_withdrawn(log: list[Envelope]) -> None:
    partitions = partitions_of(log)
    for p, events in partitions.items():
        for offset, event in enumerate(events):
            if not erasure.is_tombstone(event):
                continue
            nid = event.neighbourhood_id
            history = [(o, e) for o, e in enumerate(events[:offset]) if e.neighbourhood_id == nid]
            again = erasure.refold(event, None, history, p, offset, committed=0)
            kept = [
                e
                for _, e in history
                if e.event_id not in again.state.withdrawn and not erasure.is_tombstone(e)
            ]
            expected = activity.fold(list({e.event_id: e for e in reversed(kept)}.values()))
            counted = {k: t.row.events for k, t in again.activity.items() if t.row.events}
            assert counted == {k: r.events for k, r in expected.items()}


def test_the_evidence_store_forgets_a_withdrawn_record_in_either_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    call = Envelope(
        event_id="c1",
        event_type=EventType.PARTNER_CALL_LOGGED,
        event_time=T0,
        recorded_time=T0,
        source="test",
        neighbourhood_id="N1",
        payload=PartnerCallLogged(partner="council", theme=Theme.DRUGS, description="a report"),
    )
    other = call.model_copy(update={"event_id": "c2"})
    gone = tombstone("c1", "N1", 0)
    withdrawal = withdrawal_row(gone)
    assert withdrawal is not None and withdrawal_row(call) is None
    for order in ([call, other, gone], [gone, call, other], [call, gone, call]):
        con = store.connect(tmp_path / f"{len(list(tmp_path.iterdir()))}.duckdb")
        for offset, event in enumerate(order):  # one batch per event: the worst interleaving
            found = withdrawal_row(event)
            store.write_events(
                con,
                [evidence_row(event, 0, offset)],
                "engage.events.v1",
                {0: offset + 1},
                [found] if found else [],
            )
        kept = {r[0] for r in con.execute("select event_id from events").fetchall()}
        assert "c1" not in kept
        assert "w0" in kept  # the tombstone stays: who asked, and why
        assert con.execute("select withdrawn_event_id, requested_by from withdrawals").fetchall() == [
            ("c1", "council")
        ]
        con.close()


def test_the_withdrawn_id_is_struck_from_the_alerts_evidence() -> None:
    calls = partner_calls([Theme.DRUGS, Theme.DRUGS])
    head = list(neighbourhood.replay(calls))[-1]
    assert isinstance(head, NeighbourhoodView)
    alert = TensionAlert(
        neighbourhood_id="N1",
        raised_at=T0,
        from_level=1,
        to_level=2,
        label="elevated",
        cause="model",
        score=4.0,
        evidence_ids=("c0", "c1"),
        version=head.version,
    )
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(read_models.ddl())
    read_models.write_views(con, [head.model_copy(update={"alerts": (alert,)})])
    read_models.write_views(con, [HistoryErased(neighbourhood_id="N1", withdrawn_event_ids=("c1",))])
    assert con.execute("select evidence_ids from tension_alerts").fetchall() == [(["c0"],)]
    assert con.execute("select count(*) from priority_current").fetchall() == [(0,)]
