"""Open data: each neighbourhood's priorities and what was done, in police.uk's shape, under the OGL.

Built only from the feedback read model (which theme became a priority, when, and the status of what
was done), never from free text: ``issue`` is the theme's name and ``action`` a sentence chosen by the
status, so no resident's or officer's words, and nothing personal, can reach it. Priorities set or
acted on in an event marked above OFFICIAL are left out. Dates are London time without an offset,
as police.uk publishes them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, tzinfo
from pathlib import Path

from events import ProtectiveMarking
from projections.briefing.model import FeedbackRow, Pack, iso, theme_label

LICENCE = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."
FOLDER = "open_data"

ACTIONS = {
    "in_progress": "Action is under way.",
    "actioned": "Action was taken.",
    "no_action": "No action was taken.",
}
"""The ``action`` text by status: never the recorded action's own words."""


def _date(value: datetime | None, zone: tzinfo) -> str | None:
    return None if value is None else value.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def priority(row: FeedbackRow, zone: tzinfo) -> dict[str, str | None]:
    """One priority as police.uk publishes it (its keys in its order)."""
    action = ACTIONS.get(row.status)
    if action is not None and row.reported_back:
        action += " It was reported back to the community."
    return {
        "action": None if action is None else f"<p>{action}</p>",
        "issue-date": _date(row.priority_set_at, zone),
        "action-date": None if action is None else _date(row.last_action_at, zone),
        "issue": f"<p>{theme_label(row.theme)}</p>",
    }


def documents(pack: Pack, zone: tzinfo) -> dict[str, dict[str, object]]:
    """Per neighbourhood id, its open-data document."""
    published: dict[str, list[FeedbackRow]] = {}
    for f in pack.feedback:
        if f.status != "action_without_priority" and (f.neighbourhood_id, f.theme) not in pack.restricted:
            published.setdefault(f.neighbourhood_id, []).append(f)
    out: dict[str, dict[str, object]] = {}
    for place in pack.places:
        rows = sorted(
            published.get(place.neighbourhood_id, ()),
            key=lambda f: (f.priority_set_at or pack.as_of, f.theme),
        )
        out[place.neighbourhood_id] = {
            "licence": LICENCE,
            "licence_url": LICENCE_URL,
            "attribution": ATTRIBUTION,
            "marking": ProtectiveMarking.OFFICIAL.value,
            "neighbourhood": {"id": place.neighbourhood_id, "name": place.name},
            "as_of": iso(pack.as_of),
            "priorities": [priority(f, zone) for f in rows],
        }
    return out


def write(pack: Pack, out_dir: Path, zone: tzinfo) -> list[Path]:
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    # a pack built again into the same folder for fewer neighbourhoods leaves no stale file behind
    for stale in folder.glob("*_priorities.json"):
        stale.unlink()
    written = []
    for nid, document in documents(pack, zone).items():
        path = folder / f"{re.sub(r'[^A-Za-z0-9_-]', '_', nid)}_priorities.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
