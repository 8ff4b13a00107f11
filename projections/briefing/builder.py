"""Build a TT&CG pack for an area as of a time: read, assess, render, export, and list it in a manifest.

``build`` takes a DuckDB connection and only reads (on a cursor of its own), so the read-side
service, which owns the file, can call it between the sink's writes. Nothing in a pack comes from
the clock: the same database and the same as-of give the same bytes in every file.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import structlog
from pydantic import AwareDatetime

from engage.errors import ConfigurationError
from events import Frozen, ProtectiveMarking
from projections.briefing import exports, html, layout, opendata, pdf, read
from projections.briefing.assess import assess
from projections.briefing.model import DEFAULT_RULES, Pack, Rules, iso

log = structlog.get_logger(__name__)

DEFAULT_CADENCE = timedelta(days=14)
"""Fortnightly: the last pack is taken to be this long before, unless given."""
LONDON = ZoneInfo("Europe/London")
AREA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
PDF_ELSEWHERE_PLACES = 100
"""Neighbourhoods from which the PDF is drawn in a process of its own while this one writes the HTML,
exports and open data. Drawing is the largest part of a large pack's time and holds the interpreter.
The process takes about a second to start, which it does while this one draws the charts; a small
pack is drawn here."""


class FileEntry(Frozen):
    path: str
    """Relative to the pack's folder, with ``/``."""
    sha256: str
    bytes: int


class Manifest(Frozen):
    area: str
    as_of: AwareDatetime
    previous_as_of: AwareDatetime
    marking: ProtectiveMarking
    neighbourhoods: tuple[str, ...]
    files: tuple[FileEntry, ...]
    rules: Rules

    def as_json(self) -> str:
        return (
            json.dumps(
                {
                    "area": self.area,
                    "as_of": iso(self.as_of),
                    "previous_as_of": iso(self.previous_as_of),
                    "marking": self.marking.value,
                    "neighbourhoods": list(self.neighbourhoods),
                    "rules": json.loads(self.rules.model_dump_json()),
                    "files": [f.model_dump() for f in self.files],
                },
                indent=1,
                sort_keys=True,
            )
            + "\n"
        )


def check_area(area: str) -> str:
    if not AREA_NAME.match(area):
        raise ConfigurationError(
            f"the area name {area!r} cannot name a folder; use letters, digits, '-', '_' or '.' "
            "(up to 80), starting with a letter or digit"
        )
    return area


def check_times(as_of: datetime, previous_as_of: datetime | None, cadence: timedelta) -> datetime:
    if as_of.tzinfo is None or (previous_as_of is not None and previous_as_of.tzinfo is None):
        raise ConfigurationError(
            "give as-of times with their time zone (for example 2026-02-15T06:00:00+00:00)"
        )
    previous = previous_as_of if previous_as_of is not None else as_of - cadence
    if previous >= as_of:
        raise ConfigurationError(
            f"the last pack's time ({previous.isoformat()}) must be before the pack's ({as_of.isoformat()})"
        )
    return previous


def _write_the_rest(doc: layout.Document, pack: Pack, out_dir: Path, zone: tzinfo) -> list[Path]:
    """Every file but the PDF; returns the exports' and open data's paths."""
    (out_dir / "pack.html").write_text(html.render(doc), encoding="utf-8")
    return [*exports.write(pack, out_dir), *opendata.write(pack, out_dir, zone)]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    con: duckdb.DuckDBPyConnection,
    area: str,
    as_of: datetime,
    out_dir: Path,
    neighbourhoods: Sequence[str] | None = None,
    previous_as_of: datetime | None = None,
    *,
    rules: Rules = DEFAULT_RULES,
    cadence: timedelta = DEFAULT_CADENCE,
    zone: tzinfo = LONDON,
) -> Manifest:
    """Build the pack for ``area`` (every neighbourhood, or those named by id or name) as of
    ``as_of`` into ``out_dir``; movement is measured against ``previous_as_of`` (default: ``as_of``
    minus ``cadence``). Returns the manifest it also writes as ``manifest.json``."""
    check_area(area)
    previous = check_times(as_of, previous_as_of, cadence)
    snapshot = read.snapshot(con, as_of, previous, neighbourhoods, rules)
    pack = assess(snapshot, area, rules)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "pack.html", out_dir / "pack.pdf"]
    with ExitStack() as stack:
        drawing = None
        if len(pack.places) >= PDF_ELSEWHERE_PLACES:
            drawing = stack.enter_context(
                ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            )
            drawing.submit(pdf.register_fonts)
        doc = layout.document(pack, zone)
        if drawing is None:
            written[1].write_bytes(pdf.render(doc))
            written += _write_the_rest(doc, pack, out_dir, zone)
        else:
            drawn = drawing.submit(pdf.render, doc)
            written += _write_the_rest(doc, pack, out_dir, zone)
            written[1].write_bytes(drawn.result())
    manifest = Manifest(
        area=area,
        as_of=as_of,
        previous_as_of=previous,
        marking=pack.marking,
        neighbourhoods=tuple(p.neighbourhood_id for p in pack.places),
        files=tuple(
            sorted(
                (
                    FileEntry(
                        path=p.relative_to(out_dir).as_posix(), sha256=_digest(p), bytes=p.stat().st_size
                    )
                    for p in written
                ),
                key=lambda f: f.path,
            )
        ),
        rules=rules,
    )
    (out_dir / "manifest.json").write_text(manifest.as_json(), encoding="utf-8")
    log.info(
        "briefing_built",
        area=area,
        as_of=iso(as_of),
        neighbourhoods=len(pack.places),
        taskings=len(pack.taskings),
        evidence=len(pack.evidence),
        marking=pack.marking.value,
        files=len(manifest.files) + 1,
    )
    return manifest
