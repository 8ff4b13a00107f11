"""A seeded generator of SYNTHETIC police.uk priorities and events for one Camden ward.

The police.uk API publishes a neighbourhood's priorities and events in the shape of the real
Leicestershire samples in ``data/police_uk/`` (kept with their licence); Camden's are not in this
repo, so these files imitate that shape for King's Cross (E36007170) and say so in their names:
``camden_E36007170_priorities_synthetic.json`` and ``camden_E36007170_events_synthetic.json``. The
part before ``_priorities``/``_events`` names the ward, which is how the connectors place them
without ``--neighbourhood``. Regenerate with::

    python -m connectors.synthetic_police_uk --out-dir data/police_uk

Priorities carry HTML as police.uk's do; two actions give a contact e-mail (one as a ``mailto:``
link) that must be redacted. Events carry contact details (a made-up officer's name, an example.org
e-mail, a drama-range phone number) and addresses with full postcodes, none of which may be
published. One event, a bike-marking stall, is not a meeting: it is refused as unmapped.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from engage.settings import REPO_ROOT

log = structlog.get_logger(__name__)

DEFAULT_DIR = REPO_ROOT / "data" / "police_uk"
DEFAULT_SEED = 2026
WARD_ID = "E36007170"
PRIORITIES_FILE = f"camden_{WARD_ID}_priorities_synthetic.json"
EVENTS_FILE = f"camden_{WARD_ID}_events_synthetic.json"
START = datetime(2025, 9, 1)

PRIORITIES: tuple[tuple[str, str | None], ...] = (
    (
        "<p>To reduce drug dealing around the station entrances and the canal towpath.</p>",
        "<p>Plain-clothes patrols at the times residents named; three arrests for possession with intent "
        "to supply. Report dealing to <a href='mailto:kingscross.snt@example.org'>the team</a>.</p>",
    ),
    (
        "<p>Tackle phone snatches by moped riders on Euston Road &amp; York Way.</p>",
        "<p>Joint operation with the roads policing unit; crime prevention advice given at the station.</p>",
    ),
    ("<p>Reduce anti-social behaviour and street drinking in the gardens off Argyle Street.</p>", None),
    (
        "<p>Reduce shoplifting from the stores around the concourse.</p>",
        "<p>Retailers briefed; the team can be reached at kingscross.snt@example.org.</p>",
    ),
    ("<p>Improve road safety for pedestrians crossing at the Pentonville Road junction.</p>", None),
)
"""(issue, action) as a force would word them; made up, not King's Cross's real priorities."""

EVENTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("King's Cross Ward Panel", "meeting", "<p>Quarterly ward panel: set the next priorities.</p>", "19:00"),
    ("Drop-in beat surgery", "meeting", None, "11:00"),
    (
        "Street briefing on Caledonian Road",
        "meeting",
        "Meet the team on the corner of Keystone Crescent.",
        "17:00",
    ),
    ("Online community meeting", "meeting", "<p>Join on Microsoft Teams; link on request.</p>", "19:30"),
    ("Cuppa with a Copper", "surgery", "Tea and a chat at the library cafe.", "10:30"),
    (
        "PACT meeting",
        "meeting",
        "<p>Partners and Communities Together: review of the priorities.</p>",
        "18:30",
    ),
    ("Bike marking", "other", "<p>Bring your bike and proof of ownership.</p>", "12:00"),
)
"""(title, type, description, start time)."""

VENUES = (
    "Crowndale Centre, 218 Eversholt Street, NW1 1BD",
    "St Pancras Library, 100 Euston Road, N1C 4AG",
    "Somers Town Community Centre, 150 Ossulston Street, NW1 1EE",
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def priorities(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for issue, action in PRIORITIES:
        issued = START + timedelta(days=rng.randint(0, 120))
        acted = issued + timedelta(days=rng.randint(14, 60)) if action else None
        out.append(
            {
                "action": action,
                "issue-date": _stamp(issued),
                "action-date": _stamp(acted) if acted else None,
                "issue": issue,
            }
        )
    return out


def events(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for title, kind, description, at in EVENTS:
        day = START + timedelta(days=rng.randint(0, 150))
        hour, minute = (int(part) for part in at.split(":"))
        start = day.replace(hour=hour, minute=minute)
        out.append(
            {
                "contact_details": {
                    "name": "PC Alex Example",
                    "email": "kingscross.snt@example.org",
                    "telephone": f"020 7946 0{rng.randint(100, 999)}",
                },
                "description": description,
                "title": title,
                "address": rng.choice(VENUES),
                "type": kind,
                "start_date": _stamp(start),
                "end_date": _stamp(start + timedelta(hours=rng.choice((1, 2)))),
            }
        )
    return sorted(out, key=lambda event: str(event["start_date"]))


def write(out_dir: Path, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, records in ((PRIORITIES_FILE, priorities(rng)), (EVENTS_FILE, events(rng))):
        path = out_dir / name
        path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written[0], written[1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    for path in write(args.out_dir, args.seed):
        log.info("synthetic_police_uk_written", file=str(path))


if __name__ == "__main__":
    main()
