"""Events: the envelope validates, is frozen, and survives the codec unchanged."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.synthetic import generate
from events import CrimeRecorded, Envelope, EventType, SocialSignalObserved, Theme
from events.codec import UPCASTERS, UndecodableEvent, decode_envelope, encode
from tests.conftest import T0, envelope


def crime(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "event_id": "e1",
        "event_type": "CrimeRecorded",
        "event_time": T0.isoformat(),
        "recorded_time": T0.isoformat(),
        "source": "police-uk-crime",
        "neighbourhood_id": "E36007157",
        "payload": {"event_type": "CrimeRecorded", "crime_type": "Drugs", "theme": "drugs"},
    }
    data.update(overrides)
    return data


class TestEnvelope:
    def test_a_valid_envelope_names_its_channel(self) -> None:
        envelope = Envelope.model_validate(crime())
        assert envelope.channel.value == "recorded_crime"
        assert envelope.marking.value == "OFFICIAL"

    def test_a_type_that_does_not_match_the_payload_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="does not match the payload"):
            Envelope.model_validate(crime(event_type="MeetingHeld"))

    def test_a_naive_event_time_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Envelope.model_validate(crime(event_time="2026-01-01T00:00:00"))

    def test_unknown_fields_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            Envelope.model_validate(crime(colour="blue"))

    def test_events_are_frozen(self) -> None:
        envelope = Envelope.model_validate(crime())
        with pytest.raises(ValidationError):
            envelope.source = "other"  # type: ignore[misc]


class TestCodec:
    @given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=30))
    def test_every_generated_event_survives_a_round_trip(self, seed: int, count: int) -> None:
        for event in generate(["A", "B"], count, seed):
            assert decode_envelope(encode(event)) == event

    @given(
        text=st.text(max_size=300),
        sentiment=st.floats(min_value=-1, max_value=1, allow_nan=False),
        hostility=st.floats(min_value=0, max_value=1, allow_nan=False),
    )
    def test_free_text_and_floats_survive_a_round_trip(
        self, text: str, sentiment: float, hostility: float
    ) -> None:
        event = envelope(
            SocialSignalObserved(platform="p", text=text, sentiment=sentiment, hostility=hostility)
        )
        assert decode_envelope(encode(event)) == event

    def test_a_newer_version_than_this_build_knows_is_refused_with_advice(self) -> None:
        with pytest.raises(UndecodableEvent, match="upgrade the worker"):
            decode_envelope(json.dumps(crime(schema_version=99)))

    @pytest.mark.parametrize("version", [0, -1])
    def test_a_version_below_one_is_undecodable(self, version: int) -> None:
        with pytest.raises(UndecodableEvent, match="1 or more"):
            decode_envelope(json.dumps(crime(schema_version=version)))

    def test_an_older_version_is_upcast_before_validation(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from events import codec

        def v1_to_v2(data: dict[str, object]) -> dict[str, object]:
            payload = dict(data["payload"])  # type: ignore[call-overload]
            payload["theme"] = "drugs" if payload.pop("old_theme_name") == "narcotics" else "other"
            return {**data, "payload": payload}

        monkeypatch.setitem(codec.CURRENT_VERSION, EventType.CRIME_RECORDED, 2)
        monkeypatch.setitem(UPCASTERS, (EventType.CRIME_RECORDED, 1), v1_to_v2)
        old = crime(
            payload={"event_type": "CrimeRecorded", "crime_type": "Drugs", "old_theme_name": "narcotics"}
        )
        decoded = decode_envelope(json.dumps(old))
        assert isinstance(decoded.payload, CrimeRecorded)
        assert decoded.payload.theme is Theme.DRUGS
        assert decoded.schema_version == 2

    @pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"event_type": "Nope"}', b"\xff\xfe"])
    def test_garbage_is_an_undecodable_event(self, raw: bytes) -> None:
        with pytest.raises(UndecodableEvent):
            decode_envelope(raw)
