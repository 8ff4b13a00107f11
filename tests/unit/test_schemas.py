"""The published JSON Schemas (docs/schemas) are the models' own, and real events validate against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connectors.base import Context
from connectors.fixmystreet import FixMyStreetConnector
from connectors.open311 import Open311Connector
from connectors.police_uk_crime import PoliceUkCrimeConnector
from engage.settings import REPO_ROOT
from events import (
    ActionRecorded,
    Envelope,
    MeetingHeld,
    PartnerCallLogged,
    SurveyResponseReceived,
    TensionAssessed,
    Theme,
)
from events.codec import encode
from events.schemas import main, payload_models, schemas
from tests.conftest import CAMDEN_CRIME, envelope, ingest_in_memory
from tests.unit.test_open311 import EXAMPLE

PUBLISHED = REPO_ROOT / "docs" / "schemas"
REGENERATE = "the models changed: run `python -m events.schemas --out docs/schemas` and commit the result"


def published(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PUBLISHED / name).read_text(encoding="utf-8"))
    return document


class TestPublishedFiles:
    def test_the_committed_files_are_what_the_models_give_today(self) -> None:
        expected = schemas()
        committed = {path.name: path.read_text(encoding="utf-8") for path in PUBLISHED.glob("*.json")}
        assert sorted(committed) == sorted(expected), REGENERATE
        for name, text in expected.items():
            assert committed[name] == text, f"{name}: {REGENERATE}"

    def test_there_is_one_file_per_payload_and_one_for_the_envelope(self) -> None:
        names = {model.__name__ for model in payload_models()}
        assert "PartnerCallLogged" in names and "TensionAssessed" in names
        assert set(schemas()) == {f"{name}.json" for name in names | {"Envelope"}}

    def test_the_command_writes_the_same_files(self, tmp_path: Path) -> None:
        main(["--out", str(tmp_path / "out")])
        written = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()}
        assert written == schemas()

    def test_field_docstrings_become_descriptions(self) -> None:
        count = published("PartnerCallLogged.json")["properties"]["count"]
        assert "Aggregate feeds" in count["description"]


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = published("Envelope.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class TestEventsValidate:
    def test_every_event_the_connectors_make_is_valid(
        self, validator: Draft202012Validator, context: Context
    ) -> None:
        events = [
            *ingest_in_memory(PoliceUkCrimeConnector(), CAMDEN_CRIME, context).events[:200],
            *ingest_in_memory(Open311Connector(), EXAMPLE, context).events,
            *ingest_in_memory(
                FixMyStreetConnector(),
                REPO_ROOT / "data" / "partners" / "fixmystreet" / "camden_lsoa_month_shefA_2019_2020.csv",
                context,
            ).events[:200],
        ]
        for event in events:
            validator.validate(json.loads(encode(event)))

    def test_payloads_of_the_other_channels_are_valid(self, validator: Draft202012Validator) -> None:
        for payload in (
            MeetingHeld(meeting_kind="pact", attendance=12, priorities_agreed=(Theme.DRUGS,)),
            SurveyResponseReceived(survey_id="s1", feels_safe=3, concerns=(Theme.NOISE,)),
            ActionRecorded(
                theme=Theme.DRUGS,
                outcome="no_action",
                reason="none",
                issue_time=datetime(2026, 1, 1, tzinfo=UTC),
            ),
            TensionAssessed(assessment="override", level=7, analyst="PC 123"),
        ):
            validator.validate(json.loads(encode(envelope(payload))))

    @pytest.mark.parametrize(
        ("path", "value"),
        [
            (("payload", "theme"), "narcotics"),
            (("payload", "count"), 0),
            (("neighbourhood_id",), ""),
            (("payload", "unexpected"), 1),
        ],
    )
    def test_what_the_models_refuse_the_schema_refuses(
        self, validator: Draft202012Validator, path: tuple[str, ...], value: object
    ) -> None:
        document = json.loads(encode(envelope(PartnerCallLogged(partner="council", theme=Theme.NOISE))))
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not validator.is_valid(document)
        with pytest.raises(ValueError):
            Envelope.model_validate(document)
