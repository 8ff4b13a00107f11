"""States' maps of voices and indicators held as columns: same entries, same JSON both ways, older
states still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from connectors.synthetic import generate
from events import Channel
from projections import neighbourhood
from projections.columns import from_micros, to_micros
from projections.neighbourhood import NeighbourhoodState
from projections.priority import Voice, VoiceBook
from projections.tension import DEFAULT_PARAMS, Signal, SignalBook

WHEN = datetime(2026, 11, 20, 18, 30, 15, 123456, tzinfo=UTC)


def folded(events: int = 600) -> NeighbourhoodState:
    """The busiest neighbourhood's state after a synthetic feed (pseudonymous voices and indicators)."""
    ids = [f"E05000{n}" for n in range(3)]
    states: dict[str, NeighbourhoodState | None] = dict.fromkeys(ids)
    for event in generate(ids, events, seed=20261206, span=timedelta(hours=12)):
        states[event.neighbourhood_id], _ = neighbourhood.step(states[event.neighbourhood_id], event)
    return max((s for s in states.values() if s is not None), key=lambda s: s.version)


def as_older_maps(dumped: dict[str, Any]) -> dict[str, Any]:
    """A state's JSON as it was stored before the columns: each book as ``{key: entry}``."""

    def entries(book: dict[str, list[Any]], time_column: str) -> dict[str, list[Any]]:
        names = [n for n in book if n != "keys"]
        rows: dict[str, list[Any]] = {}
        for i, key in enumerate(book["keys"]):
            row = [book[n][i] for n in names]
            at = names.index(time_column)
            row[at] = from_micros(row[at]).isoformat()
            rows[key] = row
        return rows

    older = json.loads(json.dumps(dumped))
    priority, tension = older["priority"], older["tension"]
    for key in ("voices",):
        priority[key] = {k: [*v[:3], v[3] or {}] for k, v in entries(priority[key], "times").items()}
    nested: dict[str, dict[str, list[Any]]] = {}
    for composite, v in entries(priority["theme_voices"], "times").items():
        theme, key = composite.split(" ", 1)
        nested.setdefault(theme, {})[key] = [*v[:3], v[3] or {}]
    priority["theme_voices"] = nested
    signals = entries(tension["signals"], "times")
    tension["signals"] = signals
    return older


class TestTimes:
    @given(
        st.datetimes(timezones=st.just(UTC), min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1))
    )
    def test_microseconds_give_back_the_same_instant(self, when: datetime) -> None:
        assert from_micros(to_micros(when)) == when

    def test_an_offset_is_the_same_instant_in_utc(self) -> None:
        summer = WHEN.astimezone(timezone(timedelta(hours=1)))
        assert to_micros(summer) == to_micros(WHEN)
        assert from_micros(to_micros(summer)).utcoffset() == timedelta(0)


