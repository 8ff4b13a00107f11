"""What an analyst may read behind a score: the events themselves, already redacted by the connectors.

Pure: turns an envelope into the row the read side keeps in ``events`` (the evidence store). The
free text is gathered in one column so that a view for the public can drop it in one place.
"""

from __future__ import annotations

from events import (
    ActionRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    PrioritySet,
    RecordWithdrawn,
    SocialSignalObserved,
    TensionAssessed,
)


def free_text(event: Envelope) -> str:
    """Every free-text field of the payload, joined; empty when it has none."""
    payload = event.payload
    if isinstance(payload, SocialSignalObserved):
        parts = [payload.text]
    elif isinstance(payload, PartnerCallLogged):
        parts = [payload.description]
    elif isinstance(payload, MeetingHeld):
        parts = [issue.summary for issue in payload.issues_raised]
    elif isinstance(payload, PrioritySet):
        parts = [payload.issue]
    elif isinstance(payload, ActionRecorded):
        parts = [payload.action, payload.reason]
    elif isinstance(payload, TensionAssessed):
        parts = [payload.note]
    else:
        parts = []
    return "\n".join(p for p in parts if p)


def theme_of(event: Envelope) -> str | None:
    theme = getattr(event.payload, "theme", None)
    return None if theme is None else str(theme.value)


def row(event: Envelope, partition: int, offset: int) -> dict[str, object]:
    return {
        "event_id": event.event_id,
        "neighbourhood_id": event.neighbourhood_id,
        "event_type": event.event_type.value,
        "channel": event.channel.value,
        "theme": theme_of(event),
        "event_time": event.event_time,
        "recorded_time": event.recorded_time,
        "source": event.source,
        "marking": event.marking.value,
        "text": free_text(event),
        "payload": event.payload.model_dump_json(),
        "source_partition": partition,
        "source_offset": offset,
    }


def withdrawal_row(event: Envelope) -> dict[str, object] | None:
    """The row a tombstone leaves in ``withdrawals``; None for any other event."""
    payload = event.payload
    if not isinstance(payload, RecordWithdrawn):
        return None
    return {
        "withdrawn_event_id": payload.withdrawn_event_id,
        "neighbourhood_id": event.neighbourhood_id,
        "reason": payload.reason,
        "requested_by": payload.requested_by,
        "withdrawn_at": event.event_time,
        "tombstone_event_id": event.event_id,
    }
