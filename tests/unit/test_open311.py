"""The Open311 connector on the synthetic example that ships with the repo, and on broken requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.base import Context, read_json_array
from connectors.ingest import ListPublisher, run
from connectors.open311 import Open311Connector
from connectors.placing import Neighbourhoods
from connectors.registry import connector_for
from engage.settings import REPO_ROOT
from events import PartnerCallLogged, Theme
from tests.conftest import ingest_in_memory

EXAMPLE = REPO_ROOT / "data" / "partners" / "open311" / "example_requests.json"


def request(request_id: str | None = "1", **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "service_request_id": request_id,
        "status": "open",
        "service_name": "Graffiti Removal",
        "service_code": "GRAF",
        "description": "Tags on the wall.",
        "agency_responsible": "Camden Council",
        "requested_datetime": "2024-05-01T09:30:00+01:00",
        "address": "Great Russell Street",
        "lat": 51.5194,
        "long": -0.1270,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def payloads(publisher: ListPublisher) -> list[PartnerCallLogged]:
    return [e.payload for e in publisher.events if isinstance(e.payload, PartnerCallLogged)]


class TestExample:
    def test_every_synthetic_request_is_placed_and_themed(
        self, context: Context, neighbourhoods: Neighbourhoods
    ) -> None:
        publisher = ListPublisher()
        summary = run(connector_for("open311"), EXAMPLE, context, publisher)
        assert summary.read == 6 == summary.published
        assert [p.theme for p in payloads(publisher)] == [
            Theme.CRIMINAL_DAMAGE,
            Theme.ENVIRONMENT,
            Theme.NOISE,
            Theme.VEHICLE_CRIME,
            Theme.DRUGS,
            Theme.ENVIRONMENT,
        ]
        assert neighbourhoods.by_id(publisher.events[0].neighbourhood_id).name == "Bloomsbury"
        assert payloads(publisher)[3].partner == "council"  # no agency_responsible
        assert payloads(publisher)[0].partner == "Camden Council Street Environment"
        assert payloads(publisher)[0].service_code == "GRAF"
        assert all(e.source == "open311" for e in publisher.events)

    def test_event_ids_are_stable_across_runs(self, context: Context) -> None:
        first, second = ListPublisher(), ListPublisher()
        run(Open311Connector(), EXAMPLE, context, first)
        run(Open311Connector(), EXAMPLE, context, second)
        ids = [e.event_id for e in first.events]
        assert len(set(ids)) == 6
        assert ids == [e.event_id for e in second.events]

    def test_the_time_keeps_its_offset(self, context: Context) -> None:
        publisher = ListPublisher()
        run(Open311Connector(), EXAMPLE, context, publisher)
        assert publisher.events[0].event_time.isoformat() == "2024-05-01T09:30:00+01:00"


class TestThemes:
    def test_unmapped_services_are_other(self, context: Context, tmp_csv: Callable[[str, str], Path]) -> None:
        path = tmp_csv(
            "r.json", json.dumps([request(service_name="Pavement Café Licence", service_code="PCL")])
        )
        publisher = ListPublisher()
        run(Open311Connector(), path, context, publisher)
        assert payloads(publisher)[0].theme == Theme.OTHER


class TestBadRecords:
    def test_each_bad_request_is_rejected_with_its_reason_and_the_run_goes_on(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        elements = [
            json.dumps(request("good-1")),
            '"not an object"',
            json.dumps(request("bad-lat", lat="north")),
            json.dumps(request("bool-lat", lat=True)),
            json.dumps(request("nowhere", lat=None, long=None)),
            json.dumps(request("liverpool", lat=53.40, long=-2.98)),
            json.dumps(request("no-offset", requested_datetime="2024-05-01T09:30:00")),
            json.dumps(request(None)),
            json.dumps(request("good-2", lat="51.5308", long="-0.1240")),
        ]
        path = tmp_csv("mixed.json", "[\n" + ",\n".join(elements) + "\n]\n")
        ran = ingest_in_memory(Open311Connector(), path, context)
        summary, by_line = ran.summary, ran.letters
        assert summary.read == 9
        assert summary.published == 2
        assert dict(summary.reasons) == {
            "malformed": 1,
            "invalid_value": 3,
            "unplaced": 2,
            "missing_field": 1,
        }
        assert by_line[2].reason.value == "malformed"
        assert by_line[3].reason.value == "invalid_value" and "north" in by_line[3].detail
        assert by_line[4].reason.value == "invalid_value"
        assert by_line[5].reason.value == "unplaced" and "no 'lat'" in by_line[5].detail
        assert by_line[6].reason.value == "unplaced" and "none of the neighbourhoods" in by_line[6].detail
        assert by_line[7].reason.value == "invalid_value" and "offset" in by_line[7].detail
        assert by_line[8].reason.value == "missing_field"
        assert all(letter.source == "open311" and letter.file == "mixed.json" for letter in by_line.values())

    def test_a_syntax_error_rejects_the_rest_of_the_array_as_one_record(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        text = (
            "["
            + json.dumps(request("good"))
            + ', {"service_request_id": }, '
            + json.dumps(request("x"))
            + "]"
        )
        path = tmp_csv("broken.json", text)
        publisher = ListPublisher()
        summary = run(Open311Connector(), path, context, publisher)
        assert (summary.read, summary.published, summary.rejected) == (2, 1, 1)
        assert publisher.dead_letters[0].line == 2
        assert publisher.dead_letters[0].reason.value == "malformed"

    def test_a_file_that_is_not_an_array_is_one_malformed_record(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        path = tmp_csv("object.json", json.dumps(request("lonely")))
        summary = run(Open311Connector(), path, context, ListPublisher())
        assert (summary.read, summary.rejected, dict(summary.reasons)) == (1, 1, {"malformed": 1})

    def test_elements_are_numbered_from_one(self, tmp_csv: Callable[[str, str], Path]) -> None:
        path = tmp_csv("two.json", json.dumps([request("a"), request("b")]))
        assert [r.line for r in read_json_array(path)] == [1, 2]


class TestPrivacy:
    def test_e_mails_and_phones_in_descriptions_are_redacted_everywhere(
        self, context: Context, tmp_csv: Callable[[str, str], Path]
    ) -> None:
        personal = "Call jo.bloggs@example.com or 07700 900123 about it."
        path = tmp_csv(
            "personal.json",
            json.dumps([request("ok", description=personal), request("far", description=personal, lat=53.4)]),
        )
        publisher = ListPublisher()
        summary = run(Open311Connector(), path, context, publisher)
        assert payloads(publisher)[0].description == "Call [email] or [phone] about it."
        letter = publisher.dead_letters[0]
        assert "jo.bloggs" not in letter.record and "900123" not in letter.record
        assert summary.redacted == {"email": 2, "phone": 2}
