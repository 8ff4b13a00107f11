"""The DuckDB read side on a real file: rows and offsets commit together, and queries only read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from engage.errors import QueryRejected
from events import Channel, PartnerCallLogged, Theme
from projections import store
from projections.activity import ActivityRow
from projections.evidence import row as evidence_row

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPIC = "t"


def row(n: str, events: int, offset: int) -> ActivityRow:
    return ActivityRow(
        neighbourhood_id=n,
        channel=Channel.SOCIAL,
        events=events,
        first_event_time=T0,
        last_event_time=T0,
        source_partition=0,
        applied_offset=offset,
    )


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return store.connect(tmp_path / "engage.duckdb")


class TestWrite:
    def test_the_newest_state_of_each_row_wins_within_and_across_batches(
        self, con: duckdb.DuckDBPyConnection
    ) -> None:
        store.write_activity(con, [row("A", 1, 0), row("A", 2, 1), row("B", 1, 2)], TOPIC, {0: 3})
        store.write_activity(con, [row("A", 3, 3)], TOPIC, {0: 4})
        assert con.execute("select neighbourhood_id, events from activity_current order by 1").fetchall() == [
            ("A", 3),
            ("B", 1),
        ]
        assert store.positions(con, TOPIC) == {0: 4}

    def test_a_failed_batch_writes_neither_rows_nor_offsets(self, con: duckdb.DuckDBPyConnection) -> None:
        store.write_activity(con, [row("A", 1, 0)], TOPIC, {0: 1})
        # Sabotage the offsets insert so the transaction fails half way.
        con.execute("drop table sink_offsets")
        con.execute(
            'create table sink_offsets (topic varchar, "partition" integer,'
            " next_offset bigint check (next_offset < 0), updated_at timestamptz)"
        )
        with pytest.raises(duckdb.Error):
            store.write_activity(con, [row("A", 9, 5)], TOPIC, {0: 6})
        assert con.execute("select events from activity_current").fetchall() == [(1,)]

    def test_the_file_survives_a_reopen(self, tmp_path: Path) -> None:
        path = tmp_path / "db.duckdb"
        first = store.connect(path)
        store.write_activity(first, [row("A", 5, 4)], TOPIC, {0: 5})
        first.close()
        again = store.connect(path, read_only=True)
        assert store.positions(again, TOPIC) == {0: 5}
        assert again.execute("select events from activity_current").fetchone() == (5,)


class TestQuery:
    def test_a_select_answers_as_plain_csv(self, con: duckdb.DuckDBPyConnection) -> None:
        store.write_activity(con, [row("A, the first", 2, 0)], TOPIC, {0: 1})
        answer = store.query_csv(
            con, "select neighbourhood_id, events, last_event_time from activity_current"
        )
        assert (
            answer == 'neighbourhood_id,events,last_event_time\n"A, the first",2,2026-01-01T00:00:00+00:00\n'
        )

    @pytest.mark.parametrize(
        "sql",
        [
            "delete from activity_current",
            "drop table sink_offsets",
            "select 1; insert into neighbourhoods values ('x','y')",
            "copy activity_current to 'x.csv'",
            "attach 'other.db'",
            "",
        ],
    )
    def test_anything_but_a_read_is_refused(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        with pytest.raises(QueryRejected):
            store.query_csv(con, sql)

    def test_a_broken_query_says_why(self, con: duckdb.DuckDBPyConnection) -> None:
        with pytest.raises(QueryRejected, match="no_such_table"):
            store.query_csv(con, "select * from no_such_table")


def test_the_evidence_store_keeps_each_event_once(tmp_path: Path) -> None:
    from tests.conftest import envelope

    con = store.connect(tmp_path / "e.duckdb")
    event = envelope(
        PartnerCallLogged(partner="council", theme=Theme.DRUGS, description="needles"), "N1", "e1"
    )
    store.write_events(con, [evidence_row(event, 0, 5), evidence_row(event, 1, 9)], "t", {0: 6, 1: 10})
    store.write_events(con, [evidence_row(event, 0, 5)], "t", {0: 6})
    assert con.execute("select event_id, text, theme, source_offset from events").fetchall() == [
        ("e1", "needles", "drugs", 5)
    ]
    assert store.positions(con, "t") == {0: 6, 1: 10}
