"""The worker's parsed-value cache: a value is parsed once while the table holds the bytes this process
wrote, at most ``keep`` are held, and a value the table replaced (a changelog recovery) is parsed anew."""

from __future__ import annotations

from events import Channel
from events.codec import encode
from projections.activity import ActivityRow
from streams.app import ParsedTable


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, blob: bytes) -> ActivityRow:
        self.calls += 1
        return ActivityRow.model_validate_json(blob)


def row(nid: str, events: int) -> ActivityRow:
    return ActivityRow(neighbourhood_id=nid, channel=Channel.SOCIAL, events=events)


def test_values_written_here_are_not_parsed_again_until_evicted() -> None:
    table: dict[str, bytes] = {}
    parse = Counting()
    parsed = ParsedTable(table, parse, keep=2)
    for nid in ("A", "B"):
        parsed.put(nid, row(nid, 1))
    assert parsed.get("A") == row("A", 1) and parsed.get("B") == row("B", 1)
    assert parse.calls == 0
    parsed.put("C", row("C", 1))  # A was used least recently: it goes
    assert parsed.get("B") == row("B", 1) and parsed.get("C") == row("C", 1)
    assert parse.calls == 0
    assert parsed.get("A") == row("A", 1)
    assert parse.calls == 1, "an evicted value is parsed from the table's bytes"
    assert parsed.get("missing") is None


def test_a_value_the_table_replaced_is_parsed_from_the_new_bytes() -> None:
    table: dict[str, bytes] = {}
    parse = Counting()
    parsed = ParsedTable(table, parse, keep=10)
    parsed.put("A", row("A", 1))
    table["A"] = encode(row("A", 7))  # what a recovery from the changelog leaves
    assert parsed.get("A") == row("A", 7)
    assert parse.calls == 1
