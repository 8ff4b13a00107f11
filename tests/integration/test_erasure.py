"""A partner withdraws a record, on the real stack: the tombstone goes through Kafka and the Faust
worker, and the record leaves every projection, the evidence and DuckDB; a rebuild from the log
agrees, and the record sent again after its tombstone stays out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage import processes
from engage.settings import Settings
from events import PartnerCallLogged, RecordWithdrawn, Theme
from tests.integration.conftest import query, rebuild, send, snapshot
from tests.integration.test_intelligence import START, Scenario, post

pytestmark = pytest.mark.integration


def test_a_withdrawn_record_leaves_every_projection_the_evidence_and_duckdb(stack: Settings) -> None:
    s = Scenario()
    hood = s.hood("W")
    posts = [s.event("W", START + timedelta(hours=i), post(f"p_a{i}", Theme.NOISE)) for i in range(6)]
    # The record to withdraw: the neighbourhood's only drugs report, in an hour of its own.
    report = s.event(
        "W",
        START + timedelta(hours=2, minutes=30),
        PartnerCallLogged(partner="council", theme=Theme.DRUGS, description="report about a flat"),
    )
    send(stack, [*posts[:3], report, *posts[3:]])
    processes.wait(stack, timeout=120)

    def themes() -> set[str]:
        rows = query(stack, f"select theme from priority_current where neighbourhood_id = '{hood}'")
        return {r["theme"] for r in rows}

    def history_themes() -> set[str]:
        rows = query(stack, f"select distinct theme from priority_history where neighbourhood_id = '{hood}'")
        return {r["theme"] for r in rows}

    def evidence() -> set[str]:
        return {
            r["event_id"]
            for r in query(stack, f"select event_id from events where neighbourhood_id = '{hood}'")
        }

    def partner_calls() -> int:
        rows = query(
            stack,
            "select events from activity_current "
            f"where neighbourhood_id = '{hood}' and channel = 'partner_call'",
        )
        return int(rows[0]["events"]) if rows else -1

    assert themes() == {"noise", "drugs"} and "drugs" in history_themes()
    assert report.event_id in evidence() and partner_calls() == 1

    withdrawal = s.event(
        "W",
        START + timedelta(days=1),
        RecordWithdrawn(withdrawn_event_id=report.event_id, reason="sent_in_error", requested_by="council"),
    )
    send(stack, [withdrawal])
    processes.wait(stack, timeout=120)
    assert themes() == {"noise"}
    assert history_themes() == {"noise"}, "a past period's view of record still counts the withdrawn record"
    assert report.event_id not in evidence() and withdrawal.event_id in evidence()
    assert partner_calls() == 0
    recorded = query(
        stack, f"select withdrawn_event_id, reason from withdrawals where neighbourhood_id = '{hood}'"
    )
    assert recorded == [{"withdrawn_event_id": report.event_id, "reason": "sent_in_error"}]

    # The partner's system sends the record again (a retry after the withdrawal): it stays out.
    send(stack, [report])
    processes.wait(stack, timeout=120)
    assert themes() == {"noise"} and report.event_id not in evidence() and partner_calls() == 0

    # Live equals a rebuild from the log, tombstone included.
    def mine(tables: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
        return {t: [r for r in rows if r.get("neighbourhood_id") == hood] for t, rows in tables.items()}

    live = mine(snapshot(stack))
    summary = rebuild(stack)
    assert int(str(summary["withdrawals"])) >= 1
    assert mine(snapshot(stack)) == live
    assert live["priority_current"], "the neighbourhood's other records are still there"
