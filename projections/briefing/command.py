"""The thin edges around ``build``: what ``engage brief`` and the service's ``POST /brief`` call.

- ``cli`` (and ``brief_from_file`` under it): the command with the read-side service down (opens the
  file read-only); with the service up, the command posts a ``BriefRequest`` to it instead.
- ``handle_request``: the service's handler body, on the connection the service owns; packs go to
  ``<briefing_dir>/<area>/<as_of>/`` only (a client never chooses where the service writes).
- ``scheduler``: the ``Scheduler`` configured from the settings, for the service's thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import duckdb
from pydantic import AwareDatetime, ValidationError

from engage.errors import ConfigurationError, ServiceUnavailable
from engage.settings import Settings
from events import Frozen
from projections import store
from projections.briefing.builder import Manifest, build, check_area
from projections.briefing.model import iso
from projections.briefing.schedule import Scheduler, stamp, zone_of


class BriefRequest(Frozen):
    """The body of ``POST /brief``."""

    area: str = "all"
    as_of: AwareDatetime
    neighbourhoods: tuple[str, ...] | None = None
    """Ids or names; none for every neighbourhood."""
    previous_as_of: AwareDatetime | None = None
    """The last pack's time; default ``as_of`` minus the cadence."""


def output_dir(settings: Settings, area: str, as_of: datetime) -> Path:
    return settings.briefing_root / check_area(area) / stamp(as_of)


def parse_time(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is the force's local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigurationError(
            f"{text!r} is not a date or time; give ISO 8601, e.g. 2026-02-15 or 2026-02-15T06:00"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_neighbourhoods(text: str | None) -> tuple[str, ...] | None:
    """A comma-separated list of ids or names; empty or absent means every neighbourhood."""
    if text is None or not text.strip():
        return None
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _cadence(settings: Settings) -> timedelta:
    return timedelta(days=settings.briefing_cadence_days)


def build_request(con: duckdb.DuckDBPyConnection, settings: Settings, request: BriefRequest) -> Manifest:
    return build(
        con,
        request.area,
        request.as_of,
        output_dir(settings, request.area, request.as_of),
        request.neighbourhoods,
        request.previous_as_of,
        cadence=_cadence(settings),
        zone=zone_of(settings.briefing_timezone),
    )


def handle_request(con: duckdb.DuckDBPyConnection, settings: Settings, body: bytes) -> dict[str, object]:
    """Build the pack a ``POST /brief`` body asks for; answer the manifest and the folder.

    Raises ``ConfigurationError`` (a 400 for the client) when the body or a name in it is wrong.
    """
    try:
        request = BriefRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise ConfigurationError(
            "the body must be JSON like "
            '{"area": "camden", "as_of": "2026-02-15T06:00:00Z", "neighbourhoods": ["E05000128"]}: '
            + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc
    manifest = build_request(con, settings, request)
    answer: dict[str, object] = json.loads(manifest.as_json())
    answer["folder"] = str(output_dir(settings, request.area, request.as_of))
    return answer


def brief_from_file(
    settings: Settings,
    *,
    area: str = "all",
    as_of: datetime,
    neighbourhoods: Sequence[str] | None = None,
    previous_as_of: datetime | None = None,
    out_dir: Path | None = None,
) -> Manifest:
    """``engage brief`` while the read-side service is down: read the database file directly."""
    if not settings.database.exists():
        raise ServiceUnavailable(f"no database at {settings.database}; run `engage up` and ingest first")
    try:
        con = store.connect(settings.database, read_only=True)
    except duckdb.IOException as exc:
        raise ServiceUnavailable(
            f"{settings.database} is held by another process ({exc}); ask the read-side service for the pack"
        ) from exc
    try:
        return build(
            con,
            area,
            as_of,
            out_dir or output_dir(settings, area, as_of),
            neighbourhoods,
            previous_as_of,
            cadence=_cadence(settings),
            zone=zone_of(settings.briefing_timezone),
        )
    finally:
        con.close()


def cli(
    settings: Settings,
    *,
    area: str = "all",
    as_of: str,
    neighbourhoods: str | None = None,
    previous_as_of: str | None = None,
    out_dir: Path | None = None,
) -> dict[str, object]:
    """``engage brief`` with the service down, from the command line's text: builds the pack and
    answers the one JSON line to print (times without an offset are the force's local time)."""
    zone = zone_of(settings.briefing_timezone)
    when = parse_time(as_of, zone)
    folder = out_dir or output_dir(settings, area, when)
    manifest = brief_from_file(
        settings,
        area=area,
        as_of=when,
        neighbourhoods=parse_neighbourhoods(neighbourhoods),
        previous_as_of=None if previous_as_of is None else parse_time(previous_as_of, zone),
        out_dir=folder,
    )
    return {
        "area": manifest.area,
        "as_of": iso(manifest.as_of),
        "previous_as_of": iso(manifest.previous_as_of),
        "marking": manifest.marking.value,
        "neighbourhoods": len(manifest.neighbourhoods),
        "files": len(manifest.files) + 1,
        "folder": str(folder),
    }


def scheduler(settings: Settings, cursor: Callable[[], duckdb.DuckDBPyConnection]) -> Scheduler:
    """The scheduled packs for every neighbourhood (area ``all``), from the settings."""
    return Scheduler(
        cursor,
        settings.briefing_root,
        settings.briefing_cron,
        zone=zone_of(settings.briefing_timezone),
    )
