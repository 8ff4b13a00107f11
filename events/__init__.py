"""The language of the system: canonical events, their versions, topics and codec.

Pure: nothing here imports faust, Kafka or DuckDB.
"""

from events.envelope import (
    CHANNEL_OF,
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
    ProtectiveMarking,
    SocialSignalObserved,
    SurveyResponseReceived,
)
from events.themes import Theme

__all__ = [
    "CHANNEL_OF",
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
    "ProtectiveMarking",
    "SocialSignalObserved",
    "SurveyResponseReceived",
    "Theme",
]
