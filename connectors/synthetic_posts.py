"""A seeded generator of SYNTHETIC social posts about Camden's wards, in the ``social`` connector's format.

``python -m connectors.synthetic_posts [PATH] [--count N] [--seed S]`` writes JSON Lines (by default
``data/social/camden_posts_synthetic.jsonl``). Nothing here was ever posted: the posts are made up
from templates, ids start with ``synthetic-``, and the platform is ``synthetic``. They mix the
themes residents raise (drugs, anti-social behaviour, fly-tipping, noise, parking, speeding,
burglary, vehicle crime, violence and weapons), thanks and praise, rumours and a few hostile posts,
and some carry personal data - names, handles, e-mail addresses, phone numbers, postcodes, number
plates - so that redaction has something to show. Phone numbers are from Ofcom's drama ranges and
e-mail domains are example domains. Posts are placed by ward name, by ward id, or by a point inside
the ward, in turn; the same seed always writes the same file.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape

from connectors.evaluation.pii import STREETS
from engage.settings import REPO_ROOT, Settings

OUTPUT = REPO_ROOT / "data" / "social" / "camden_posts_synthetic.jsonl"
SEED = 7
START = datetime(2024, 6, 1, tzinfo=UTC)

FIRST = (
    "Dave",
    "Sarah",
    "Mo",
    "Priya",
    "Tom",
    "Aisha",
    "Gary",
    "Fatima",
    "Kwame",
    "Joanne",
    "Liam",
    "Zainab",
)
LAST = ("Smith", "Khan", "Okafor", "Murphy", "Patel", "Jones", "Begum", "Taylor")
HANDLES = (
    "kentish_mum",
    "nw5_dad",
    "camden_cyclist",
    "gospeloak_gary",
    "somers_town_tenant",
    "hampstead_hound",
)

POSTS: tuple[str, ...] = (
    "Drug dealing outside {spot} again tonight, same two lads on bikes.",
    "Needles left in the playground on {street}. Kids play there!",
    "Another moped gang snatching phones on {street}, third time this week.",
    "Fly-tipping on {street} is getting worse, mattresses and bin bags everywhere.",
    "Noise from the flat above until 4am every weekend, the council does nothing.",
    "Loud music from a car parked on {street} every night, can't sleep.",
    "Someone parked across my drive on {street} again. Reg {reg}.",
    "Speeding on {street} is terrifying, a car nearly hit a child on the crossing.",
    "Our shed was broken into last night, bikes stolen. {postcode}. Anyone see anything?",
    "Catalytic converter stolen from my car on {street} in broad daylight.",
    "Fight outside the pub on {street}, police everywhere.",
    "Teenagers with knives seen near {spot}. Please be careful.",
    "Huge thanks to PC {last} and the Safer Neighbourhoods Team for sorting out the dealing on {street}!",
    "Great PACT meeting tonight, really felt listened to. Well done everyone.",
    "Lovely to see the new street lights on {street}, feels much safer walking home.",
    "My neighbour {first} has been harassed by the same group every evening, it's not right.",
    "If anyone has CCTV of {street} between 10 and 11pm last night please email {email}.",
    "Lost cat near {spot}, ginger tom, please call {phone}.",
    "Graffiti all over the bus shelter on {street}, who do we report this to?",
    "Street drinking and begging outside {spot} all day, feels intimidating.",
    "Apparently there was a stabbing near {spot}, police won't tell you anything. Share before it's deleted!",
    "I heard they're moving a gang into the flats on {street}, people are saying the council covered it up.",
    "Unconfirmed, but someone said there was a shooting at {spot}. Can anyone confirm?",
    "Everyone get down there tonight and sort them out, we need to take matters into our own hands.",
    "These scum dealing on {street} are vermin, someone should run them out.",
    "Thanks @{handle} for reporting the abandoned van on {street}.",
    "Call {first} {last} on {phone} if you want to join the litter pick.",
    "The youth club on {street} is closing, where are the kids supposed to go?",
    "Racist abuse shouted at a family on {street} last night. Disgusting.",
    "Double parked vans blocking {street} every morning, the buses can't get through.",
)
SPOTS = (
    "the station",
    "the chicken shop",
    "the estate",
    "the park gates",
    "the canal towpath",
    "the market",
    "the school gates",
    "the library",
)


def _wards(boundaries: Path, id_property: str, name_property: str) -> list[tuple[str, str, Any]]:
    document = json.loads(boundaries.read_text(encoding="utf-8"))
    return [
        (str(f["properties"][id_property]), str(f["properties"][name_property]), shape(f["geometry"]))
        for f in document["features"]
    ]


def _point_in(geometry: Any, rng: random.Random) -> tuple[float, float]:
    min_x, min_y, max_x, max_y = geometry.bounds
    while True:
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if geometry.contains(Point(x, y)):
            return round(y, 5), round(x, 5)


def _fill(template: str, rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    values = {
        "street": rng.choice(STREETS),
        "spot": rng.choice(SPOTS),
        "first": first,
        "last": last,
        "handle": rng.choice(HANDLES),
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "phone": f"07700 900{rng.randint(0, 999):03d}",
        "postcode": f"NW{rng.choice((1, 3, 5, 6))} {rng.randint(1, 9)}{rng.choice('ABDEHJLNPQRSTUWXY')}"
        f"{rng.choice('ABDEHJLNPQRSTUWXY')}",
        "reg": f"{rng.choice(('LD', 'LK', 'LR', 'YX'))}{rng.choice((19, 21, 69, 72))} "
        f"{''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXY') for _ in range(3))}",
    }
    return template.format(**values)


def generate(count: int, seed: int, wards: Sequence[tuple[str, str, Any]]) -> list[dict[str, object]]:
    rng = random.Random(seed)
    posts: list[dict[str, object]] = []
    for index in range(count):
        ward_id, ward_name, geometry = rng.choice(wards)
        post: dict[str, object] = {
            "id": f"synthetic-{index + 1:04d}",
            "created_at": (START + timedelta(minutes=rng.randint(0, 30 * 24 * 60))).isoformat(),
            "platform": "synthetic",
            "text": _fill(POSTS[index % len(POSTS)] if index < len(POSTS) else rng.choice(POSTS), rng),
        }
        if rng.random() < 0.6:
            post["author"] = "@" + rng.choice(HANDLES)
        mode = index % 3
        if mode == 0:
            post["place"] = ward_name
        elif mode == 1:
            post["neighbourhood_id"] = ward_id
        else:
            post["lat"], post["lon"] = _point_in(geometry, rng)
        posts.append(post)
    return posts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.synthetic_posts", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=OUTPUT)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    settings = Settings()
    wards = _wards(settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property)
    args.path.parent.mkdir(parents=True, exist_ok=True)
    with args.path.open("w", encoding="utf-8") as out:
        for post in generate(args.count, args.seed, wards):
            out.write(json.dumps(post, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
