"""How the worker splits a batch of raw records: by record key (the neighbourhood), in log order, and
decoded one group at a time, a record that is not a canonical event skipped with a log line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from structlog.testing import capture_logs

from events import CrimeRecorded, Theme
from events.codec import encode
from streams.app import by_neighbourhood, decode_group
from tests.conftest import envelope


@dataclass(frozen=True)
class Position:
    partition: int
    offset: int


@dataclass(frozen=True)
class Record:
    """The parts of a faust event the worker reads before folding."""

    key: bytes | None
    value: bytes | None
    message: Position


def record(offset: int, neighbourhood: str, value: bytes | None = b"") -> Record:
    """A record of a canonical event, or with ``value`` as its bytes (None: a record with no value)."""
    crime = CrimeRecorded(crime_type="Burglary", theme=Theme.BURGLARY)
    event = envelope(crime, neighbourhood_id=neighbourhood, event_id=f"e{offset}")
    return Record(neighbourhood.encode(), encode(event) if value == b"" else value, Position(0, offset))


def test_records_are_grouped_by_key_in_log_order_groups_in_order_of_first_record() -> None:
    batch = [record(0, "B"), record(1, "A"), record(2, "B"), record(3, "C"), record(4, "A")]
    groups = by_neighbourhood(cast(Any, batch))
    assert [[r.message.offset for r in g] for g in groups] == [[0, 2], [1, 4], [3]]


def test_a_group_decodes_to_its_events_in_order_and_skips_what_is_not_an_event() -> None:
    group = [record(0, "A"), record(1, "A", value=b"{not json"), record(2, "A", value=b'{"event_type": 1}')]
    group += [record(3, "A", value=None), record(4, "A")]
    with capture_logs() as logs:
        read = decode_group(cast(Any, group))
    assert [(item.message.offset, event.event_id) for item, event in read] == [(0, "e0"), (4, "e4")]
    skipped = [e for e in logs if e["event"] == "event_undecodable_skipped"]
    assert [(e["partition"], e["offset"]) for e in skipped] == [(0, 1), (0, 2), (0, 3)]
    assert all(e["error"] for e in skipped)
