"""A seeded generator of a SYNTHETIC StreetSafe-style survey export over Camden's wards.

Survey microdata is not published, so the example that ships with the repo is made up here and
says so: ``data/surveys/camden_streetsafe_synthetic.csv``, read with the hand-written mapping
``camden_streetsafe_synthetic.yaml`` beside it (whose answer labels this module shares). The same
seed gives the same bytes. Regenerate it with::

    python -m connectors.synthetic_surveys --out data/surveys/camden_streetsafe_synthetic.csv

What it models: 400 responses in January and February 2026. A respondent gives a point on a map
(about six in ten), picks a ward from a list (three in ten), or gives only a postcode: a district
(NW5) or, now and then, a full postcode, both of which the connector must refuse to place. Each
ward leans towards two concerns (seeded, not a finding). Respondents give an e-mail or the tool's
id or nothing, and about one in ten answers twice, so pseudonyms repeat. Some comments carry a
phone number or a full postcode, which must never be published. Two responses pick "E-scooters on
the pavement", an answer the survey added late and the mapping does not list: they are refused as
unmapped until a line is added.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import structlog

from connectors.synthetic_meetings import Ward, load_wards, point_in
from connectors.values import LONDON
from engage.settings import REPO_ROOT, Settings

log = structlog.get_logger(__name__)

DEFAULT_OUT = REPO_ROOT / "data" / "surveys" / "camden_streetsafe_synthetic.csv"
DEFAULT_SEED = 2026
RESPONSES = 400
START = date(2026, 1, 1)
DAYS = 59
HEADER = (
    "response_id",
    "submitted_at",
    "respondent",
    "ward",
    "lat",
    "lon",
    "postcode",
    "main_concerns",
    "feel_safe",
    "confidence_in_police",
    "age_band",
    "identifies_as",
    "comment",
)

CONCERNS = (
    "Drug dealing or drug use",
    "Harassment or being followed",
    "Groups hanging around",
    "Street drinking",
    "Poor street lighting",
    "Isolated or deserted area",
    "Graffiti or vandalism",
    "Speeding or dangerous driving",
    "Knife crime",
    "Phone or bag snatching",
    "Burglary",
    "Vehicle crime",
    "Litter or fly-tipping",
    "Noise",
    "Hate crime or abuse",
    "Other",
)
"""The answers the mapping lists; one more, below, it does not."""
UNLISTED_CONCERN = "E-scooters on the pavement"
FEEL_SAFE = ("Very unsafe", "Fairly unsafe", "Neither safe nor unsafe", "Fairly safe", "Very safe")
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "Prefer not to say")
IDENTITIES = ("Woman or girl", "Disabled", "LGBTQ+", "Minority ethnic", "Student", "Shift worker")
DISTRICTS = ("NW1", "NW3", "NW5", "NW6", "WC1", "WC2", "N6", "N19")
FULL_POSTCODES = ("NW3 2QG", "NW5 4LB", "WC1H 9JE")
COMMENTS = (
    "The underpass near the station feels threatening after dark",
    "Men hanging around the cashpoint harass women walking past",
    "Drug dealing in the park every evening, people are scared to use it",
    "Cars speeding on the side streets, someone will be hurt",
    "More lighting please on the canal towpath",
    "Thank you to the officers who walked me home",
    "Please call me back on 07700 900{n} about what I saw",
    "It happened right outside my door at NW1 {d}AB",
)
"""Comment templates; ``{n}`` and ``{d}`` vary the numbers. The phones are Ofcom's drama range."""


def _respondent(rng: random.Random, index: int, earlier: list[str]) -> str:
    if earlier and rng.random() < 0.1:
        return rng.choice(earlier)
    roll = rng.random()
    if roll < 0.55:
        value = f"respondent{index:04d}@example.com"
    elif roll < 0.85:
        value = f"SS-{rng.randint(100000, 999999)}"
    else:
        return ""
    earlier.append(value)
    return value


def generate(wards: Sequence[Ward], seed: int = DEFAULT_SEED, responses: int = RESPONSES) -> list[list[str]]:
    """The CSV rows (header first), in submission order."""
    rng = random.Random(seed)
    leanings = {ward.id: rng.sample(range(len(CONCERNS) - 1), 2) for ward in wards}
    unlisted_rows = set(rng.sample(range(responses), 2))
    earlier: list[str] = []
    stamps = sorted(
        datetime.combine(START + timedelta(days=rng.randint(0, DAYS - 1)), time(), tzinfo=LONDON)
        + timedelta(minutes=rng.randint(7 * 60, 23 * 60))
        for _ in range(responses)
    )
    rows: list[list[str]] = [list(HEADER)]
    for index, stamp in enumerate(stamps):
        ward = rng.choice(wards)
        weights = [1.0] * len(CONCERNS)
        for leaning in leanings[ward.id]:
            weights[leaning] += 5.0
        concerns = list(dict.fromkeys(rng.choices(CONCERNS, weights=weights, k=rng.randint(1, 3))))
        if index in unlisted_rows:
            concerns[-1] = UNLISTED_CONCERN
        # Responses with the unlisted answer name their ward: the answer is what they are refused for.
        place = 0.7 if index in unlisted_rows else rng.random()
        ward_name, lat, lon, postcode = "", "", "", ""
        if place < 0.6:
            latitude, longitude = point_in(ward, rng)
            lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
        elif place < 0.9:
            ward_name = ward.name
        elif place < 0.97:
            postcode = rng.choice(DISTRICTS)
        else:
            postcode = rng.choice(FULL_POSTCODES)
        comment = ""
        if rng.random() < 0.3:
            comment = rng.choice(COMMENTS).format(n=rng.randint(100, 999), d=rng.randint(0, 9))
        identities = rng.sample(IDENTITIES, rng.choice((0, 0, 1, 1, 2)))
        rows.append(
            [
                f"R{index + 1:05d}",
                stamp.strftime("%d/%m/%Y %H:%M"),
                _respondent(rng, index + 1, earlier),
                ward_name,
                lat,
                lon,
                postcode,
                "; ".join(concerns),
                rng.choice((*FEEL_SAFE, "")),
                rng.choice(("1", "2", "3", "4", "5", "")),
                rng.choice(AGE_BANDS),
                "; ".join(identities),
                comment,
            ]
        )
    return rows


def write_csv(rows: Sequence[Sequence[str]], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    settings = Settings()
    wards = load_wards(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )
    written = write_csv(generate(wards, args.seed), args.out)
    log.info("synthetic_survey_written", responses=written, file=str(args.out))


if __name__ == "__main__":
    main()
