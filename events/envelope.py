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

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)
    """Attribute docstrings become the descriptions of the published JSON Schemas (docs/schemas)."""


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
    POLICE_RESPONSE = "police_response"
    """What the police agreed and did: published priorities and actions (you said, we did)."""
    ANALYST = "analyst"
    """An analyst's assessment, such as confirming or overriding a tension level."""
    CORRECTION = "correction"
    """A record's withdrawal: it changes which events count, and is never counted itself."""


class EventType(StrEnum):
    MEETING_HELD = "MeetingHeld"
    SURVEY_RESPONSE_RECEIVED = "SurveyResponseReceived"
    PARTNER_CALL_LOGGED = "PartnerCallLogged"
    SOCIAL_SIGNAL_OBSERVED = "SocialSignalObserved"
    CRIME_RECORDED = "CrimeRecorded"
    PRIORITY_SET = "PrioritySet"
    ACTION_RECORDED = "ActionRecorded"
    TENSION_ASSESSED = "TensionAssessed"
    RECORD_WITHDRAWN = "RecordWithdrawn"


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
    attendance: NonNegative | None = None
    """People present; None when not recorded (a scheduled event imported from police.uk)."""
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
    rumour: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    """How strongly the post reads as unverified claim or rumour ("apparently", "I heard"), 0 to 1."""


class CrimeRecorded(Frozen):
    """A crime or ASB incident recorded by the police (police.uk street data): context, not voice."""

    event_type: Literal[EventType.CRIME_RECORDED] = EventType.CRIME_RECORDED
    crime_type: Annotated[str, Field(min_length=1, max_length=80)]
    theme: Theme
    location: Annotated[str, Field(max_length=200)] = ""
    outcome: Annotated[str, Field(max_length=200)] = ""


class PrioritySet(Frozen):
    """A neighbourhood priority was set and published (a PACT decision, police.uk priorities)."""

    event_type: Literal[EventType.PRIORITY_SET] = EventType.PRIORITY_SET
    theme: Theme
    issue: ShortText = ""
    """The priority as published, redacted."""
    forum: Literal["pact", "beat", "police_uk", "ttcg"] = "police_uk"
    priority_ref: Annotated[str, Field(max_length=80)] = ""
    """The source's own key for the priority, so actions can name it."""


class ActionRecorded(Frozen):
    """The police or a partner acted on a priority, or decided not to, and may have reported back."""

    event_type: Literal[EventType.ACTION_RECORDED] = EventType.ACTION_RECORDED
    theme: Theme
    action: ShortText = ""
    outcome: Literal["completed", "in_progress", "no_action"] = "completed"
    reason: ShortText = ""
    """Why nothing was done, when ``outcome`` is ``no_action``."""
    issue_time: AwareDatetime | None = None
    """When the issue acted on was raised or set; the action's own time is the envelope's event time."""
    reported_back: bool = False
    """Whether the community was told (at a meeting, on police.uk, in a newsletter)."""
    priority_ref: Annotated[str, Field(max_length=80)] = ""


class TensionAssessed(Frozen):
    """An analyst confirmed the modelled tension level, overrode it, or withdrew an override.

    An override wins over the model until it is cleared or ``valid_until`` passes.
    """

    event_type: Literal[EventType.TENSION_ASSESSED] = EventType.TENSION_ASSESSED
    assessment: Literal["confirm", "override", "clear"]
    level: Annotated[int, Field(ge=1, le=10)] | None = None
    """The level set by an override; None for confirm and clear."""
    analyst: Annotated[str, Field(min_length=1, max_length=80)]
    """A role or collar number, never a name."""
    note: ShortText = ""
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _override_has_level(self) -> TensionAssessed:
        if (self.assessment == "override") != (self.level is not None):
            raise ValueError("an override gives a level; confirm and clear give none")
        return self


class RecordWithdrawn(Frozen):
    """A record sent before is withdrawn: every projection, the evidence and the read side forget it.

    The tombstone travels under the withdrawn event's neighbourhood, so it follows that event on the
    same partition. It may also come first (a partner withdrawing a record still in its outbox): the
    event is then dropped when it arrives. It carries no free text, only who asked and why.
    """

    event_type: Literal[EventType.RECORD_WITHDRAWN] = EventType.RECORD_WITHDRAWN
    withdrawn_event_id: Annotated[str, Field(min_length=1, max_length=80)]
    """The ``event_id`` of the record withdrawn (the same id its source key gave it)."""
    reason: Literal["withdrawn_by_partner", "erasure_request", "sent_in_error"]
    requested_by: Annotated[str, Field(min_length=1, max_length=80)]
    """The partner or role that asked, never a person's name."""


Payload = Annotated[
    MeetingHeld
    | SurveyResponseReceived
    | PartnerCallLogged
    | SocialSignalObserved
    | CrimeRecorded
    | PrioritySet
    | ActionRecorded
    | TensionAssessed
    | RecordWithdrawn,
    Field(discriminator="event_type"),
]

CHANNEL_OF: dict[EventType, Channel] = {
    EventType.MEETING_HELD: Channel.MEETING,
    EventType.SURVEY_RESPONSE_RECEIVED: Channel.SURVEY,
    EventType.PARTNER_CALL_LOGGED: Channel.PARTNER_CALL,
    EventType.SOCIAL_SIGNAL_OBSERVED: Channel.SOCIAL,
    EventType.CRIME_RECORDED: Channel.RECORDED_CRIME,
    EventType.PRIORITY_SET: Channel.POLICE_RESPONSE,
    EventType.ACTION_RECORDED: Channel.POLICE_RESPONSE,
    EventType.TENSION_ASSESSED: Channel.ANALYST,
    EventType.RECORD_WITHDRAWN: Channel.CORRECTION,
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
