"""Every topic name in one place."""

from __future__ import annotations

from typing import Final

EVENTS: Final = "engage.events.v1"
"""Canonical engagement events, keyed by neighbourhood id (so a neighbourhood's events stay in order)."""

DEADLETTER: Final = "engage.deadletter.v1"
"""Records a connector rejected: the (redacted) record, its line and the reason."""

ACTIVITY_UPDATES: Final = "engage.projection.activity.v1"
"""The activity projection's rows as the worker updates them, keyed by neighbourhood id."""

NEIGHBOURHOOD_VIEWS: Final = "engage.projection.neighbourhood.v1"
"""Every read model's rows for a neighbourhood (priority, tension, coverage, feedback), keyed by its id."""

TENSION_ALERTS: Final = "engage.alerts.tension.v1"
"""Each rise in a neighbourhood's tension level, with the ids of the events behind it."""

CREATED_BY_OPERATOR: Final = (EVENTS, DEADLETTER, ACTIVITY_UPDATES, NEIGHBOURHOOD_VIEWS, TENSION_ALERTS)
