"""The partner gateway on the in-memory publisher: each refusal, each answer, and that a refused
request publishes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from connectors import deadletters
from connectors.base import Context
from connectors.gateway.accepted import AcceptedIds
from connectors.gateway.app import openapi_document
from connectors.gateway.client import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    records_path,
    sign,
    string_to_sign,
)
from connectors.gateway.grants import Grants
from connectors.ingest import ListPublisher
from connectors.meetings import MeetingsConnector
from connectors.open311 import Open311Connector
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from engage.errors import ConfigurationError, PublishFailed
from engage.settings import REPO_ROOT, Settings
from events import PartnerCallLogged
from tests.conftest import ingest_in_memory
from tests.gateway_support import (
    BLOOMSBURY,
    COUNCIL,
    FIRE,
    GRANTS,
    SECRETS,
    ST_PANCRAS,
    FakeClock,
    Key,
    body_of,
    gateway_app,
    gateway_settings,
    open311,
    post_records,
    post_signed,
)
from tests.unit.test_architecture import SHELL_LIBRARIES, imported_roots

SKEW = 300


class FailingPublisher(ListPublisher):
    """Takes records but its broker never acknowledges them, until told to recover."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def flush(self) -> None:
        if self.down:
            self.events.clear()
            self.dead_letters.clear()
            raise PublishFailed("the broker did not acknowledge the run; run it again")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return gateway_settings(tmp_path, gateway_clock_skew_s=SKEW, gateway_max_records=10)


