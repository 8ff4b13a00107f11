"""The read side's HTTP API over a real DuckDB file filled as the sink fills it: roles, as-of answers
from the history tables, the three formats, refusals that say what to do, and the audit log."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from engage.settings import REPO_ROOT, Settings
from events import ProtectiveMarking
from projections.api import models, views
from projections.api.app import create_app, openapi_document
from projections.api.policy import FREE_TEXT_COLUMNS, POLICY, View
from tests.read_side_support import (
    BURST,
    HEADERS,
    KILBURN,
    NO_ACTION_REASON,
    OVERRIDE_NOTE,
    PRIORITY_ISSUE,
    SENSITIVE_TEXT,
    TOKENS,
    WEST_HAMPSTEAD,
    Built,
    database,
)


@dataclass
class Served:
    client: TestClient
    app: FastAPI
    con: duckdb.DuckDBPyConnection
    built: Built

    def get(self, path: str, role: str = "analyst", **params: str) -> Any:
        response = self.client.get(path, params=params, headers=HEADERS[role])
        assert response.status_code == 200, response.text
        return response.json()

    def rows(self, path: str, role: str = "analyst", **params: str) -> list[dict[str, Any]]:
        body = self.get(path, role, **params)
        assert isinstance(body, dict)
        rows = body["rows"]
        assert isinstance(rows, list)
        return rows

    def audit(self) -> list[dict[str, object]]:
        self.app.state.audit.flush()
        cursor = self.con.cursor()
        result = cursor.execute("select * from audit_log order by requested_at")
        names = [d[0] for d in result.description or ()]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("read-api")
    previous = structlog.get_config()
    # Not cached: a test below reads the log lines (capture_logs needs loggers built afresh).
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), cache_logger_on_first_use=False
    )
    con, built = database(folder / "engage.duckdb")
    try:
        app = create_app(con, Settings(var_dir=folder), tokens=TOKENS)
        with TestClient(app) as client:
            yield Served(client, app, con, built)
    finally:
        con.close()
        structlog.configure(**previous)


PUBLIC_VIEWS = ("neighbourhoods", "priorities", "coverage", "feedback")
PARTNER_VIEWS = ("tension", "alerts", "neighbourhoods/Kilburn/tension")
ANALYST_ONLY = ("evidence",)


class TestRoles:
    @pytest.mark.parametrize("view", PUBLIC_VIEWS)
    def test_everyone_reads_the_aggregate_views(self, served: Served, view: str) -> None:
        for role in ("public", "partner", "analyst"):
            response = served.client.get(f"/api/v1/{view}", headers=HEADERS[role])
            assert response.status_code == 200, (role, response.text)
            assert response.headers["X-Protective-Marking"] == "OFFICIAL"

    @pytest.mark.parametrize("view", PARTNER_VIEWS)
    def test_the_public_may_not_read_tension_and_partners_read_it_without_evidence(
        self, served: Served, view: str
    ) -> None:
        refused = served.client.get(f"/api/v1/{view}")
        assert refused.status_code == 403
        assert "partner" in refused.json()["error"] and "token" in refused.json()["error"]
        partner = served.get(f"/api/v1/{view}", "partner")
        analyst = served.get(f"/api/v1/{view}", "analyst")
        assert isinstance(partner, dict) and isinstance(analyst, dict)
        assert partner["marking"] == "OFFICIAL-SENSITIVE"
        assert partner["withheld"] == ["evidence_ids"] and analyst["withheld"] == []
        assert partner["count"] == analyst["count"] > 0
        assert all("evidence_ids" not in row for row in partner["rows"])
        assert any(row["evidence_ids"] for row in analyst["rows"])

    @pytest.mark.parametrize("path", ["/api/v1/evidence", "/status"])
    def test_partners_and_the_public_may_not_read_evidence_or_operations(
        self, served: Served, path: str
    ) -> None:
        for role in ("public", "partner"):
            response = served.client.get(path, headers=HEADERS[role])
            assert response.status_code == 403
            assert "analyst" in response.json()["error"]
        assert served.client.get(path, headers=HEADERS["analyst"]).status_code == 200

    def test_only_analysts_send_sql(self, served: Served) -> None:
        for role in ("public", "partner"):
            response = served.client.post("/query", content="select 1", headers=HEADERS[role])
            assert response.status_code == 403
        answer = served.client.post(
            "/query", content="select count(*) as n from events", headers=HEADERS["analyst"]
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.text == f"n\n{len(served.built.events)}\n"

    def test_a_bad_token_is_refused_everywhere_but_health(self, served: Served) -> None:
        for headers in ({"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwdw=="}):
            for path in ("/api/v1/priorities", "/api/v1/tension", "/status"):
                response = served.client.get(path, headers=headers)
                assert response.status_code == 401
                assert response.headers["WWW-Authenticate"] == "Bearer"
                assert "public" in response.json()["error"]
            assert served.client.get("/health", headers=headers).status_code == 200

    def test_a_public_token_reads_as_the_public(self, served: Served) -> None:
        headers = {"Authorization": "Bearer public-token-for-tests"}
        assert served.client.get("/api/v1/priorities", headers=headers).status_code == 200
        assert served.client.get("/api/v1/tension", headers=headers).status_code == 403


def _public_answers(served: Served) -> list[tuple[str, str]]:
    """Every public view in every format, now and as of a time in the scenario."""
    answers = []
    for view in (*PUBLIC_VIEWS, "priorities?neighbourhood=Kilburn", "feedback?neighbourhood=Kilburn"):
        for fmt in ("json", "csv", "parquet"):
            for as_of in ("", (BURST + timedelta(days=4)).isoformat()):
                sep = "&" if "?" in view else "?"
                url = f"/api/v1/{view}{sep}format={fmt}" + (f"&as_of={as_of}" if as_of else "")
                response = served.client.get(url.replace("+", "%2B"))
                assert response.status_code == 200, (url, response.text)
                assert response.headers["X-Protective-Marking"] == "OFFICIAL"
                body = response.content
                if fmt == "parquet":
                    body = json.dumps(pq.read_table(io.BytesIO(body)).to_pylist(), default=str).encode()
                answers.append((url, body.decode("utf-8")))
    return answers


class TestNoFreeTextForThePublic:
    def test_no_public_answer_holds_any_events_text(self, served: Served) -> None:
        texts = {t for t in served.built.texts if len(t) >= 12}
        assert len(texts) > 150
        assert {NO_ACTION_REASON, OVERRIDE_NOTE, PRIORITY_ISSUE, SENSITIVE_TEXT} <= texts
        for url, body in _public_answers(served):
            leaked = [t for t in texts if t in body]
            assert not leaked, (url, leaked[:3])

    def test_the_check_finds_text_where_there_is_some(self, served: Served) -> None:
        partner = served.client.get("/api/v1/feedback?neighbourhood=Kilburn", headers=HEADERS["partner"]).text
        analyst = served.client.get(
            "/api/v1/evidence?neighbourhood=Kilburn&limit=500", headers=HEADERS["analyst"]
        )
        assert NO_ACTION_REASON in partner
        assert SENSITIVE_TEXT in analyst.text and OVERRIDE_NOTE in analyst.text

    def test_partners_see_no_words_of_the_events_but_the_reasons_given_them(self, served: Served) -> None:
        texts = {t for t in served.built.texts if len(t) >= 12} - {NO_ACTION_REASON}
        reasons = set(served.con.execute("select distinct reason from feedback_current").fetchall())
        texts -= {r[0] for r in reasons}
        for view in (*PUBLIC_VIEWS, *PARTNER_VIEWS):
            for fmt in ("json", "csv"):
                body = served.client.get(f"/api/v1/{view}?format={fmt}", headers=HEADERS["partner"]).text
                assert not [t for t in texts if t in body], view

    def test_public_rows_have_no_free_text_column_and_no_sensitive_view_is_public(
        self, served: Served
    ) -> None:
        for view in PUBLIC_VIEWS:
            for row in served.rows(f"/api/v1/{view}", "public"):
                assert not set(row) & FREE_TEXT_COLUMNS, view
        for view, policy in POLICY.items():
            if "public" in {r.value for r in policy.readers}:
                assert policy.marking is ProtectiveMarking.OFFICIAL, view


class TestAsOf:
    def test_tension_as_of_a_time_answers_from_the_history(self, served: Served) -> None:
        def level(at: str) -> list[int]:
            return [int(str(r["level"])) for r in served.rows("/api/v1/tension", area="Kilburn", as_of=at)]

        assert level((BURST + timedelta(minutes=30)).isoformat()) == [5]
        assert level((BURST + timedelta(minutes=55)).isoformat()) == [2]  # the analyst's override
        assert level((BURST - timedelta(minutes=30)).isoformat()) == [1]
        assert level("2020-01-01") == []  # before Kilburn's first event
        now = served.rows("/api/v1/tension", area="Kilburn")
        assert [(r["level"], r["overridden"], r["assessed_by"]) for r in now] == [(2, True, "ttcg-analyst-1")]

    def test_a_time_without_a_zone_is_utc_and_a_zone_is_honoured(self, served: Served) -> None:
        utc = served.rows("/api/v1/tension", area=KILBURN, as_of="2026-03-02T00:30:00")
        paris = served.rows("/api/v1/tension", area=KILBURN, as_of="2026-03-02T01:30:00+01:00")
        assert utc == paris and utc[0]["level"] == 5

    def test_priorities_as_of_equal_the_history_rows_in_force(self, served: Served) -> None:
        at = BURST - timedelta(days=40)
        rows = served.rows("/api/v1/priorities", neighbourhood="Kilburn", as_of=at.isoformat())
        expected = served.con.execute(
            "select theme, rank, score from priority_history where neighbourhood_id = ? and valid_from <= ? "
            "and (valid_to > ? or valid_to is null) order by rank",
            [KILBURN, at, at],
        ).fetchall()
        assert expected and [(r["theme"], r["rank"], r["score"]) for r in rows] == expected
        now = served.rows("/api/v1/priorities", neighbourhood="Kilburn")
        assert [r["theme"] for r in now] != [r["theme"] for r in rows]
        assert all(str(r["as_of"]) <= at.isoformat() for r in rows)

    def test_feedback_and_coverage_as_of_a_time_before_the_priority(self, served: Served) -> None:
        before = served.rows(
            "/api/v1/feedback", neighbourhood="Kilburn", theme="drugs", as_of=BURST.isoformat()
        )
        after = served.rows("/api/v1/feedback", neighbourhood="Kilburn", theme="drugs")
        assert before == [] and [r["status"] for r in after] == ["no_action"]
        assert served.rows("/api/v1/coverage", neighbourhood="Kilburn", as_of=BURST.isoformat())

    def test_the_timeline_as_of_a_time_ends_open_then(self, served: Served) -> None:
        at = BURST + timedelta(minutes=30)
        then = served.rows(f"/api/v1/neighbourhoods/{KILBURN}/tension", as_of=at.isoformat())
        full = served.rows("/api/v1/neighbourhoods/kilburn/tension")
        assert len(then) < len(full)
        assert then[-1]["level"] == 5 and then[-1]["valid_to"] is None
        assert full[len(then) - 1]["valid_to"] is not None
        assert [r["seq"] for r in full] == list(range(len(full)))

    def test_alerts_and_evidence_as_of_a_time(self, served: Served) -> None:
        def critical(**params: str) -> list[object]:
            rows = served.rows("/api/v1/alerts", area="Kilburn", **params)
            return [r["raised_at"] for r in rows if r["to_level"] == 5]

        assert critical(as_of=(BURST - timedelta(minutes=10)).isoformat()) == []
        (raised,) = critical()
        assert BURST - timedelta(hours=1) <= datetime.fromisoformat(str(raised)) <= BURST
        events = served.rows(
            "/api/v1/evidence", neighbourhood="Kilburn", as_of=BURST.isoformat(), limit="50000"
        )
        assert events and all(str(r["event_time"]) <= BURST.isoformat() for r in events)


class TestEvidence:
    def test_the_evidence_behind_a_rise_is_the_burst(self, served: Served) -> None:
        rise = served.rows(
            "/api/v1/tension", area="Kilburn", as_of=(BURST + timedelta(minutes=30)).isoformat()
        )[0]
        ids = rise["evidence_ids"]
        assert isinstance(ids, list) and ids
        events = served.rows("/api/v1/evidence", event_id=",".join(ids))
        assert sorted(e["event_id"] for e in events) == sorted(ids)
        assert all(str(e["event_id"]).startswith("scenario-") for e in events)
        assert "hate" in {e["theme"] for e in events}
        first = events[0]
        assert isinstance(first["payload"], dict) and first["payload"]["event_type"] == first["event_type"]

    def test_filters_and_limit(self, served: Served) -> None:
        rows = served.rows("/api/v1/evidence", neighbourhood="Kilburn", channel="social", limit="5")
        assert len(rows) == 5 and {r["channel"] for r in rows} == {"social"}
        times = [r["event_time"] for r in rows]
        assert times == sorted(times, reverse=True)
        sensitive = served.rows("/api/v1/evidence", neighbourhood=KILBURN, theme="violence", limit="1000")
        assert "OFFICIAL-SENSITIVE" in {r["marking"] for r in sensitive}


class TestFormats:
    def test_csv_and_parquet_hold_the_json_rows(self, served: Served) -> None:
        rows = served.rows("/api/v1/priorities", neighbourhood="Kilburn")
        as_csv = served.client.get(
            "/api/v1/priorities?neighbourhood=Kilburn&format=csv", headers=HEADERS["analyst"]
        )
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert as_csv.headers["content-disposition"] == 'attachment; filename="priorities.csv"'
        table = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert [r["theme"] for r in table] == [r["theme"] for r in rows]
        assert list(table[0]) == list(views.PRIORITY_COLUMNS)
        assert json.loads(table[0]["channels"]) == rows[0]["channels"]
        assert table[0]["agreed"] in ("true", "false")
        as_parquet = served.client.get(
            "/api/v1/priorities?neighbourhood=Kilburn&format=parquet", headers=HEADERS["analyst"]
        )
        assert as_parquet.headers["content-type"] == "application/vnd.apache.parquet"
        assert as_parquet.headers["content-disposition"] == 'attachment; filename="priorities.parquet"'
        parquet = pq.read_table(io.BytesIO(as_parquet.content))
        assert parquet.column_names == list(views.PRIORITY_COLUMNS)
        assert parquet.column("theme").to_pylist() == [r["theme"] for r in rows]
        assert parquet.column("channels").to_pylist() == [r["channels"] for r in rows]

    def test_a_withheld_column_is_left_out_of_every_format(self, served: Served) -> None:
        as_csv = served.client.get("/api/v1/feedback?format=csv").text
        assert "reason" not in as_csv.splitlines()[0].split(",")
        parquet = pq.read_table(io.BytesIO(served.client.get("/api/v1/feedback?format=parquet").content))
        assert "reason" not in parquet.column_names and "theme" in parquet.column_names

    def test_an_empty_answer_has_its_header(self, served: Served) -> None:
        response = served.client.get("/api/v1/priorities?as_of=2000-01-01&format=csv")
        assert response.text.splitlines() == [",".join(views.PRIORITY_COLUMNS)]


class TestRefusals:
    @pytest.mark.parametrize(
        ("path", "status", "advice"),
        [
            ("/api/v1/priorities?as_of=yesterday", 422, "ISO 8601"),
            ("/api/v1/priorities?as_of=", 422, "ISO 8601"),
            ("/api/v1/priorities?format=xlsx", 422, "format"),
            ("/api/v1/priorities?theme=litterbugs", 422, "drugs"),
            ("/api/v1/priorities?neighbourhood=Atlantis", 404, "/api/v1/neighbourhoods"),
            ("/api/v1/priorities?neighbourhood=,,", 422, "commas"),
            ("/api/v1/tension?area=Kilburn,Atlantis", 404, "Atlantis"),
            ("/api/v1/neighbourhoods/Atlantis/tension", 404, "/api/v1/neighbourhoods"),
            ("/api/v1/evidence?limit=0", 422, "limit"),
            ("/api/v1/evidence?channel=pigeon", 422, "social"),
            ("/api/v1/evidence?event_id=" + ",".join(str(i) for i in range(501)), 422, "at most 500"),
            ("/api/v1/nothing", 404, "/openapi.json"),
        ],
    )
    def test_a_bad_request_is_a_4xx_that_says_what_to_do(
        self, served: Served, path: str, status: int, advice: str
    ) -> None:
        response = served.client.get(path, headers=HEADERS["analyst"])
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert advice in response.json()["error"]

    def test_sql_that_writes_or_reads_files_is_refused(self, served: Served) -> None:
        for sql, said in (
            ("delete from events", "only SELECT"),
            ("select * from read_text('/etc/hostname')", "disabled"),
            ("select nonsense from", "does not parse"),
        ):
            response = served.client.post("/query", content=sql, headers=HEADERS["analyst"])
            assert response.status_code == 400
            assert said in response.json()["error"]
        too_long = served.client.post(
            "/query", content="select 1 -- " + "x" * 70_000, headers=HEADERS["analyst"]
        )
        assert too_long.status_code == 413

    def test_a_query_running_too_long_is_stopped(self, tmp_path: Path) -> None:
        con = duckdb.connect(str(tmp_path / "slow.duckdb"))
        app = create_app(con, Settings(var_dir=tmp_path, query_timeout_s=0.5), tokens=TOKENS)
        with TestClient(app) as client:
            response = client.post(
                "/query", content="select count(*) from range(100000000000)", headers=HEADERS["analyst"]
            )
        con.close()
        assert response.status_code == 400
        assert "ran for more than 0.5 s" in response.json()["error"]

    def test_a_wrong_method_is_refused_in_json(self, served: Served) -> None:
        response = served.client.delete("/api/v1/priorities")
        assert response.status_code == 405
        assert "openapi" in response.json()["error"]


class TestNames:
    def test_neighbourhoods_by_id_or_any_case_of_their_name(self, served: Served) -> None:
        by_name = served.rows("/api/v1/tension", area="kilburn, West Hampstead")
        by_id = served.rows("/api/v1/tension", area=f"{KILBURN},{WEST_HAMPSTEAD}")
        assert by_name == by_id
        assert {r["name"] for r in by_name} == {"Kilburn", "West Hampstead"}
        assert len(served.rows("/api/v1/tension")) == 18


class TestAudit:
    def test_an_analysts_query_and_a_refused_partner_both_appear(self, served: Served) -> None:
        before = len(served.audit())
        sql = "select count(*) from tension_current where level >= 2"
        assert served.client.post("/query", content=sql, headers=HEADERS["analyst"]).status_code == 200
        assert served.client.get("/api/v1/evidence?theme=hate", headers=HEADERS["partner"]).status_code == 403
        assert served.client.get("/api/v1/priorities?format=csv").status_code == 200
        assert served.client.get("/status", headers={"Authorization": "Bearer guessed"}).status_code == 401
        rows = served.audit()[before:]
        seen = [
            (r["token_name"], r["role"], r["method"], r["path"], r["query_string"], r["status"]) for r in rows
        ]
        assert seen == [
            ("ttcg-analyst-1", "analyst", "POST", "/query", "", 200),
            ("camden-council", "partner", "GET", "/api/v1/evidence", "theme=hate", 403),
            ("public", "public", "GET", "/api/v1/priorities", "format=csv", 200),
            ("invalid", "none", "GET", "/status", "", 401),
        ]
        assert rows[0]["detail"] == sql
        assert all(r["requested_at"] is not None and float(str(r["duration_ms"])) >= 0 for r in rows)

    def test_the_audit_is_in_the_log_too(self, served: Served) -> None:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
        try:
            with structlog.testing.capture_logs() as logs:
                served.client.get("/api/v1/tension", headers=HEADERS["partner"])
        finally:
            structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        lines = [line for line in logs if line["event"] == "api_request"]
        assert [(x["who"], x["role"], x["path"], x["status"]) for x in lines] == [
            ("camden-council", "partner", "/api/v1/tension", 200)
        ]


class TestContract:
    def test_the_committed_openapi_document_is_current(self) -> None:
        committed = json.loads((REPO_ROOT / "docs" / "api-openapi.json").read_text(encoding="utf-8"))
        assert committed == openapi_document(), (
            "regenerate it: .venv/bin/engage serve --print-openapi > docs/api-openapi.json"
        )

    def test_the_service_serves_that_document(self, served: Served) -> None:
        assert served.client.get("/openapi.json").json() == openapi_document()

    @pytest.mark.parametrize(
        ("model", "columns"),
        [
            (models.NeighbourhoodRow, views.NEIGHBOURHOOD_COLUMNS),
            (models.PriorityRow, views.PRIORITY_COLUMNS),
            (models.CoverageRow, views.COVERAGE_COLUMNS),
            (models.FeedbackRow, views.FEEDBACK_COLUMNS),
            (models.TensionRow, views.TENSION_COLUMNS),
            (models.TimelineRow, views.TIMELINE_COLUMNS),
            (models.AlertRow, views.ALERT_COLUMNS),
            (models.EvidenceRow, views.EVIDENCE_COLUMNS),
        ],
    )
    def test_each_row_model_has_the_columns_of_its_view(
        self, model: type[object], columns: tuple[str, ...]
    ) -> None:
        assert tuple(model.model_fields) == columns  # type: ignore[attr-defined]

    def test_every_json_row_validates_against_its_model(self, served: Served) -> None:
        pairs: dict[str, type[BaseModel]] = {
            "neighbourhoods": models.NeighbourhoodRow,
            "priorities": models.PriorityRow,
            "coverage": models.CoverageRow,
            "feedback": models.FeedbackRow,
            "tension": models.TensionRow,
            "alerts": models.AlertRow,
            "evidence": models.EvidenceRow,
            "neighbourhoods/Kilburn/tension": models.TimelineRow,
        }
        for path, model in pairs.items():
            for as_of in (None, (BURST + timedelta(minutes=30)).isoformat()):
                params = {} if as_of is None else {"as_of": as_of}
                rows = served.rows(f"/api/v1/{path}", **params)
                assert rows, path
                for row in rows:
                    model.model_validate(row)

    def test_the_document_says_who_may_call_what_and_where_a_token_is_optional(self) -> None:
        operations = {
            f"{method} {path}": op
            for path, ops in openapi_document()["paths"].items()
            for method, op in ops.items()
        }
        assert operations["get /api/v1/evidence"]["x-roles"] == ["analyst"]
        assert operations["get /api/v1/tension"]["x-roles"] == ["analyst", "partner"]
        assert operations["post /query"]["x-roles"] == ["analyst"]
        for name, op in operations.items():
            if name == "get /health":
                assert "security" not in op
                continue
            assert ({} in op["security"]) == ("public" in op["x-roles"]), name

    def test_every_view_has_a_policy(self) -> None:
        assert set(POLICY) == set(View)
