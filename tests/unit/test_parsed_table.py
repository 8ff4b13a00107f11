"""The worker's parsed-value cache: a value is parsed once while the table holds the bytes this process
wrote, values are held while their bytes fit a budget, and a value the table replaced (a changelog
recovery) is parsed anew."""

from __future__ import annotations

from events import Channel
from events.codec import encode
from projections.activity import ActivityRow
from streams.parsed import ParsedTable


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
    parsed = ParsedTable(table, parse, budget=2 * len(encode(row("A", 1))))
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
    parsed = ParsedTable(table, parse, budget=10_000)
    parsed.put("A", row("A", 1))
    table["A"] = encode(row("A", 7))  # what a recovery from the changelog leaves
    assert parsed.get("A") == row("A", 7)
    assert parse.calls == 1


def test_the_budget_counts_bytes_so_larger_values_leave_room_for_fewer() -> None:
    table: dict[str, bytes] = {}
    parse = Counting()
    small = len(encode(row("A", 1)))
    parsed = ParsedTable(table, parse, budget=3 * small)
    for _ in range(5):  # writing the same key again replaces its bytes, it does not add to them
        parsed.put("A", row("A", 1))
    parsed.put("B", row("B", 1))
    parsed.put("C", row("C", 1))
    assert [parsed.get(k) for k in "ABC"] == [row(k, 1) for k in "ABC"]
    assert parse.calls == 0, "three values of the budget's size fit it"
    large = row("D", 10**30)  # more digits: more bytes than one small row
    assert len(encode(large)) > small
    parsed.put("D", large)  # evicts A, the least recently used, to fit
    assert parsed.get("D") == large and parse.calls == 0
    assert parsed.get("A") == row("A", 1) and parse.calls == 1


def test_a_value_larger_than_the_budget_is_stored_but_not_held() -> None:
    table: dict[str, bytes] = {}
    parse = Counting()
    parsed = ParsedTable(table, parse, budget=10)
    parsed.put("A", row("A", 1))
    assert "A" in table
    assert parsed.get("A") == row("A", 1) and parse.calls == 1
