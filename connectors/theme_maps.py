"""Every source's categories mapped to the one theme vocabulary (``events.themes.Theme``), in one place.

Each table is keyed by the source's own category in lower case. A category a table does not hold maps
to ``Theme.OTHER``: the record is kept, and the ingest summary counts it (``unmapped_other``), so an
analyst sees how much of a feed the tables do not yet explain. Free text is themed by keywords
instead (``connectors.classify``); the council CSV connector reads its table from each export's
mapping file.

Pure: a change of mapping is a change of this file, reviewed like code; dead-lettered records can be
replayed through the new mapping (``engage dlq replay``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from events import Theme

CRIME_TYPE_THEMES: Mapping[str, Theme] = MappingProxyType(
    {
        "anti-social behaviour": Theme.ANTI_SOCIAL_BEHAVIOUR,
        "bicycle theft": Theme.THEFT,
        "burglary": Theme.BURGLARY,
        "criminal damage and arson": Theme.CRIMINAL_DAMAGE,
        "drugs": Theme.DRUGS,
        "other theft": Theme.THEFT,
        "possession of weapons": Theme.WEAPONS,
        "public order": Theme.PUBLIC_ORDER,
        "robbery": Theme.ROBBERY,
        "shoplifting": Theme.THEFT,
        "theft from the person": Theme.THEFT,
        "vehicle crime": Theme.VEHICLE_CRIME,
        "violence and sexual offences": Theme.VIOLENCE,
        "violent crime": Theme.VIOLENCE,
        "other crime": Theme.OTHER,
    }
)
"""police.uk crime categories (as published in street CSVs) to themes."""

OPEN311_KEYWORDS: tuple[tuple[str, Theme], ...] = (
    ("graffiti", Theme.CRIMINAL_DAMAGE),
    ("vandal", Theme.CRIMINAL_DAMAGE),
    ("fly-tip", Theme.ENVIRONMENT),
    ("fly tip", Theme.ENVIRONMENT),
    ("flytip", Theme.ENVIRONMENT),
    ("dumping", Theme.ENVIRONMENT),
    ("dumped", Theme.ENVIRONMENT),
    ("litter", Theme.ENVIRONMENT),
    ("street light", Theme.ENVIRONMENT),
    ("streetlight", Theme.ENVIRONMENT),
    ("street_light", Theme.ENVIRONMENT),
    ("noise", Theme.NOISE),
    ("abandoned vehicle", Theme.VEHICLE_CRIME),
    ("abandoned_vehicle", Theme.VEHICLE_CRIME),
    ("abandoned car", Theme.VEHICLE_CRIME),
    ("needle", Theme.DRUGS),
    ("syringe", Theme.DRUGS),
    ("drug", Theme.DRUGS),
    ("parking", Theme.PARKING),
    ("pothole", Theme.ROAD_SAFETY),
    ("traffic signal", Theme.ROAD_SAFETY),
)
"""Keywords of Open311 service codes and names (lower case, first match wins) to themes.

Open311 service codes are each council's own, so a table keyed by code would fit one council only;
keywords of the code and its name fit most.
"""

FIXMYSTREET_CATEGORY_THEMES: Mapping[str, Theme] = MappingProxyType(
    {
        # The same choices as the Open311 keywords, so that one kind of report has one theme whichever
        # way a council publishes it: graffiti is damage, fly-tipping and street lights environment
        # (lighting is what residents name when they say a street feels unsafe), abandoned vehicles
        # vehicle crime, needles drugs, potholes road safety.
        "abandoned vehicles": Theme.VEHICLE_CRIME,
        "untaxed vehcile": Theme.VEHICLE_CRIME,  # sic: the published category name
        "discarded syringes": Theme.DRUGS,
        "graffiti": Theme.CRIMINAL_DAMAGE,
        "noise": Theme.NOISE,
        "parking": Theme.PARKING,
        # SHEF_B's "Incivilities" gathers SHEF_A's graffiti, noise and shopping trolleys.
        "incivilities": Theme.ANTI_SOCIAL_BEHAVIOUR,
        "accumulated litter": Theme.ENVIRONMENT,
        "dead animals": Theme.ENVIRONMENT,
        "debris/spillage": Theme.ENVIRONMENT,
        "dog fouling": Theme.ENVIRONMENT,
        "dumped rubbish": Theme.ENVIRONMENT,
        "environmental health": Theme.ENVIRONMENT,
        "flyposting": Theme.ENVIRONMENT,
        "fly-tipping": Theme.ENVIRONMENT,
        "litter/litter bin": Theme.ENVIRONMENT,
        "rubbish": Theme.ENVIRONMENT,
        "shopping trolley": Theme.ENVIRONMENT,
        "spillage on road": Theme.ENVIRONMENT,
        "street cleaning": Theme.ENVIRONMENT,
        "street lights": Theme.ENVIRONMENT,
        "trade waste": Theme.ENVIRONMENT,
        "potholes": Theme.ROAD_SAFETY,
        "road markings": Theme.ROAD_SAFETY,
        "road safety": Theme.ROAD_SAFETY,
        "road surface defects": Theme.ROAD_SAFETY,
        "traffic lights": Theme.ROAD_SAFETY,
        "zebra crossing": Theme.ROAD_SAFETY,
        # Bins, drains, trees, signs, furniture and the like are council services with no policing
        # theme: they stay "other" and are counted as such.
    }
)
"""FixMyStreet categories, as reconciled by the University of Sheffield (SHEF_A and SHEF_B names), to
themes. SHEF_A and SHEF_B share many names, with the same meaning, so one table serves both."""


def theme_of(table: Mapping[str, Theme], category: str) -> Theme:
    """The theme a table gives a category (any case, outer spaces ignored); ``OTHER`` if none."""
    return table.get(category.strip().lower(), Theme.OTHER)


def theme_by_keywords(keywords: tuple[tuple[str, Theme], ...], text: str) -> Theme:
    """The theme of the first keyword found in ``text`` (any case); ``OTHER`` if none is."""
    lowered = text.lower()
    for keyword, theme in keywords:
        if keyword in lowered:
            return theme
    return Theme.OTHER