@pytest.fixture
def publisher() -> ListPublisher:
    return ListPublisher()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(settings: Settings, publisher: ListPublisher, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(gateway_app(settings, publisher, clock)) as test_client:
        yield test_client


def refusal(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def nothing_published(publisher: ListPublisher, settings: Settings) -> bool:
    return (
        not publisher.events
        and not publisher.dead_letters
        and len(AcceptedIds(settings.gateway_accepted_path, 10)) == 0
    )


class TestAuthentication:
    @pytest.mark.parametrize("header", [KEY_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER])
    def test_a_missing_header_is_401(
        self,
        client: TestClient,
        clock: FakeClock,
        publisher: ListPublisher,
        settings: Settings,
        header: str,
    ) -> None:
        response = post_signed(client, "open311", body_of([open311()]), COUNCIL, clock.now, drop=[header])
        assert refusal(response) == (401, "missing_credentials")
        assert header in response.json()["detail"]
        assert nothing_published(publisher, settings)

    def test_an_unknown_key_is_401(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        stranger = Key("stranger-1", COUNCIL.secret)
        response = post_signed(client, "open311", body_of([open311()]), stranger, clock.now)
        assert refusal(response) == (401, "unknown_key")
        assert nothing_published(publisher, settings)

    def test_a_signature_under_another_secret_is_401(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        forged = Key(COUNCIL.key_id, FIRE.secret)
        response = post_signed(client, "open311", body_of([open311()]), forged, clock.now)
        assert refusal(response) == (401, "bad_signature")
        assert nothing_published(publisher, settings)

    def test_a_body_changed_after_signing_is_401(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        signed = body_of([open311("R-1")])
        headers = sign(
            COUNCIL.key_id, COUNCIL.secret, "POST", records_path("open311"), signed, int(clock.now)
        )
        response = client.post(records_path("open311"), content=body_of([open311("R-2")]), headers=headers)
        assert refusal(response) == (401, "bad_signature")
        assert nothing_published(publisher, settings)

    def test_a_signature_for_another_path_is_401(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        body = body_of([open311()])
        headers = sign(
            COUNCIL.key_id, COUNCIL.secret, "POST", records_path("canonical"), body, int(clock.now)
        )
        response = client.post(records_path("open311"), content=body, headers=headers)
        assert refusal(response) == (401, "bad_signature")
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize("bad", ["", "zz" * 32, "0" * 63, "é" * 64])
    def test_a_malformed_signature_is_401(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings, bad: str
    ) -> None:
        response = post_signed(
            client,
            "open311",
            body_of([open311()]),
            COUNCIL,
            clock.now,
            replace={SIGNATURE_HEADER: bad.encode("utf-8")},
        )
        assert response.status_code == 401
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize("offset", [-SKEW - 1, SKEW + 1, -10 * SKEW])
    def test_a_timestamp_outside_the_skew_is_401(
        self,
        client: TestClient,
        clock: FakeClock,
        publisher: ListPublisher,
        settings: Settings,
        offset: int,
    ) -> None:
        response = post_signed(client, "open311", body_of([open311()]), COUNCIL, clock.now + offset)
        assert refusal(response) == (401, "stale_timestamp")
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize("offset", [-SKEW, SKEW])
    def test_a_timestamp_at_the_edge_of_the_skew_is_accepted(
        self, client: TestClient, clock: FakeClock, offset: int
    ) -> None:
        response = post_signed(client, "open311", body_of([open311()]), COUNCIL, clock.now + offset)
        assert response.status_code == 200

    def test_a_timestamp_that_is_not_whole_seconds_is_401(self, client: TestClient, clock: FakeClock) -> None:
        body = body_of([open311()])
        moment = f"{int(clock.now)}.0"
        digest = hmac.new(
            COUNCIL.secret, string_to_sign(moment, "POST", records_path("open311"), body), hashlib.sha256
        ).hexdigest()
        headers = {KEY_ID_HEADER: COUNCIL.key_id, TIMESTAMP_HEADER: moment, SIGNATURE_HEADER: digest}
        response = client.post(records_path("open311"), content=body, headers=headers)
        assert refusal(response) == (401, "bad_timestamp")

    def test_a_replayed_request_is_409_and_publishes_nothing_more(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        body = body_of([open311()])
        headers = sign(COUNCIL.key_id, COUNCIL.secret, "POST", records_path("open311"), body, int(clock.now))
        first = client.post(records_path("open311"), content=body, headers=headers)
        clock.now += 10
        again = client.post(records_path("open311"), content=body, headers=headers)
        assert first.status_code == 200
        assert refusal(again) == (409, "replayed")
        assert len(publisher.events) == 1

    def test_a_replay_after_the_skew_window_is_stale(self, client: TestClient, clock: FakeClock) -> None:
        body = body_of([open311()])
        headers = sign(COUNCIL.key_id, COUNCIL.secret, "POST", records_path("open311"), body, int(clock.now))
        assert client.post(records_path("open311"), content=body, headers=headers).status_code == 200
        clock.now += SKEW + 1
        assert refusal(client.post(records_path("open311"), content=body, headers=headers)) == (
            401,
            "stale_timestamp",
        )

    def test_the_same_records_signed_anew_are_answered_duplicate(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        post_records(client, "open311", [open311()], COUNCIL, clock.now)
        clock.now += 1
        response = post_records(client, "open311", [open311()], COUNCIL, clock.now)
        assert response.json()["results"][0]["status"] == "duplicate"
        assert len(publisher.events) == 1


class TestGrants:
    def test_a_source_not_granted_is_403(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        response = post_records(client, "canonical", [{}], FIRE, clock.now)
        assert refusal(response) == (403, "source_not_granted")
        assert "open311" in response.json()["detail"]
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize(
        "source", ["council-csv", "surveys", "police-uk-crime", "police-uk-events", "no-such-source"]
    )
    def test_a_source_not_served_is_403(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, source: str
    ) -> None:
        assert refusal(post_records(client, source, [{}], FIRE, clock.now)) == (403, "source_not_granted")
        assert not publisher.dead_letters

    def test_a_record_outside_the_granted_neighbourhoods_is_rejected_alone(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        inside = open311("in-bloomsbury")
        outside = open311("in-st-pancras", lat=51.5308, long=-0.1240)
        response = post_records(client, "open311", [inside, outside], COUNCIL, clock.now)
        results = response.json()["results"]
        assert [(r["status"], r["reason"]) for r in results] == [
            ("accepted", None),
            ("rejected", "not_granted"),
        ]
        assert ST_PANCRAS in results[1]["detail"]
        assert [e.neighbourhood_id for e in publisher.events] == [BLOOMSBURY]
        assert [d.reason.value for d in publisher.dead_letters] == ["not_granted"]

    def test_the_same_record_from_a_key_granted_everywhere_is_accepted(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        outside = open311("in-st-pancras", lat=51.5308, long=-0.1240)
        response = post_records(client, "open311", [outside], FIRE, clock.now)
        assert response.json()["results"][0]["status"] == "accepted"
        assert [e.neighbourhood_id for e in publisher.events] == [ST_PANCRAS]


class TestBodies:
    def test_a_body_over_the_limit_is_413_before_anything_is_read(
        self, settings: Settings, publisher: ListPublisher, clock: FakeClock
    ) -> None:
        small = settings.model_copy(update={"gateway_max_body_bytes": 1024})
        with TestClient(gateway_app(small, publisher, clock)) as client:
            big = body_of([open311(description="x" * 2000)])
            response = post_signed(client, "open311", big, COUNCIL, clock.now)
        assert refusal(response) == (413, "body_too_large")
        assert nothing_published(publisher, settings)

    def test_a_chunked_body_over_the_limit_is_413(
        self, settings: Settings, publisher: ListPublisher, clock: FakeClock
    ) -> None:
        small = settings.model_copy(update={"gateway_max_body_bytes": 1024})
        big = body_of([open311(description="x" * 2000)])
        headers = sign(COUNCIL.key_id, COUNCIL.secret, "POST", records_path("open311"), big, int(clock.now))
        with TestClient(gateway_app(small, publisher, clock)) as client:
            # No Content-Length: the limit must hold while the body streams in.
            response = client.post(
                records_path("open311"), content=iter([big[:600], big[600:]]), headers=headers
            )
        assert refusal(response) == (413, "body_too_large")
        assert not publisher.events

    def test_too_many_records_is_413(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, settings: Settings
    ) -> None:
        records = [open311(f"R-{i}") for i in range(11)]
        response = post_records(client, "open311", records, COUNCIL, clock.now)
        assert refusal(response) == (413, "too_many_records")
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize(
        "body",
        [
            b'{"records": [',
            b"",
            b'{"records": [{"lat": NaN}]}',
            b'{"records": [{"lat": 1e999}]}',
            b'{"records": [{"x": "\\ud800"}]}',
            b'{"records": [' + b"[" * 40 + b"]" * 40 + b"]}",
            b'{"records": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
            b'{"records": [{"n": ' + b"9" * 5000 + b"}]}",
            '{"records": [{"x": "é"}]}'.encode("latin-1"),
        ],
        ids=[
            "truncated",
            "empty",
            "nan",
            "infinite",
            "lone-surrogate",
            "deep",
            "very-deep",
            "huge-integer",
            "latin-1",
        ],
    )
    def test_a_body_that_is_not_json_is_400(
        self,
        settings: Settings,
        publisher: ListPublisher,
        clock: FakeClock,
        body: bytes,
    ) -> None:
        roomy = settings.model_copy(update={"gateway_max_body_bytes": 1_000_000})
        with TestClient(gateway_app(roomy, publisher, clock)) as client:
            response = post_signed(client, "open311", body, COUNCIL, clock.now)
        assert refusal(response) == (400, "malformed_json")
        assert nothing_published(publisher, settings)

    @pytest.mark.parametrize(
        "document",
        [[], {"records": {}}, {"records": [], "extra": 1}, {"record": []}, "records", None],
    )
    def test_json_of_another_shape_is_422(
        self,
        client: TestClient,
        clock: FakeClock,
        publisher: ListPublisher,
        settings: Settings,
        document: object,
    ) -> None:
        response = post_signed(client, "open311", json.dumps(document).encode(), COUNCIL, clock.now)
        assert refusal(response) == (422, "invalid_body")
        assert nothing_published(publisher, settings)

    def test_an_empty_list_of_records_is_answered_with_no_results(
        self, client: TestClient, clock: FakeClock
    ) -> None:
        response = post_records(client, "open311", [], COUNCIL, clock.now)
        assert response.status_code == 200
        assert response.json()["results"] == []

    def test_other_paths_and_methods_get_the_same_json_refusal(self, client: TestClient) -> None:
        assert refusal(client.get("/v1/nothing")) == (404, "not_found")
        assert refusal(client.get(records_path("open311"))) == (405, "not_found")


class TestAnswers:
    def test_each_record_is_answered_in_order(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        records = [
            open311("good-1"),
            open311(None),
            open311("good-1"),
            "not an object",
            open311("bad-lat", lat="north"),
            open311("good-2", description="Call jo@example.com"),
        ]
        response = post_signed(client, "open311", body_of(records), COUNCIL, clock.now)
        receipt = response.json()
        results = receipt["results"]
        assert [r["index"] for r in results] == list(range(6))
        assert [(r["status"], r["reason"]) for r in results] == [
            ("accepted", None),
            ("rejected", "missing_field"),
            ("duplicate", None),
            ("rejected", "malformed"),
            ("rejected", "invalid_value"),
            ("accepted", None),
        ]
        assert results[0]["event_id"] == results[2]["event_id"] == publisher.events[0].event_id
        assert results[1]["event_id"] is None
        assert "north" in results[4]["detail"]
        assert (receipt["accepted"], receipt["duplicate"], receipt["rejected"]) == (2, 1, 3)
        assert response.headers["X-Request-Id"] == receipt["request_id"]
        assert [e.event_id for e in publisher.events] == [results[0]["event_id"], results[5]["event_id"]]

    def test_rejected_records_are_dead_lettered_with_the_request_and_their_position(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        records = [open311("ok"), open311("far", lat=53.4, description="Ring 07700 900123"), "x"]
        receipt = post_signed(client, "open311", body_of(records), COUNCIL, clock.now).json()
        letters = {d.line: d for d in publisher.dead_letters}
        assert set(letters) == {2, 3}
        assert all(d.file == f"gateway/camden-council/{receipt['request_id']}" for d in letters.values())
        assert all(d.source == "open311" for d in letters.values())
        assert letters[2].reason.value == "unplaced" and "900123" not in letters[2].record
        assert letters[3].reason.value == "malformed"

    def test_a_replay_of_the_gateways_dead_letters_publishes_nothing(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, context: Context
    ) -> None:
        """Their fields are not kept: a replay would not check the partner's grant."""
        outside = open311("in-st-pancras", lat=51.5308, long=-0.1240)
        post_records(client, "open311", [outside, open311(None)], COUNCIL, clock.now)
        assert [d.fields for d in publisher.dead_letters] == [None, None]
        replayed = ListPublisher()
        summary = deadletters.replay(publisher.dead_letters, connector_for, context, replayed)
        assert (summary.replayed, summary.published, replayed.events) == (2, 0, [])

    def test_free_text_is_redacted_before_publishing(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        post_records(client, "open311", [open311(description="Call jo@example.com")], COUNCIL, clock.now)
        payload = publisher.events[0].payload
        assert isinstance(payload, PartnerCallLogged) and payload.description == "Call [email]"

    def test_canonical_envelopes_are_accepted(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        envelope = {
            "event_id": "council-meeting-1",
            "event_type": "PartnerCallLogged",
            "event_time": "2026-01-01T09:00:00+00:00",
            "source": "camden-council",
            "neighbourhood_id": BLOOMSBURY,
            "payload": {
                "event_type": "PartnerCallLogged",
                "partner": "council",
                "service_code": "GRAF",
                "theme": "criminal_damage",
                "description": "",
            },
        }
        response = post_records(
            client, "canonical", [envelope, {**envelope, "event_id": 7}], COUNCIL, clock.now
        )
        assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected"]
        assert publisher.events[0].event_id == "council-meeting-1"

    def test_a_meeting_stands_for_several_events_and_is_answered_once(
        self, client: TestClient, clock: FakeClock, publisher: ListPublisher, context: Context, tmp_path: Path
    ) -> None:
        lines = (REPO_ROOT / "data" / "meetings" / "meetings_synthetic.jsonl").read_text().splitlines()
        meeting = next(json.loads(line) for line in lines if '"SYN-CAM-PACT-0009"' in line)
        path = tmp_path / "one-meeting.jsonl"
        path.write_text(json.dumps(meeting) + "\n", encoding="utf-8")
        from_file = ingest_in_memory(MeetingsConnector(), path, context)

        first = post_records(client, "meetings", [meeting], COUNCIL, clock.now).json()["results"]
        clock.now += 1
        again = post_records(client, "meetings", [meeting], COUNCIL, clock.now).json()["results"]

        assert len(from_file.events) > 1  # the meeting, its priorities and the actions reported at it
        assert [e.event_id for e in publisher.events] == [e.event_id for e in from_file.events]
        assert first[0]["status"] == "accepted" and first[0]["event_id"] == from_file.events[0].event_id
        assert again[0]["status"] == "duplicate" and len(publisher.events) == len(from_file.events)

    def test_duplicates_are_remembered_across_a_restart(
        self, settings: Settings, clock: FakeClock, publisher: ListPublisher
    ) -> None:
        with TestClient(gateway_app(settings, publisher, clock)) as first:
            post_records(first, "open311", [open311()], COUNCIL, clock.now)
        clock.now += 1
        with TestClient(gateway_app(settings, ListPublisher(), clock)) as second:
            response = post_records(second, "open311", [open311()], COUNCIL, clock.now)
        assert response.json()["results"][0]["status"] == "duplicate"

    def test_the_answers_match_what_engage_ingest_does_with_the_same_records(
        self, client: TestClient, clock: FakeClock, context: Context, tmp_path: Path
    ) -> None:
        records = [
            open311("a"),
            open311("b", lat="north"),
            open311("c", lat=None, long=None),
            open311("d", requested_datetime="2024-05-01T09:30:00"),
            open311(None),
            [1, 2],
        ]
        path = tmp_path / "requests.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        by_file = ingest_in_memory(Open311Connector(), path, context)
        results = post_records(client, "open311", records, FIRE, clock.now).json()["results"]
        from_file = {line - 1: (d.reason.value, d.detail) for line, d in by_file.letters.items()}
        over_http = {r["index"]: (r["reason"], r["detail"]) for r in results if r["status"] == "rejected"}
        assert over_http == from_file
        assert [e.event_id for e in by_file.events] == [r["event_id"] for r in results if r["event_id"]]


class TestUnavailableBroker:
    def test_a_broker_that_does_not_acknowledge_is_503_and_nothing_is_remembered(
        self, settings: Settings, clock: FakeClock
    ) -> None:
        publisher = FailingPublisher()
        with TestClient(gateway_app(settings, publisher, clock)) as client:
            failed = post_records(client, "open311", [open311()], COUNCIL, clock.now)
            publisher.down = False
            clock.now += 1
            retried = post_records(client, "open311", [open311()], COUNCIL, clock.now)
        assert refusal(failed) == (503, "unavailable")
        assert failed.headers["Retry-After"] == "5"
        assert retried.json()["results"][0]["status"] == "accepted"
        assert len(publisher.events) == 1


class TestAcceptedIds:
    def test_the_oldest_ids_are_forgotten_past_the_limit(self, tmp_path: Path) -> None:
        accepted = AcceptedIds(tmp_path / "ids.sqlite", limit=3)
        accepted.add(["a", "b"])
        accepted.add(["c", "d", "e"])
        assert [i in accepted for i in "abcde"] == [False, False, True, True, True]
        assert len(accepted) == 3


class TestGrantsFile:
    def load(
        self, neighbourhoods: Neighbourhoods, document: Any, environ: dict[str, str] = SECRETS
    ) -> Grants:
        return Grants.from_document(document, "grants.yaml", neighbourhoods, environ)

    def test_names_resolve_to_ids(self, neighbourhoods: Neighbourhoods) -> None:
        grant = self.load(neighbourhoods, GRANTS).for_key(COUNCIL.key_id)
        assert grant is not None and grant.neighbourhoods == frozenset({BLOOMSBURY})

    def test_a_missing_secret_names_its_variable(self, neighbourhoods: Neighbourhoods) -> None:
        with pytest.raises(ConfigurationError, match="TEST_SECRET_FIRE"):
            self.load(neighbourhoods, GRANTS, {"TEST_SECRET_COUNCIL": SECRETS["TEST_SECRET_COUNCIL"]})

    def test_a_short_secret_is_refused(self, neighbourhoods: Neighbourhoods) -> None:
        with pytest.raises(ConfigurationError, match="at least 32"):
            self.load(neighbourhoods, GRANTS, {**SECRETS, "TEST_SECRET_FIRE": "short"})

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"sources": ["council-csv"]}, "mapping file"),
            ({"sources": ["surveys"]}, "mapping file"),
            ({"sources": ["police-uk-priorities"]}, "--neighbourhood"),
            ({"sources": ["fixmystreet"]}, "mapping file"),
            ({"sources": ["nonsense"]}, "no source"),
            ({"neighbourhoods": ["Atlantis"]}, "Atlantis"),
            ({"neighbourhoods": "some"}, "neighbourhoods"),
            ({"key_id": "council-1"}, "share a key_id"),
            ({"secret": "inline"}, "secret"),
        ],
    )
    def test_a_bad_entry_is_refused_with_what_to_fix(
        self, neighbourhoods: Neighbourhoods, change: dict[str, Any], message: str
    ) -> None:
        entries = [GRANTS["grants"][0], {**GRANTS["grants"][1], **change}]
        with pytest.raises(ConfigurationError, match=message):
            self.load(neighbourhoods, {"grants": entries})


class TestDocuments:
    def test_the_committed_openapi_document_is_current(self) -> None:
        committed = (REPO_ROOT / "docs" / "gateway-openapi.json").read_text(encoding="utf-8")
        assert committed == json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", (
            "regenerate it: engage gateway --print-openapi > docs/gateway-openapi.json"
        )

    def test_the_service_serves_the_same_document(self, client: TestClient) -> None:
        assert client.get("/openapi.json").json() == openapi_document()

    def test_the_worked_example_in_the_guide_is_right(self) -> None:
        guide = (REPO_ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
        body = b'{"records": []}'
        headers = sign(
            "example-1",
            b"an-example-secret-of-32-characters",
            "POST",
            records_path("open311"),
            body,
            1767225600,
        )
        assert headers[SIGNATURE_HEADER] in guide
        assert hashlib.sha256(body).hexdigest() in guide


class TestArchitecture:
    def test_the_gateway_imports_no_kafka_the_command_line_hands_it_a_publisher(self) -> None:
        for path in sorted((REPO_ROOT / "connectors" / "gateway").glob("*.py")):
            assert not imported_roots(path) & SHELL_LIBRARIES, path.name

    def test_the_partner_client_needs_only_the_standard_library(self) -> None:
        assert imported_roots(REPO_ROOT / "connectors" / "gateway" / "client.py") <= set(
            sys.stdlib_module_names
        ) | {"__future__"}
