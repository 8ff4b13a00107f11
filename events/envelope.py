"""The envelope every canonical event travels in, and one frozen payload per input channel.

Events are past-tense facts. They carry no personal data: connectors redact or pseudonymise
before an envelope is built, and the payloads hold only aggregates, themes and redacted text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from events.themes import Theme


class Frozen(BaseModel):
    """The base of every model in the functional core: immutable, and strict about its fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ProtectiveMarking(StrEnum):
    """Government Security Classifications as used by police forces."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"


class Channel(StrEnum):
    """Where the information was heard: the unit of the coverage and activity projections."""

    MEETING = "meeting"
    SURVEY = "survey"
    PARTNER_CALL = "partner_call"
    SOCIAL = "social"
    RECORDED_CRIME = "recorded_crime"


class EventType(StrEnum):
    MEETING_HELD = "MeetingHeld"
    SURVEY_RESPONSE_RECEIVED = "SurveyResponseReceived"
    PARTNER_CALL_LOGGED = "PartnerCallLogged"
    SOCIAL_SIGNAL_OBSERVED = "SocialSignalObserved"
    CRIME_RECORDED = "CrimeRecorded"


NonNegative = Annotated[int, Field(ge=0)]
ShortText = Annotated[str, Field(max_length=2000)]


class GroupCount(Frozen):
    """How many attendees or respondents said they belong to a group (aggregate, never a person)."""

    group: Annotated[str, Field(min_length=1, max_length=80)]
    count: NonNegative


class IssueRaised(Frozen):
    theme: Theme
    summary: ShortText = ""
    votes: NonNegative = 0


class MeetingHeld(Frozen):
    """A PACT, beat or street meeting, surgery or online meeting took place."""

    event_type: Literal[EventType.MEETING_HELD] = EventType.MEETING_HELD
    meeting_kind: Literal["pact", "beat", "surgery", "street", "online"]
    attendance: NonNegative
    attendee_groups: tuple[GroupCount, ...] = ()
    issues_raised: tuple[IssueRaised, ...] = ()
    priorities_agreed: tuple[Theme, ...] = ()


class SurveyResponseReceived(Frozen):
    """One questionnaire came back (StreetSafe-style, doorstep, postcard)."""

    event_type: Literal[EventType.SURVEY_RESPONSE_RECEIVED] = EventType.SURVEY_RESPONSE_RECEIVED
    survey_id: Annotated[str, Field(min_length=1, max_length=80)]
    respondent: Annotated[str, Field(max_length=64)] | None = None
    """A salted pseudonym, so that distinct voices can be counted; never an identity."""
    feels_safe: Annotated[int, Field(ge=1, le=5)] | None = None
    confidence_in_police: Annotated[int, Field(ge=1, le=5)] | None = None
    concerns: tuple[Theme, ...] = ()
    respondent_groups: tuple[str, ...] = ()


class PartnerCallLogged(Frozen):
    """A partner (council, housing, licensing, rangers, fire) logged a call or report."""

    event_type: Literal[EventType.PARTNER_CALL_LOGGED] = EventType.PARTNER_CALL_LOGGED
    partner: Annotated[str, Field(min_length=1, max_length=80)]
    service_code: Annotated[str, Field(max_length=80)] = ""
    theme: Theme
    description: ShortText = ""
    count: Annotated[int, Field(ge=1)] = 1
    """Aggregate feeds (monthly counts) carry more than one report in one event."""


class SocialSignalObserved(Frozen):
    """A public post about a neighbourhood was observed by social listening."""

    event_type: Literal[EventType.SOCIAL_SIGNAL_OBSERVED] = EventType.SOCIAL_SIGNAL_OBSERVED
    platform: Annotated[str, Field(min_length=1, max_length=40)]
    author: Annotated[str, Field(max_length=64)] | None = None
    """A salted pseudonym of the handle: distinct voices can be counted, no profile is kept."""
    text: ShortText = ""
    theme: Theme = Theme.OTHER
    sentiment: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0
    hostility: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


class CrimeRecorded(Frozen):
    """A crime or ASB incident recorded by the police (police.uk street data): context, not voice."""

    event_type: Literal[EventType.CRIME_RECORDED] = EventType.CRIME_RECORDED
    crime_type: Annotated[str, Field(min_length=1, max_length=80)]
    theme: Theme
    location: Annotated[str, Field(max_length=200)] = ""
    outcome: Annotated[str, Field(max_length=200)] = ""


Payload = Annotated[
    MeetingHeld | SurveyResponseReceived | PartnerCallLogged | SocialSignalObserved | CrimeRecorded,
    Field(discriminator="event_type"),
]

CHANNEL_OF: dict[EventType, Channel] = {
    EventType.MEETING_HELD: Channel.MEETING,
    EventType.SURVEY_RESPONSE_RECEIVED: Channel.SURVEY,
    EventType.PARTNER_CALL_LOGGED: Channel.PARTNER_CALL,
    EventType.SOCIAL_SIGNAL_OBSERVED: Channel.SOCIAL,
    EventType.CRIME_RECORDED: Channel.RECORDED_CRIME,
}


class Envelope(Frozen):
    """What every event on the log looks like.

    ``event_id`` is derived from the source's own record key, so publishing the same record
    twice yields the same id and the projections count it once.
    """

    event_id: Annotated[str, Field(min_length=1, max_length=80)]
    event_type: EventType
    schema_version: Annotated[int, Field(ge=1)] = 1
    event_time: AwareDatetime
    """When it happened (the meeting, the call, the post)."""
    recorded_time: AwareDatetime
    """When this system first took it in."""
    source: Annotated[str, Field(min_length=1, max_length=80)]
    neighbourhood_id: Annotated[str, Field(min_length=1, max_length=40)]
    marking: ProtectiveMarking = ProtectiveMarking.OFFICIAL
    payload: Payload

    @model_validator(mode="after")
    def _type_matches_payload(self) -> Envelope:
        if self.payload.event_type != self.event_type:
            raise ValueError(
                f"event_type {self.event_type.value!r} does not match the payload's "
                f"{self.payload.event_type.value!r}; send the payload that the type names"
            )
        return self

    @property
    def channel(self) -> Channel:
        return CHANNEL_OF[self.event_type]
