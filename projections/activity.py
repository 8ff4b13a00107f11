"""Channel activity per neighbourhood: how many events each channel brought, and when.

The fold is pure. Delivery is at-least-once, so the state also remembers the log position it
has applied (``applied_offset``): a redelivered event at or below it changes nothing.
Because events are keyed by neighbourhood, every event of one (neighbourhood, channel) row
comes from a single partition, in order, and one offset per row is enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events import Channel, Envelope


class ActivityRow(BaseModel):
    """One row of ``activity_current``: the state of one (neighbourhood, channel)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    neighbourhood_id: str
    channel: Channel
    events: Annotated[int, Field(ge=0)] = 0
    """Reports represented: aggregate partner feeds add their count, everything else adds one."""
    first_event_time: AwareDatetime | None = None
    last_event_time: AwareDatetime | None = None
    source_partition: int = -1
    applied_offset: int = -1
    """Offset of the last event folded in, on ``source_partition`` of the events topic."""

    @property
    def key(self) -> str:
        return row_key(self.neighbourhood_id, self.channel)


def row_key(neighbourhood_id: str, channel: Channel) -> str:
    return f"{neighbourhood_id}|{channel.value}"


def weight(event: Envelope) -> int:
    return int(getattr(event.payload, "count", 1))


def evolve(row: ActivityRow | None, event: Envelope) -> ActivityRow:
    """The row after one more event; ``row`` is None for a row never seen."""
    current = row or ActivityRow(neighbourhood_id=event.neighbourhood_id, channel=event.channel)
    first = current.first_event_time
    last = current.last_event_time
    return current.model_copy(
        update={
            "events": current.events + weight(event),
            "first_event_time": event.event_time if first is None else min(first, event.event_time),
            "last_event_time": event.event_time if last is None else max(last, event.event_time),
        }
    )


def apply_at(row: ActivityRow | None, event: Envelope, partition: int, offset: int) -> ActivityRow | None:
    """Fold ``event`` read at ``(partition, offset)``, or None when that position is already in."""
    if row is not None and row.source_partition == partition and offset <= row.applied_offset:
        return None
    folded = evolve(row, event)
    return folded.model_copy(update={"source_partition": partition, "applied_offset": offset})


def fold(events: Iterable[Envelope]) -> dict[str, ActivityRow]:
    """Every row from a sequence of distinct events: the rebuild, and the law the live path obeys."""
    rows: dict[str, ActivityRow] = {}
    for event in events:
        key = row_key(event.neighbourhood_id, event.channel)
        rows[key] = evolve(rows.get(key), event)
    return rows
