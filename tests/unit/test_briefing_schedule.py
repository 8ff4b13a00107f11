"""The pack's schedule: a cron expression on London's clock, and the packs built as they fall due."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from engage.errors import ConfigurationError
from engage.settings import Settings
from projections import store
from projections.briefing import DEFAULT_CRON, Scheduler, due_runs, scheduler
from projections.briefing.schedule import previous_run
from tests.unit import briefing_db


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestDueRuns:
    """Which times the schedule fell due, given the last run and now."""

    def test_the_default_is_06_00_london_on_the_1st_and_15th(self) -> None:
        assert Settings().briefing_cron == DEFAULT_CRON == "0 6 1,15 * *"
        # 06:00 GMT in winter, 06:00 BST (05:00 UTC) in summer
        assert due_runs(DEFAULT_CRON, utc(2026, 1, 1, 6), utc(2026, 2, 20)) == [
            utc(2026, 1, 15, 6),
            utc(2026, 2, 1, 6),
            utc(2026, 2, 15, 6),
        ]
        assert due_runs(DEFAULT_CRON, utc(2026, 6, 1, 5), utc(2026, 6, 15, 5)) == [utc(2026, 6, 15, 5)]

    def test_nothing_is_due_before_the_next_time(self) -> None:
        assert due_runs(DEFAULT_CRON, utc(2026, 2, 15, 6), utc(2026, 2, 28, 23, 59)) == []
        assert due_runs(DEFAULT_CRON, utc(2026, 2, 15, 6), utc(2026, 3, 1, 5, 59)) == []
        assert due_runs(DEFAULT_CRON, utc(2026, 2, 15, 6), utc(2026, 3, 1, 6)) == [utc(2026, 3, 1, 6)]

    def test_a_first_run_builds_only_the_latest_due(self) -> None:
        assert due_runs(DEFAULT_CRON, None, utc(2026, 2, 20)) == [utc(2026, 2, 15, 6)]
        assert due_runs(DEFAULT_CRON, None, utc(2026, 2, 15, 6)) == [utc(2026, 2, 15, 6)]

    def test_across_the_clock_change_each_time_once(self) -> None:
        # the clocks go forward on 29 March 2026: 1 April 06:00 BST is 05:00 UTC
        assert due_runs(DEFAULT_CRON, utc(2026, 3, 15, 6), utc(2026, 4, 20)) == [
            utc(2026, 4, 1, 5),
            utc(2026, 4, 15, 5),
        ]
        # and back on 25 October: 1 November 06:00 GMT is 06:00 UTC
        assert due_runs(DEFAULT_CRON, utc(2026, 10, 15, 5), utc(2026, 11, 1, 6)) == [utc(2026, 11, 1, 6)]
        assert previous_run(DEFAULT_CRON, utc(2026, 4, 1, 5)) == utc(2026, 3, 15, 6)

    def test_a_weekly_cadence(self) -> None:
        runs = due_runs("0 7 * * 1", utc(2026, 2, 2, 7), utc(2026, 3, 2, 7))  # Mondays 07:00
        assert runs == [utc(2026, 2, 9, 7), utc(2026, 2, 16, 7), utc(2026, 2, 23, 7), utc(2026, 3, 2, 7)]

    def test_a_wrong_expression_says_what_to_give(self) -> None:
        with pytest.raises(ConfigurationError, match="five fields"):
            due_runs("every fortnight", None, utc(2026, 2, 20))
        with pytest.raises(ValidationError, match="cron expression"):
            Settings(briefing_cron="61 6 * * *")
        with pytest.raises(ConfigurationError, match="zone"):
            due_runs(DEFAULT_CRON, None, datetime(2026, 2, 20))

    def test_settings_place_the_packs_under_var(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        assert settings.briefing_root == tmp_path / "briefings"
        assert Settings(var_dir=tmp_path, briefing_dir=tmp_path / "x").briefing_root == tmp_path / "x"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schedule") / "engage.duckdb"
    briefing_db.build_database(path, briefing_db.load_neighbourhoods())
    return path


@pytest.fixture
def con(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(database, read_only=True)
    yield connection
    connection.close()


class TestScheduler:
    """run_pending builds each due pack once, into <briefing_dir>/<area>/<as_of>/."""

    def test_builds_what_is_due_once_and_the_next_when_it_falls_due(
        self, con: duckdb.DuckDBPyConnection, tmp_path: Path
    ) -> None:
        runner = Scheduler(con.cursor, tmp_path, areas={"north": ["Highgate", "Kilburn"]})
        made = runner.run_pending(utc(2026, 2, 10))
        assert [m.as_of for m in made] == [utc(2026, 2, 1, 6)]
        assert made[0].previous_as_of == utc(2026, 1, 15, 6)  # the schedule's time before
        assert (tmp_path / "north" / "20260201T060000Z" / "manifest.json").is_file()
        assert runner.run_pending(utc(2026, 2, 14)) == []  # built already: a restart repeats nothing
        later = runner.run_pending(utc(2026, 2, 15, 6, 1))
        assert [m.as_of for m in later] == [utc(2026, 2, 15, 6)]
        manifest = json.loads((tmp_path / "north" / "20260215T060000Z" / "manifest.json").read_text())
        assert manifest["previous_as_of"] == "2026-02-01T06:00:00Z"
        assert sorted(p.name for p in (tmp_path / "north").iterdir()) == [
            "20260201T060000Z",
            "20260215T060000Z",
        ]

    def test_a_half_built_pack_does_not_count(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        runner = Scheduler(con.cursor, tmp_path, areas={"west": ["Kilburn"]})
        runner.run_pending(utc(2026, 2, 2))
        # a crash left the next one without its manifest, and a partial build beside it
        (tmp_path / "west" / "20260215T060000Z").mkdir()
        (tmp_path / "west" / "20260215T060000Z.partial").mkdir()
        made = runner.run_pending(utc(2026, 2, 16))
        assert [m.as_of for m in made] == [utc(2026, 2, 15, 6)]
        assert not (tmp_path / "west" / "20260215T060000Z.partial").exists()
        assert (tmp_path / "west" / "20260215T060000Z" / "pack.pdf").is_file()

    def test_configured_from_the_settings(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        runner = scheduler(Settings(var_dir=tmp_path, briefing_cron="0 6 * * 1"), con.cursor)
        assert runner.briefing_dir == tmp_path / "briefings" and runner.cron == "0 6 * * 1"
        assert runner.due(utc(2026, 2, 10)) == [("all", utc(2026, 2, 9, 6))]
        assert runner.due(utc(2026, 2, 10)) == runner.due(utc(2026, 2, 10) + timedelta(hours=1))
