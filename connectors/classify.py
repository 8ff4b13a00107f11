"""The theme of free text, by keywords: for posts, meeting notes, survey comments and published priorities.

A transparent rule set an analyst can read and a force can extend, not a learned model: every
match can be explained by the word that made it. The first theme, in ``KEYWORDS`` order, with the
most matching keywords wins; text matching none is ``Theme.OTHER`` (and connectors count those).
Keywords match whole words or word prefixes marked with ``*`` ("burgl*" matches "burglaries").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from events import Theme

KEYWORDS: Mapping[Theme, Sequence[str]] = MappingProxyType(
    {
        # Order matters only for ties: the more specific and more harmful themes come first.
        Theme.HATE: (
            "hate crime",
            "racis*",
            "racial*",
            "homophob*",
            "transphob*",
            "islamophob*",
            "antisemit*",
            "anti-semit*",
            "xenophob*",
            "bigot*",
            "hate incident*",
        ),
        Theme.WEAPONS: ("knife", "knives", "machete*", "gun", "guns", "firearm*", "weapon*", "stabbing*"),
        Theme.VIOLENCE: (
            "assault*",
            "violence",
            "violent",
            "attack*",
            "fight*",
            "stabbed",
            "punched",
            "beaten",
            "domestic abuse",
        ),
        Theme.ROBBERY: ("robbery", "robberies", "robbed", "mugged", "mugging*"),
        Theme.DRUGS: (
            "drug*",
            "dealing",
            "dealer*",
            "cannabis",
            "weed",
            "cocaine",
            "heroin",
            "crack",
            "needle*",
            "syringe*",
            "county lines",
            "nitrous",
            "laughing gas",
        ),
        Theme.BURGLARY: ("burglar*", "burgl*", "break-in*", "broke into", "breaking into", "break in"),
        Theme.VEHICLE_CRIME: (
            "car theft",
            "stolen car*",
            "catalytic",
            "vehicle crime",
            "car broken into",
            "theft from vehicle*",
            "moped*",
        ),
        Theme.PUBLIC_ORDER: ("disorder", "riot*", "protest*", "unrest", "brawl*", "public order"),
        Theme.THEFT: ("theft*", "thief", "thieves", "stolen", "steal*", "shoplift*", "pickpocket*"),
        Theme.CRIMINAL_DAMAGE: ("graffiti", "vandal*", "criminal damage", "smashed", "arson", "damaged"),
        Theme.ROAD_SAFETY: (
            "speeding",
            "speed*",
            "road safety",
            "dangerous driving",
            "reckless driving",
            "traffic",
            "pedestrian*",
            "crossing",
            "racing",
            "uninsured",
        ),
        Theme.YOUTH_NUISANCE: ("youths", "teenagers", "youth*", "kids", "gang*", "loitering"),
        Theme.ANTI_SOCIAL_BEHAVIOUR: (
            "anti-social",
            "antisocial",
            "asb",
            "nuisance",
            "begging",
            "street drinking",
            "drunk*",
            "rowdy",
            "intimidat*",
            "harass*",
        ),
        Theme.NOISE: ("noise", "noisy", "loud", "music", "party", "parties"),
        Theme.ENVIRONMENT: (
            "fly-tip*",
            "flytip*",
            "fly tip*",
            "litter*",
            "rubbish",
            "dumped",
            "dumping",
            "waste",
            "dog fouling",
            "bins",
            "overgrown",
        ),
        Theme.PARKING: ("parking", "parked", "double parked", "blocking driveway*", "pavement parking"),
    }
)


def _pattern(keyword: str) -> str:
    stem = keyword.removesuffix("*")
    tail = r"[\w-]*" if keyword.endswith("*") else ""
    return re.escape(stem).replace(r"\ ", r"\s+") + tail


_PATTERNS: Mapping[Theme, re.Pattern[str]] = MappingProxyType(
    {
        theme: re.compile(r"\b(?:" + "|".join(_pattern(k) for k in words) + r")\b", re.IGNORECASE)
        for theme, words in KEYWORDS.items()
    }
)


def matches(text: str) -> dict[Theme, int]:
    """How many keyword hits each theme has in ``text`` (themes with none are left out)."""
    found: dict[Theme, int] = {}
    for theme, pattern in _PATTERNS.items():
        hits = len(pattern.findall(text))
        if hits:
            found[theme] = hits
    return found


def classify(text: str) -> Theme:
    """The theme with the most keyword hits; ties go to the theme listed first; none is ``OTHER``."""
    found = matches(text)
    if not found:
        return Theme.OTHER
    order = list(KEYWORDS)
    return max(found, key=lambda theme: (found[theme], -order.index(theme)))
