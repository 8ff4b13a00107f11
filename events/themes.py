"""One theme vocabulary for every channel: what a concern or a record is about."""

from __future__ import annotations

from enum import StrEnum


class Theme(StrEnum):
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    DRUGS = "drugs"
    ROAD_SAFETY = "road_safety"
    BURGLARY = "burglary"
    VEHICLE_CRIME = "vehicle_crime"
    VIOLENCE = "violence"
    ROBBERY = "robbery"
    THEFT = "theft"
    WEAPONS = "weapons"
    PUBLIC_ORDER = "public_order"
    CRIMINAL_DAMAGE = "criminal_damage"
    HATE = "hate"
    ENVIRONMENT = "environment"
    NOISE = "noise"
    YOUTH_NUISANCE = "youth_nuisance"
    PARKING = "parking"
    OTHER = "other"
