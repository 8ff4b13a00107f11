"""The worker's stored states: packed with zstd, read back as the same JSON, older plain records too."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.synthetic import generate
from events.codec import encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState
from streams import packed


def a_state() -> NeighbourhoodState:
    state = None
    for event in generate(["E05000001"], 300, seed=7, start=datetime(2026, 11, 1, tzinfo=UTC)):
        state, _ = neighbourhood.step(state, event)
    assert state is not None
    return state


def test_a_packed_state_unpacks_to_its_json_and_is_smaller() -> None:
    state = a_state()
    blob = packed.pack(state)
    assert packed.unpack(blob) == encode(state)
    assert NeighbourhoodState.model_validate_json(packed.unpack(blob)) == state
    assert len(blob) * 2 < len(encode(state)), "a state's repetitive JSON packs to under half"


def test_a_record_written_before_states_were_packed_reads_as_it_is() -> None:
    json = encode(a_state())
    assert packed.unpack(json) is json
