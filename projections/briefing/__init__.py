"""The TT&CG pack for an area as of a time (docs/briefing.md).

A summary; each neighbourhood's top priorities and their movement since the last pack; emerging
issues; tension and its changes with their evidence; recommended taskings with their reasons;
coverage gaps and whom to engage next; you said, we did; an appendix of evidence. For people as
``pack.html`` and ``pack.pdf``, for systems as CSV, JSON and Parquet, for the public as open data in
police.uk's shape; listed with their SHA-256 in ``manifest.json``.

    from projections.briefing import build
    manifest = build(con, "camden", as_of, Path("var/briefings/camden/now"))
"""

from projections.briefing.builder import DEFAULT_CADENCE, FileEntry, Manifest, build
from projections.briefing.command import (
    BriefRequest,
    brief_from_file,
    cli,
    handle_request,
    parse_neighbourhoods,
    parse_time,
    scheduler,
)
from projections.briefing.model import DEFAULT_RULES, Rules
from projections.briefing.read import UnknownNeighbourhood
from projections.briefing.schedule import DEFAULT_CRON, Scheduler, due_runs

__all__ = [
    "DEFAULT_CADENCE",
    "DEFAULT_CRON",
    "DEFAULT_RULES",
    "BriefRequest",
    "FileEntry",
    "Manifest",
    "Rules",
    "Scheduler",
    "UnknownNeighbourhood",
    "brief_from_file",
    "build",
    "cli",
    "due_runs",
    "handle_request",
    "parse_neighbourhoods",
    "parse_time",
    "scheduler",
]
