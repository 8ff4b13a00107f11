"""The TT&CG pack built from a real read side (DuckDB as the service writes it, without Kafka)."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import matplotlib.image
import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader

from connectors.placing import Neighbourhoods
from engage.errors import ConfigurationError, ServiceUnavailable
from engage.settings import Settings
from projections import store
from projections.briefing import Manifest, UnknownNeighbourhood, build, cli, handle_request
from projections.briefing import builder as builder_module
from tests.unit import briefing_db
from tests.unit.briefing_db import AS_OF, PREVIOUS

SYSTEM_TABLES = ("priorities", "tension", "taskings", "feedback", "coverage", "emerging", "evidence")


@pytest.fixture(scope="module")
def places() -> Neighbourhoods:
    return briefing_db.load_neighbourhoods()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, places: Neighbourhoods) -> Path:
    path = tmp_path_factory.mktemp("briefing") / "engage.duckdb"
    briefing_db.build_database(path, places)
    return path


@pytest.fixture
def con(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # read-only: the pack must need nothing more than reads
    connection = store.connect(database, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def pack(database: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("pack") / "camden"
    connection = store.connect(database, read_only=True)
    try:
        return out, build(connection, "camden", AS_OF, out)
    finally:
        connection.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class TestOutputs:
    """Every file the pack promises, listed with its digest."""

    def test_every_file_is_written_and_listed_with_its_sha256(self, pack: tuple[Path, Manifest]) -> None:
        out, manifest = pack
        listed = {f.path: f for f in manifest.files}
        expected = {"pack.html", "pack.pdf"} | {
            f"{t}.{x}" for t in SYSTEM_TABLES for x in ("csv", "json", "parquet")
        }
        assert expected <= set(listed)
        on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
        assert on_disk == set(listed)
        for path, entry in listed.items():
            data = (out / path).read_bytes()
            assert entry.sha256 == hashlib.sha256(data).hexdigest() and entry.bytes == len(data)

    def test_the_manifest_names_the_area_the_times_and_the_marking(self, pack: tuple[Path, Manifest]) -> None:
        out, manifest = pack
        written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert written["area"] == "camden"
        assert written["as_of"] == "2026-02-15T06:00:00Z"
        assert written["previous_as_of"] == "2026-02-01T06:00:00Z"  # as_of minus the 14-day cadence
        assert written["marking"] == "OFFICIAL-SENSITIVE"
        assert len(written["neighbourhoods"]) == 18
        assert [f["path"] for f in written["files"]] == [f.path for f in manifest.files]

    def test_csv_json_and_parquet_hold_the_same_rows(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        for name in SYSTEM_TABLES:
            rows = read_csv(out / f"{name}.csv")
            as_json = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
            table = pq.read_table(out / f"{name}.parquet")
            assert len(rows) == len(as_json) == table.num_rows, name
            assert table.column_names == list(rows[0]) == list(as_json[0]), name
        assert len(read_csv(out / "tension.csv")) == 18

    def test_an_empty_table_keeps_its_columns(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        # before any event: nothing to cite, no priorities, and still a pack with every column
        build(con, "quiet", datetime(2024, 1, 1, tzinfo=UTC), tmp_path, ["Haverstock"])
        table = pq.read_table(tmp_path / "evidence.parquet")
        assert table.num_rows == 0
        assert "event_id" in table.column_names and "marking" in table.column_names
        assert (tmp_path / "evidence.csv").read_text(encoding="utf-8").startswith("event_id,")
        assert pq.read_table(tmp_path / "priorities.parquet").num_rows == 0
        assert "no voices heard yet" in (tmp_path / "pack.html").read_text(encoding="utf-8")


class TestAsOf:
    """The pack reads the history tables as of its time, and compares with the last pack's."""

    def test_priorities_are_those_in_force_at_the_time(
        self, con: duckdb.DuckDBPyConnection, pack: tuple[Path, Manifest]
    ) -> None:
        out, _ = pack
        expected = con.execute(
            "select neighbourhood_id, theme, rank from priority_history "
            "where valid_from <= $t and (valid_to > $t or valid_to is null) and rank <= 5",
            {"t": AS_OF},
        ).fetchall()
        before = dict(
            ((n, th), r)
            for n, th, r in con.execute(
                "select neighbourhood_id, theme, rank from priority_history "
                "where valid_from <= $t and (valid_to > $t or valid_to is null)",
                {"t": PREVIOUS},
            ).fetchall()
        )
        rows = [r for r in read_csv(out / "priorities.csv") if r["movement"] != "out"]
        assert {(r["neighbourhood_id"], r["theme"], int(r["rank"])) for r in rows} == set(expected)
        for r in rows:
            previous = before.get((r["neighbourhood_id"], r["theme"]))
            assert r["previous_rank"] == ("" if previous is None else str(previous))
            rank = int(r["rank"])
            want = (
                "new"
                if previous is None
                else "up"
                if previous > rank
                else "down"
                if previous < rank
                else "same"
            )
            assert r["movement"] == want
        # the current table is newer than the pack: the pack must not have read it
        current = set(
            con.execute(
                "select neighbourhood_id, theme, rank from priority_current where rank <= 5"
            ).fetchall()
        )
        assert current != set(expected)

    def test_an_earlier_pack_knows_less(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        build(con, "camden", PREVIOUS, tmp_path)
        tension = {r["neighbourhood"]: r for r in read_csv(tmp_path / "tension.csv")}
        # the hostile burst came after it: Kilburn was not at level 5 then
        assert int(tension["Kilburn"]["level"]) < 5
        assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["marking"] == "OFFICIAL"


class TestContent:
    """What the TT&CG reads: tension with evidence, emerging issues, taskings and their reasons."""

    def test_tension_rise_with_its_evidence_and_marking(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        kilburn = next(r for r in read_csv(out / "tension.csv") if r["neighbourhood"] == "Kilburn")
        assert int(kilburn["level"]) >= 4 and int(kilburn["previous_level"]) == 1
        assert kilburn["marking"] == "OFFICIAL-SENSITIVE"
        cited = kilburn["evidence_ids"].split(";")
        assert cited and all(c.startswith("burst-") for c in cited)
        evidence = {r["event_id"]: r for r in read_csv(out / "evidence.csv")}
        assert set(cited) <= set(evidence)
        assert all(briefing_db.SENSITIVE_TEXT in evidence[c]["text"] for c in cited)
        assert {evidence[c]["marking"] for c in cited} == {"OFFICIAL-SENSITIVE"}

    def test_taskings_carry_their_rule_and_reason(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        taskings = read_csv(out / "taskings.csv")
        kilburn = [t for t in taskings if t["neighbourhood"] == "Kilburn" and t["rule"] == "T1"]
        assert len(kilburn) == 1 and kilburn[0]["priority"] == "high"
        assert "patrol" in kilburn[0]["tasking"] and "tension level" in kilburn[0]["reason"]
        belsize = [t for t in taskings if t["neighbourhood"] == "Belsize" and t["rule"] == "T1"]
        assert belsize and "override" in belsize[0]["reason"]
        assert {t["rule"] for t in taskings} >= {"T1", "T2", "T5", "T7", "T8"}
        assert all(t["reason"] for t in taskings)
        engagement = [t for t in taskings if t["rule"] == "T7"]
        assert all("reach" in t["tasking"] or "open" in t["tasking"] for t in engagement)

    def test_the_planted_spike_is_an_emerging_issue(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        spikes = [r for r in read_csv(out / "emerging.csv") if r["kind"] == "spike"]
        highgate = [r for r in spikes if r["neighbourhood"] == "Highgate" and r["theme"] == "drugs"]
        assert len(highgate) == 1 and int(highgate[0]["events"]) >= 12
        assert float(highgate[0]["z"]) >= 3

    def test_an_analysts_override_is_listed_with_the_analyst(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        changes = read_csv(out / "tension_changes.csv")
        override = [c for c in changes if c["cause"] == "override"]
        assert override and override[0]["analyst"] == "analyst 4411" and override[0]["listed"] == "true"

    def test_the_html_is_self_contained_and_marked(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        page = (out / "pack.html").read_text(encoding="utf-8")
        assert page.count("<svg") >= 3
        # nothing fetched from elsewhere (the SVG's xmlns names are identifiers, not fetched)
        for external in (
            "<script",
            "<link",
            "src=",
            'href="http',
            "url(http",
            "url(//",
            "@import",
            "<img",
            "<iframe",
        ):
            assert external not in page
        assert page.count('class="marking sensitive') == 2
        assert briefing_db.SENSITIVE_TEXT in page  # the appendix of evidence
        assert '<tr class="sensitive">' in page
        for section in (
            "Summary",
            "Recommended taskings",
            "Community tension",
            "Priorities and their movement",
            "Emerging issues",
            "Coverage gaps",
            "You said, we did",
            "Appendix A. Evidence",
        ):
            assert section in page


class TestPdf:
    """The PDF: pages that render, with the protective marking on every one."""

    def test_every_page_carries_the_marking(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        reader = PdfReader(out / "pack.pdf")
        assert len(reader.pages) >= 5
        for number, page in enumerate(reader.pages, start=1):
            assert page.extract_text().count("OFFICIAL-SENSITIVE") >= 2, f"page {number}"
        text = "".join(p.extract_text() for p in reader.pages)
        assert "Kilburn" in text and "Recommended taskings" in text

    def test_pages_render_to_non_blank_images(self, pack: tuple[Path, Manifest], tmp_path: Path) -> None:
        if shutil.which("pdftoppm") is None:
            pytest.skip("pdftoppm is not installed (Debian: apt-get install poppler-utils)")
        out, _ = pack
        subprocess.run(
            ["pdftoppm", "-r", "30", "-png", str(out / "pack.pdf"), str(tmp_path / "page")], check=True
        )
        images = sorted(tmp_path.glob("page-*.png"))
        assert len(images) == len(PdfReader(out / "pack.pdf").pages)
        for image in images:
            pixels = matplotlib.image.imread(image)[..., :3]
            inked = (pixels.mean(axis=2) < 0.9).mean()
            assert inked > 0.002, f"{image.name} is blank"


class TestSameAsOfSameBytes:
    """No clock in any output: the same as-of builds the same bytes, PDF included."""

    def test_two_builds_are_identical(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        first = build(con, "camden", AS_OF, tmp_path / "a", ["Kilburn", "Highgate", "E36007157"])
        second = build(con, "camden", AS_OF, tmp_path / "b", ["Kilburn", "Highgate", "E36007157"])
        assert first == second
        names = [f.path for f in first.files] + ["manifest.json"]
        assert "pack.pdf" in names
        for name in names:
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

    def test_a_pdf_drawn_in_a_process_of_its_own_is_the_same(
        self, con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A large pack's PDF is drawn in a second process (``PDF_ELSEWHERE_PLACES``): same bytes."""
        here = build(con, "camden", AS_OF, tmp_path / "here", ["Kilburn", "Highgate"])
        monkeypatch.setattr(builder_module, "PDF_ELSEWHERE_PLACES", 0)
        elsewhere = build(con, "camden", AS_OF, tmp_path / "elsewhere", ["Kilburn", "Highgate"])
        assert here == elsewhere
        drawn = [(tmp_path / where / "pack.pdf").read_bytes() for where in ("here", "elsewhere")]
        assert drawn[0] == drawn[1]

    def test_two_builds_at_once_in_threads_are_identical(
        self, con: duckdb.DuckDBPyConnection, tmp_path: Path
    ) -> None:
        """As the service may: a scheduled pack and one asked for, each in its own thread."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(build, con, "camden", AS_OF, tmp_path / name, ["Kilburn"]) for name in "ab"
            ]
            first, second = (f.result() for f in futures)
        assert first == second


class TestArea:
    """An area is every neighbourhood, or those named by id or name."""

    def test_named_by_id_or_name(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        manifest = build(con, "north", AS_OF, tmp_path, ["highgate", "E36007169"])
        assert set(manifest.neighbourhoods) == {"E36007166", "E36007169"}
        assert {r["neighbourhood"] for r in read_csv(tmp_path / "coverage.csv")} == {"Highgate", "Kilburn"}

    def test_an_unknown_name_says_what_to_do(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        with pytest.raises(UnknownNeighbourhood, match=r"'Atlantis'.*neighbourhoods table"):
            build(con, "x", AS_OF, tmp_path, ["Kilburn", "Atlantis"])

    def test_times_need_their_zone_and_order(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="time zone"):
            build(con, "x", datetime(2026, 2, 15), tmp_path)
        with pytest.raises(ConfigurationError, match="before"):
            build(con, "x", AS_OF, tmp_path, previous_as_of=AS_OF + timedelta(days=1))
        with pytest.raises(ConfigurationError, match="folder"):
            build(con, "../etc", AS_OF, tmp_path)


class TestOpenData:
    """police.uk's shape under the OGL: themes and statuses, never free text, only OFFICIAL."""

    def test_shape_licence_and_no_free_text(
        self, pack: tuple[Path, Manifest], con: duckdb.DuckDBPyConnection
    ) -> None:
        out, _ = pack
        files = sorted((out / "open_data").glob("*.json"))
        assert len(files) == 18
        texts = [
            t for (t,) in con.execute("select distinct text from events where length(text) >= 12").fetchall()
        ]
        reasons = [r["reason"] for r in read_csv(out / "feedback.csv") if r["reason"]]
        assert texts and briefing_db.SENSITIVE_TEXT in " ".join(texts)
        published = 0
        for path in files:
            raw = path.read_text(encoding="utf-8")
            document = json.loads(raw)
            assert document["licence"] == "Open Government Licence v3.0"
            assert "Open Government Licence v3.0" in document["attribution"]
            assert document["marking"] == "OFFICIAL"
            for item in document["priorities"]:
                assert list(item) == ["action", "issue-date", "action-date", "issue"]
                for key in ("issue-date", "action-date"):
                    assert item[key] is None or datetime.strptime(item[key], "%Y-%m-%dT%H:%M:%S")
                published += 1
            for text in texts + reasons:
                for line in text.splitlines():
                    if len(line.strip()) >= 12:
                        assert line.strip() not in raw, f"{path.name} holds event text"
        assert published > 0

    def test_a_priority_from_a_sensitive_event_is_left_out(self, pack: tuple[Path, Manifest]) -> None:
        out, _ = pack
        feedback = [r for r in read_csv(out / "feedback.csv") if r["neighbourhood"] == "Highgate"]
        assert "weapons" in {r["theme"] for r in feedback}
        document = json.loads((out / "open_data" / "E36007166_priorities.json").read_text(encoding="utf-8"))
        assert "<p>Weapons</p>" not in {p["issue"] for p in document["priorities"]}
        assert briefing_db.SENSITIVE_ISSUE not in json.dumps(document)


class TestCommand:
    """What `engage brief` runs with the service down: the file, read-only, from the command's text."""

    def test_builds_from_the_file_and_answers_one_line(self, database: Path, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path, duckdb_path=database)
        line = cli(settings, area="west", as_of="2026-02-15T06:00", neighbourhoods="Kilburn, E36007157")
        # no offset: London time, which is GMT in February
        assert line["as_of"] == "2026-02-15T06:00:00Z" and line["neighbourhoods"] == 2
        assert line["folder"] == str(tmp_path / "briefings" / "west" / "20260215T060000Z")
        assert line["marking"] == "OFFICIAL-SENSITIVE"
        assert (tmp_path / "briefings" / "west" / "20260215T060000Z" / "manifest.json").is_file()

    def test_says_what_to_do_without_a_database_or_with_a_bad_time(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        with pytest.raises(ServiceUnavailable, match="engage up"):
            cli(settings, as_of="2026-02-15")
        with pytest.raises(ConfigurationError, match="ISO 8601"):
            cli(settings, as_of="the 15th")


class TestServiceRequest:
    """The body the read-side service hands over for POST /brief."""

    def test_a_request_builds_under_the_briefing_folder(
        self, con: duckdb.DuckDBPyConnection, tmp_path: Path
    ) -> None:
        settings = Settings(var_dir=tmp_path)
        body = json.dumps({"area": "west", "as_of": "2026-02-15T06:00:00Z", "neighbourhoods": ["Kilburn"]})
        answer = handle_request(con, settings, body.encode())
        folder = tmp_path / "briefings" / "west" / "20260215T060000Z"
        assert answer["folder"] == str(folder)
        assert (folder / "pack.pdf").is_file() and answer["neighbourhoods"] == ["E36007169"]

    def test_a_bad_body_says_what_is_wrong(self, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="as_of"):
            handle_request(con, Settings(var_dir=tmp_path), b'{"area": "west"}')


def test_the_cursor_reads_while_another_connection_holds_a_transaction(
    database: Path, tmp_path: Path
) -> None:
    """The service's connection may be mid-write: the pack reads on a cursor and a transaction of its own."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(database, copy)
    owner = duckdb.connect(str(copy))
    try:
        owner.execute("begin transaction")
        owner.execute("delete from tension_history")
        manifest = build(owner, "camden", AS_OF, tmp_path / "pack", ["Kilburn"])
        owner.execute("rollback")
    finally:
        owner.close()
    assert manifest.marking == "OFFICIAL-SENSITIVE"
