"""The language of the system: canonical events, their versions, topics and codec.

Pure: nothing here imports faust, Kafka or DuckDB.
"""

from events.envelope import (
    CHANNEL_OF,
    ActionRecorded,
    Channel,
    CrimeRecorded,
    Envelope,
    EventType,
    Frozen,
    GroupCount,
    IssueRaised,
    MeetingHeld,
    PartnerCallLogged,
    Payload,
    PrioritySet,
    ProtectiveMarking,
    RecordWithdrawn,
    SocialSignalObserved,
    SurveyResponseReceived,
    TensionAssessed,
)
from events.themes import Theme

__all__ = [
    "CHANNEL_OF",
    "ActionRecorded",
    "Channel",
    "CrimeRecorded",
    "Envelope",
    "EventType",
    "Frozen",
    "GroupCount",
    "IssueRaised",
    "MeetingHeld",
    "PartnerCallLogged",
    "Payload",
    "PrioritySet",
    "ProtectiveMarking",
    "RecordWithdrawn",
    "SocialSignalObserved",
    "SurveyResponseReceived",
    "TensionAssessed",
    "Theme",
]
