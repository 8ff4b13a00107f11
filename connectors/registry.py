"""The connectors by source name: the names scripts and partners rely on."""

from __future__ import annotations

from connectors.base import Connector
from connectors.canonical import CanonicalConnector
from connectors.council_csv import CouncilCsvConnector
from connectors.fixmystreet import FixMyStreetConnector
from connectors.meetings import MeetingsConnector
from connectors.open311 import Open311Connector
from connectors.police_uk_api import PoliceUkEventsConnector, PoliceUkPrioritiesConnector
from connectors.police_uk_crime import PoliceUkCrimeConnector
from connectors.social import SocialConnector
from connectors.surveys import SurveysConnector
from engage.errors import ConfigurationError

CONNECTORS: dict[str, type[Connector]] = {
    PoliceUkCrimeConnector.name: PoliceUkCrimeConnector,
    CanonicalConnector.name: CanonicalConnector,
    Open311Connector.name: Open311Connector,
    CouncilCsvConnector.name: CouncilCsvConnector,
    FixMyStreetConnector.name: FixMyStreetConnector,
    MeetingsConnector.name: MeetingsConnector,
    PoliceUkPrioritiesConnector.name: PoliceUkPrioritiesConnector,
    PoliceUkEventsConnector.name: PoliceUkEventsConnector,
    SurveysConnector.name: SurveysConnector,
    SocialConnector.name: SocialConnector,
}


def connector_for(source: str) -> Connector:
    try:
        return CONNECTORS[source]()
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise ConfigurationError(f"no connector is called {source!r}; choose one of: {known}") from None
