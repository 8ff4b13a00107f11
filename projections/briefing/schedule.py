"""When packs are due, and building the ones that are: a cron expression on the force's local clock.

``due_runs`` is pure. The ``Scheduler`` keeps no state of its own: the packs already built, each in
``<briefing_dir>/<area>/<as_of>/`` with its ``manifest.json``, say which ran, so a restart neither
repeats nor skips one. A pack is built in a ``.partial`` folder and renamed when complete, so a crash
mid-build leaves nothing that counts as done.

The cron expression is read on the local wall clock (``0 6 1,15 * *``: 06:00 London time on the 1st
and the 15th, GMT or BST), each time then placed in the zone; croniter is given naive times only,
because its own handling of zone-aware times repeats or shifts fire times across a clock change.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import structlog
from croniter import croniter

from engage.errors import ConfigurationError
from projections.briefing.builder import LONDON, Manifest, build, check_area
from projections.briefing.model import DEFAULT_RULES, Rules

log = structlog.get_logger(__name__)

DEFAULT_CRON = "0 6 1,15 * *"
"""06:00 on the 1st and the 15th: fortnightly or so, before a TT&CG."""
STAMP = "%Y%m%dT%H%M%SZ"
MANIFEST = "manifest.json"


def check_cron(cron: str) -> str:
    if not croniter.is_valid(cron):
        raise ConfigurationError(
            f"the briefing schedule {cron!r} is not a cron expression; give five fields, "
            "minute hour day-of-month month day-of-week, for example '0 6 1,15 * *'"
        )
    return cron


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(
            f"no time zone is called {name!r}; give an IANA name such as Europe/London"
        ) from exc


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _placed(wall: datetime, zone: tzinfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def due_runs(cron: str, last_run: datetime | None, now: datetime, zone: tzinfo = LONDON) -> list[datetime]:
    """The times (UTC) the schedule fell due after ``last_run`` up to ``now``, oldest first.

    With no run before, only the latest time due (a new installation builds the pack it would have
    built last, not a year of them).
    """
    check_cron(cron)
    if now.tzinfo is None or (last_run is not None and last_run.tzinfo is None):
        raise ConfigurationError("give the scheduler aware times (with their zone)")
    wall_now = _local(now, zone)
    if last_run is None:
        # one second on, so a fire time exactly at ``now`` counts as due
        latest = croniter(cron, wall_now + timedelta(seconds=1)).get_prev(datetime)
        return [_placed(latest, zone)]
    due: list[datetime] = []
    fires = croniter(cron, _local(last_run, zone))
    while (wall := fires.get_next(datetime)) <= wall_now:
        moment = _placed(wall, zone)
        if moment > last_run and (not due or moment > due[-1]):
            due.append(moment)
    return due


def previous_run(cron: str, as_of: datetime, zone: tzinfo = LONDON) -> datetime:
    """The schedule's time before ``as_of``: what the last pack knew, for movement."""
    return _placed(croniter(cron, _local(as_of, zone)).get_prev(datetime), zone)


def stamp(as_of: datetime) -> str:
    return as_of.astimezone(UTC).strftime(STAMP)


def built(folder: Path) -> list[datetime]:
    """The as-of times of the complete packs in an area's folder."""
    found = []
    if folder.is_dir():
        for child in folder.iterdir():
            if not (child / MANIFEST).is_file():
                continue
            try:
                found.append(datetime.strptime(child.name, STAMP).replace(tzinfo=UTC))
            except ValueError:
                continue
    return sorted(found)


class Scheduler:
    """Builds each area's packs as they fall due; ``run_pending(now)`` is the whole of its work.

    ``cursor`` gives a DuckDB connection to read through (the service passes ``con.cursor``);
    ``areas`` maps an area's name to its neighbourhoods (ids or names, None for all).
    """

    def __init__(
        self,
        cursor: Callable[[], duckdb.DuckDBPyConnection],
        briefing_dir: Path,
        cron: str = DEFAULT_CRON,
        areas: Mapping[str, Sequence[str] | None] | None = None,
        zone: tzinfo = LONDON,
        rules: Rules = DEFAULT_RULES,
    ) -> None:
        self._cursor = cursor
        self.briefing_dir = briefing_dir
        self.cron = check_cron(cron)
        self.areas = {check_area(a): s for a, s in (areas or {"all": None}).items()}
        self.zone = zone
        self.rules = rules

    def folder(self, area: str, as_of: datetime) -> Path:
        return self.briefing_dir / area / stamp(as_of)

    def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(area, as_of) of every pack due and not built."""
        pending = []
        for area in self.areas:
            done = built(self.briefing_dir / area)
            pending += [(area, t) for t in due_runs(self.cron, done[-1] if done else None, now, self.zone)]
        return pending

    def run_pending(self, now: datetime) -> list[Manifest]:
        made = []
        for area, as_of in self.due(now):
            target = self.folder(area, as_of)
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            con = self._cursor()
            try:
                manifest = build(
                    con,
                    area,
                    as_of,
                    partial,
                    self.areas[area],
                    previous_run(self.cron, as_of, self.zone),
                    rules=self.rules,
                    zone=self.zone,
                )
            finally:
                con.close()
            # a folder without a manifest is what a crash left behind: never a pack
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
            log.info("briefing_scheduled_run", area=area, as_of=stamp(as_of), folder=str(target))
            made.append(manifest)
        return made