class TestBooks:
    def test_a_new_key_is_appended_and_the_book_it_came_from_is_unchanged(self) -> None:
        first = VoiceBook().with_entry("social:a", Voice(Channel.SOCIAL, WHEN))
        second = first.with_entry("survey:b", Voice(Channel.SURVEY, WHEN, groups={"young_people": 1.0}))
        assert list(first) == ["social:a"]
        assert list(second) == ["social:a", "survey:b"]
        assert second["survey:b"] == Voice(Channel.SURVEY, WHEN, 1, {"young_people": 1.0})
        assert "survey:b" not in first

    def test_a_known_key_is_replaced_in_place(self) -> None:
        book = VoiceBook().with_entry("social:a", Voice(Channel.SOCIAL, WHEN))
        later = Voice(Channel.SOCIAL, WHEN + timedelta(hours=2), weight=3)
        again = book.with_entry("social:a", later)
        assert len(again) == 1
        assert again["social:a"] == later
        assert book["social:a"].weight == 1

    def test_books_that_share_their_lists_never_see_each_others_entries(self) -> None:
        base = SignalBook.of({"e1": Signal(WHEN), "e2": Signal(WHEN, hate=1)})
        added = base.with_entry("e3", Signal(WHEN, signals=2))  # appends to base's lists
        forked = base.with_entry("e4", Signal(WHEN, rumour=0.5))  # base's lists are taken: a copy
        replaced = base.with_entry("e1", Signal(WHEN, hate=3))
        after_replace = replaced.with_entry("e5", Signal(WHEN))
        assert list(base) == ["e1", "e2"] and "e3" not in base and "e4" not in base
        assert list(added) == ["e1", "e2", "e3"] and "e4" not in added
        assert list(forked) == ["e1", "e2", "e4"] and forked["e4"].rumour == 0.5
        assert base["e1"].hate == 0 and replaced["e1"].hate == 3 and after_replace["e1"].hate == 3
        assert list(after_replace) == ["e1", "e2", "e5"] and "e5" not in replaced
        assert [len(b.column("times")) for b in (base, added, forked, replaced)] == [2, 3, 3, 2]
        assert [key for _, _, key in base.scored(DEFAULT_PARAMS)] == ["e1", "e2"]
        assert json.loads(TypeAdapter(SignalBook).dump_json(base))["keys"] == ["e1", "e2"]

    def test_equal_entries_in_another_order_are_an_equal_book(self) -> None:
        a, b = Voice(Channel.SOCIAL, WHEN), Voice(Channel.SURVEY, WHEN)
        one = VoiceBook().with_entry("x", a).with_entry("y", b)
        other = VoiceBook().with_entry("y", b).with_entry("x", a)
        assert one == other
        assert one == {"x": a, "y": b}
        assert one != VoiceBook().with_entry("x", a)

    def test_a_book_of_signals_scores_each_as_the_signal_does(self) -> None:
        signal = Signal(WHEN, "potential", negative=0.4, hostility=0.7, rumour=0.2, hate=1)
        book = SignalBook().with_entry("e1", signal)
        ((micros, score, key),) = book.scored(DEFAULT_PARAMS)
        assert (micros, score, key) == (to_micros(WHEN), signal.score(DEFAULT_PARAMS), "e1")
        assert list(book.scored(DEFAULT_PARAMS, until=WHEN - timedelta(microseconds=1))) == []

    def test_where_keeps_the_rows_that_pass(self) -> None:
        book = SignalBook.of({f"e{i}": Signal(WHEN + timedelta(hours=i)) for i in range(4)})
        times = book.column("times")
        kept = book.where(lambda i: times[i] >= to_micros(WHEN + timedelta(hours=2)))
        assert list(kept) == ["e2", "e3"]
        assert kept["e3"] == book["e3"]


class TestJson:
    def test_a_state_is_written_as_columns_and_read_back_equal(self) -> None:
        state = folded()
        assert len(state.priority.voices) > 20 and len(state.tension.signals) > 20
        dumped = json.loads(state.model_dump_json())
        voices = dumped["priority"]["voices"]
        assert set(voices) == {"keys", "channels", "times", "weights", "groups"}
        assert len(voices["keys"]) == len(state.priority.voices)
        assert NeighbourhoodState.model_validate_json(state.model_dump_json()) == state

    def test_a_state_stored_before_the_columns_reads_as_the_same_state(self) -> None:
        state = folded()
        older = as_older_maps(json.loads(state.model_dump_json()))
        assert isinstance(older["priority"]["voices"], dict) and "keys" not in older["priority"]["voices"]
        read = NeighbourhoodState.model_validate_json(json.dumps(older))
        assert read == state
        # The older form grouped voices by theme, so their order differs: the entries do not.
        assert NeighbourhoodState.model_validate_json(read.model_dump_json()) == state

    def test_columns_of_different_lengths_are_refused_with_what_to_do(self) -> None:
        dumped = json.loads(folded().model_dump_json())
        dumped["tension"]["signals"]["times"].pop()
        with pytest.raises(ValidationError, match="rebuild the projections from the log"):
            NeighbourhoodState.model_validate_json(json.dumps(dumped))

    def test_a_bad_value_in_a_column_is_refused(self) -> None:
        dumped = json.loads(folded().model_dump_json())
        dumped["priority"]["voices"]["weights"][0] = 0
        with pytest.raises(ValidationError):
            NeighbourhoodState.model_validate_json(json.dumps(dumped))
