"""`engage priorities`, `engage tension` and `engage query` against the read-side API served by
uvicorn on a free local port, with the token the CLI finds; and the text tables they print."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
import uvicorn
from typer.testing import CliRunner

from engage import logs
from engage.cli import app as cli
from engage.settings import Settings
from engage.table import PRIORITIES, TENSION, Column, decimals, listed, render
from projections.api.access import Role, add_token, ensure_local_token
from projections.api.app import create_app
from tests.read_side_support import KILBURN, database


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The API on a free port, over the test database, with the tokens file a local `up` leaves."""
    var = tmp_path_factory.mktemp("cli-var")
    previous = structlog.get_config()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), cache_logger_on_first_use=False
    )
    con, _ = database(var / "engage.duckdb")
    settings = Settings(var_dir=var)
    ensure_local_token(settings)
    server = uvicorn.Server(
        uvicorn.Config(create_app(con, settings), host="127.0.0.1", port=0, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        yield port, var
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        con.close()
        structlog.configure(**previous)


@contextlib.contextmanager
def service_running(var: Path) -> Iterator[None]:
    """The CLI sends SQL to the service when the service's pid file names a live process."""
    pid_file = var / "run" / "service.pid"
    pid_file.parent.mkdir(exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    try:
        yield
    finally:
        pid_file.unlink()


@pytest.fixture
def engage(service: tuple[int, Path], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    port, var = service
    monkeypatch.setenv("ENGAGE_VAR_DIR", str(var))
    monkeypatch.setenv("ENGAGE_SERVICE_PORT", str(port))
    monkeypatch.delenv("ENGAGE_API_TOKEN", raising=False)
    monkeypatch.setattr(logs, "configure", lambda *args, **kwargs: None)
    return CliRunner()


def test_priorities_as_csv_when_piped_and_as_json_on_request(engage: CliRunner) -> None:
    piped = engage.invoke(cli, ["priorities", "Kilburn"])
    assert piped.exit_code == 0, piped.output
    rows = list(csv.DictReader(io.StringIO(piped.stdout)))
    assert rows and {r["neighbourhood_id"] for r in rows} == {KILBURN}
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    as_json = engage.invoke(cli, ["priorities", KILBURN, "--format", "json"])
    body = json.loads(as_json.stdout)
    assert body["view"] == "priorities" and [r["theme"] for r in body["rows"]] == [r["theme"] for r in rows]


def test_priorities_as_a_table(engage: CliRunner) -> None:
    result = engage.invoke(cli, ["priorities", "kilburn", "--format", "table"])
    assert result.exit_code == 0, result.output
    header, rule, first, *_ = result.stdout.splitlines()
    assert header.split() == [
        "neighbourhood",
        "rank",
        "theme",
        "score",
        "voices",
        "heard",
        "on",
        "crimes",
        "agreed",
    ]
    assert set(rule.replace(" ", "")) == {"-"}
    assert first.startswith("Kilburn") and " 1 " in first


def test_tension_for_an_area_as_of_a_time(engage: CliRunner) -> None:
    result = engage.invoke(
        cli,
        ["tension", "--area", "Kilburn,West Hampstead", "--as-of", "2026-03-02T00:30Z", "--format", "table"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2].startswith("Kilburn") and "critical" in lines[2]
    assert lines[3].startswith("West Hampstead")
    assert len(lines) == 4


def test_a_refusal_says_why(engage: CliRunner) -> None:
    result = engage.invoke(cli, ["tension", "--as-of", "last tuesday"])
    assert result.exit_code != 0
    assert "ISO 8601" in str(result.exception)


def test_a_partner_token_may_not_read_evidence_but_reads_tension(
    engage: CliRunner, service: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, var = service
    monkeypatch.setenv("ENGAGE_API_TOKEN", add_token(var / "api_tokens.yaml", "council", Role.PARTNER))
    as_partner = engage.invoke(cli, ["tension", "--format", "json"])
    assert as_partner.exit_code == 0, as_partner.output
    assert all("evidence_ids" not in row for row in json.loads(as_partner.stdout)["rows"])
    with service_running(var):
        refused = engage.invoke(cli, ["query", "select 1"])
    assert refused.exit_code != 0 and "analyst" in str(refused.exception)


def test_query_goes_through_the_service_with_the_local_token(
    engage: CliRunner, service: tuple[int, Path]
) -> None:
    _, var = service
    with service_running(var):
        result = engage.invoke(cli, ["query", "select count(*) as n from audit_log where role = 'analyst'"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "n"


class TestTable:
    TEXT = 'a,b,c,d\nx,1.23456,"[""meeting"", ""social""]",2026-03-02T00:30:00+00:00\nlonger name,10,[],\n'

    def test_columns_are_aligned_and_numbers_on_the_right(self) -> None:
        shown = render(
            self.TEXT,
            [
                Column("a", "name"),
                Column("b", "score", decimals(2), right=True),
                Column("c", "heard", listed),
            ],
        )
        assert shown.splitlines() == [
            "name         score  heard",
            "-----------  -----  ---------------",
            "x             1.23  meeting, social",
            "longer name  10.00",
        ]

    def test_an_empty_answer_and_missing_columns(self) -> None:
        assert render("a,b\n", PRIORITIES) == "(no rows)\n"
        assert render("name,level\nKilburn,5\n", TENSION).splitlines()[2].split() == ["Kilburn", "5"]
