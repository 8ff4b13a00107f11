"""A seeded generator of SYNTHETIC meeting records for Camden's wards, in the ``meetings`` format.

No public source holds PACT or beat meeting records, so the example that ships with the repo is
made up here, and says so: the file is ``data/meetings/meetings_synthetic.jsonl`` and every id
starts ``SYN-``. The same seed gives the same bytes. Regenerate it with::

    python -m connectors.synthetic_meetings --out data/meetings/meetings_synthetic.jsonl

What it models, six months from September 2025, per ward:
- a PACT meeting about every eight weeks (19:00 on a weekday) that agrees one to three priorities
  from the issues raised, and reports back on the previous PACT's priorities (completed, in
  progress, or no action with a reason);
- now and then a beat meeting, Saturday surgeries, street meetings (placed by a point inside the
  ward) and an online meeting;
- issues drawn from a seeded mix in which each ward leans towards two themes, about a third of them
  given only as free text (which the connector classifies), a few carrying contact details that the
  connector must redact (drama-range phone numbers, example.org e-mails, a full postcode);
- attendee groups as counts for the room.
Two borough-wide online meetings are placed at "Camden", which is no ward: they show how a record
that cannot be placed is rejected. Nothing here is a finding about any ward.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import structlog
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from connectors.values import LONDON
from engage.settings import REPO_ROOT, Settings
from events import Theme

log = structlog.get_logger(__name__)

DEFAULT_OUT = REPO_ROOT / "data" / "meetings" / "meetings_synthetic.jsonl"
DEFAULT_SEED = 2026
START = date(2025, 9, 1)
DAYS = 181
BOROUGH_WIDE = "Camden"

ISSUE_TEXTS: dict[Theme, tuple[str, ...]] = {
    Theme.DRUGS: (
        "Drug dealing by the station entrance most evenings",
        "Cannabis smoked openly in the stairwells of the estate",
        "Needles left in the play area",
        "Nitrous oxide canisters all over the square after weekends",
    ),
    Theme.ANTI_SOCIAL_BEHAVIOUR: (
        "Street drinking on the benches outside the shops",
        "Rowdy groups intimidating people at the bus stop",
        "Aggressive begging outside the supermarket",
    ),
    Theme.ROAD_SAFETY: (
        "Cars speeding down the hill past the primary school",
        "Dangerous driving and racing at night on the high road",
        "No safe crossing for pedestrians at the junction",
    ),
    Theme.BURGLARY: (
        "Several burglaries on our road since the clocks changed",
        "Sheds and garages burgled along the back gardens",
    ),
    Theme.VEHICLE_CRIME: (
        "Catalytic converters stolen from parked cars",
        "Mopeds used to snatch phones near the market",
    ),
    Theme.ROBBERY: (
        "Young people robbed of phones on the way home from school",
        "Mugging near the canal path",
    ),
    Theme.THEFT: (
        "Shoplifting from the corner shops every day",
        "Bikes stolen from the racks outside the library",
    ),
    Theme.VIOLENCE: (
        "Fights outside the pubs at closing time",
        "An assault on the estate last month worries people",
    ),
    Theme.WEAPONS: ("Knives found hidden in the bushes by the youth club",),
    Theme.YOUTH_NUISANCE: (
        "Youths gathering in the stairwells late at night",
        "Kids on bikes riding at people on the pavement",
    ),
    Theme.NOISE: ("Loud music from the flats until the early hours", "Noisy parties in the short-let flats"),
    Theme.ENVIRONMENT: ("Fly-tipping in the alley behind the shops", "Rubbish dumped by the recycling bins"),
    Theme.CRIMINAL_DAMAGE: ("Graffiti on the community centre again", "Bus shelter smashed twice this month"),
    Theme.PARKING: ("Pavement parking blocking wheelchairs and buggies",),
    Theme.HATE: ("Racist abuse shouted at shopkeepers",),
    Theme.PUBLIC_ORDER: ("Disorder when the football crowds come through",),
}
"""Free text of the kind residents raise; each one is classified to its key by connectors.classify."""

CONTACT_NOTES = (
    "resident asked to be called back on 020 7946 0{n:03d}",
    "details from resident{n}@example.org",
    "happens outside NW5 1TL",
)
"""Contact details as they slip into notes; all from reserved or example ranges."""

ACTIONS: dict[str, tuple[str, ...]] = {
    "completed": (
        "Extra patrols at the times residents named, with {n} stops and two arrests",
        "Joint visit with the council; the hotspot was cleared and a warning letter sent",
        "Crime prevention stall held and {n} households given advice",
        "Closure notice obtained for the address named",
    ),
    "in_progress": (
        "Patrol plan running for another four weeks",
        "Waiting for the council to install the camera agreed",
        "Working with the school on safer routes home",
    ),
    "no_action": ("",),
}
REASONS = (
    "Officers were taken off the ward for a major event",
    "It is a council matter and was referred to them",
    "Not enough information to act on; residents asked to report each time",
)
GROUPS = ("older_people", "young_people", "residents", "business", "students", "minority_ethnic", "disabled")


@dataclass(frozen=True)
class Ward:
    id: str
    name: str
    geometry: BaseGeometry


def load_wards(path: Path, id_property: str, name_property: str) -> list[Ward]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        Ward(str(f["properties"][id_property]), str(f["properties"][name_property]), shape(f["geometry"]))
        for f in document["features"]
    ]


def point_in(ward: Ward, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = ward.geometry.bounds
    while True:
        lat, lon = round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5)
        if ward.geometry.contains(Point(lon, lat)):
            return lat, lon


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=LONDON).isoformat()


def _weekday_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


class _Writer:
    """Builds one ward's meetings; carries the seeded state so that each choice is reproducible."""

    def __init__(self, ward: Ward, rng: random.Random, counter: Iterator[int]) -> None:
        self.ward, self.rng, self.counter = ward, rng, counter
        themes = list(ISSUE_TEXTS)
        self.weights = [1.0 + rng.random() for _ in themes]
        for leaning in rng.sample(range(len(themes)), 2):
            self.weights[leaning] += 6.0
        self.themes = themes

    def where(self, kind: str) -> object:
        if kind == "street":
            lat, lon = point_in(self.ward, self.rng)
            return {"lat": lat, "lon": lon}
        if self.rng.random() < 0.2:
            return {"neighbourhood_id": self.ward.id}
        return {"ward": self.ward.name}

    def issues(self, attendance: int) -> list[dict[str, Any]]:
        chosen = dict.fromkeys(self.rng.choices(self.themes, weights=self.weights, k=self.rng.randint(1, 4)))
        issues = []
        for theme in chosen:
            text = self.rng.choice(ISSUE_TEXTS[theme])
            if self.rng.random() < 0.06:
                note = self.rng.choice(CONTACT_NOTES).format(n=self.rng.randint(100, 999))
                text = f"{text} ({note})"
            votes = self.rng.randint(1, max(1, attendance))
            style = self.rng.random()
            if style < 0.33:
                issues.append({"text": text, "votes": votes})
            elif style < 0.66:
                issues.append({"theme": theme.value, "votes": votes})
            else:
                issues.append({"theme": theme.value, "text": text, "votes": votes})
        return issues

    def groups(self, attendance: int) -> dict[str, int]:
        labels = self.rng.sample(GROUPS, self.rng.randint(1, 4))
        return {label: self.rng.randint(0, max(1, attendance // 2)) for label in labels}

    def meeting(self, kind: str, when: str, attendance: int) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": f"SYN-CAM-{kind.upper()}-{next(self.counter):04d}",
            "when": when,
            "kind": kind,
            "where": self.where(kind),
            "attendance": attendance,
            "attendee_groups": self.groups(attendance),
            "issues_raised": self.issues(attendance),
            "priorities_agreed": [],
            "actions_reported": [],
        }
        return record

    def agree(self, record: dict[str, Any]) -> list[str]:
        ranked = sorted(record["issues_raised"], key=lambda issue: -int(issue["votes"]))
        agreed = [str(issue["theme"]) for issue in ranked if "theme" in issue][: self.rng.randint(1, 3)]
        record["priorities_agreed"] = agreed
        return agreed

    def report_back(self, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
        if previous is None:
            return
        issue_date = previous["when"][:10]
        for theme in previous["priorities_agreed"]:
            outcome = self.rng.choices(("completed", "in_progress", "no_action"), weights=(55, 30, 15))[0]
            action = self.rng.choice(ACTIONS[outcome]).format(n=self.rng.randint(3, 40))
            entry: dict[str, Any] = {"theme": theme, "action": action, "outcome": outcome}
            if outcome == "no_action":
                entry["reason"] = self.rng.choice(REASONS)
            entry["issue_date"] = issue_date
            entry["priority_ref"] = f"{previous['id']}/{theme}"
            record["actions_reported"].append(entry)

    def records(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        previous_pact: dict[str, Any] | None = None
        day = START + timedelta(days=rng.randint(0, 20))
        while day < START + timedelta(days=DAYS):
            pact = self.meeting("pact", _at(_weekday_after(day, rng.randint(0, 3)), 19), rng.randint(8, 35))
            self.agree(pact)
            self.report_back(pact, previous_pact)
            previous_pact = pact
            yield pact
            day += timedelta(weeks=rng.randint(7, 9))
        for _ in range(rng.randint(1, 3)):
            offset = timedelta(days=rng.randint(0, DAYS - 1))
            yield self.meeting("surgery", _at(_weekday_after(START + offset, 5), 11), rng.randint(2, 12))
        for _ in range(rng.randint(0, 2)):
            offset = timedelta(days=rng.randint(0, DAYS - 1))
            yield self.meeting("street", _at(START + offset, rng.choice((10, 14, 17))), rng.randint(4, 20))
        if rng.random() < 0.4:
            beat = self.meeting(
                "beat", _at(START + timedelta(days=rng.randint(0, DAYS - 1)), 18), rng.randint(5, 25)
            )
            self.agree(beat)
            yield beat
        if rng.random() < 0.3:
            offset = timedelta(days=rng.randint(0, DAYS - 1))
            yield self.meeting("online", _at(START + offset, 20), rng.randint(10, 45))


def generate(wards: Sequence[Ward], seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Every ward's meetings and two borough-wide ones, in time order."""
    rng = random.Random(seed)
    counter = iter(range(1, 100_000))
    records: list[dict[str, Any]] = []
    for ward in sorted(wards, key=lambda w: w.id):
        records.extend(_Writer(ward, rng, counter).records())
    for _ in range(2):
        borough = _Writer(Ward("", BOROUGH_WIDE, wards[0].geometry), rng, counter)
        online = borough.meeting("online", _at(START + timedelta(days=rng.randint(0, DAYS - 1)), 20), 60)
        online["where"] = BOROUGH_WIDE
        records.append(online)
    return sorted(records, key=lambda r: (r["when"], r["id"]))


def write_jsonl(records: Sequence[dict[str, Any]], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    settings = Settings()
    wards = load_wards(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    written = write_jsonl(generate(wards, args.seed), args.out)
    log.info("synthetic_meetings_written", records=written, file=str(args.out))


if __name__ == "__main__":
    main()
