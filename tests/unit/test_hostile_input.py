"""Bad input at volume: thousands of malformed and hostile records through every connector's file
reader and mapping, in memory. No run raises; every record read is published or dead-lettered, with a
reason; every letter fits in one broker message and carries none of the personal data planted."""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors.base import Context, SourceRecord
from connectors.ingest import LETTER_TEXT_LIMIT, run, settle
from connectors.privacy import redact
from connectors.registry import CONNECTORS
from connectors.rejections import DeadLetter, Reason
from events.codec import encode
from tests import hostile

PER_CONNECTOR = 1_000
"""Records each connector must have read (not merely been written) for its test to pass."""
EXAMPLES = 24
RECORDS_PER_FILE = (45, 60)


@pytest.fixture(autouse=True, scope="module")
def quiet() -> Iterator[None]:
    # Thousands of records: keep their debug lines (one per rejected record) out of the capture.
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**previous)


def test_every_registered_connector_is_tried_and_the_total_is_ten_thousand() -> None:
    assert set(hostile.SOURCES) == set(CONNECTORS)
    assert PER_CONNECTOR * len(hostile.SOURCES) >= 10_000


@pytest.mark.parametrize("source", sorted(hostile.SOURCES))
def test_hostile_records_are_published_or_dead_lettered_with_a_reason(
    source: str, context: Context, tmp_path: Path
) -> None:
    spec = hostile.SOURCES[source]
    tried: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # A failing file is printed whole; shrinking files of fifty records took minutes.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(
        content=hostile.hostile_file(spec, *RECORDS_PER_FILE),
        # police.uk files name their neighbourhood; --neighbourhood may name one that does not exist.
        given_neighbourhood=st.sampled_from([None, None, None, "Atlantis", hostile.BLOOMSBURY]),
    )
    def check(content: bytes, given_neighbourhood: str | None) -> None:
        path = hostile.write(tmp_path, spec, content)
        publisher = hostile.WirePublisher()
        summary = run(
            hostile.connector(source), path, replace(context, neighbourhood=given_neighbourhood), publisher
        )
        letters = publisher.dead_letters
        assert summary.read == summary.published + summary.rejected
        assert len(letters) == summary.rejected
        assert len(publisher.events) == summary.events_published
        if spec.layout == "jsonl":
            assert summary.read == hostile.non_blank_lines(content)
        # One letter per rejected record, each naming the record's own line, a reason and what to fix.
        assert len({letter.line for letter in letters}) == len(letters)
        for letter in letters:
            assert isinstance(letter.reason, Reason)
            assert letter.detail.strip()
            assert (letter.source, letter.file) == (source, path.name)
            assert not hostile.leaked(encode(letter)), letter
        assert sum(summary.reasons.values()) == summary.rejected
        for event in publisher.events:
            assert not hostile.leaked(encode(event.payload)), event
        tried["read"] += summary.read
        tried["rejected"] += summary.rejected
        tried.update(f"reason:{letter.reason.value}" for letter in letters)

    check()
    assert tried["read"] >= PER_CONNECTOR, tried
    # Hostile input is mostly refused; a connector that refused nothing would not have been tested.
    assert tried["rejected"] >= PER_CONNECTOR // 2, tried


def settled_letter(source: str, fields: dict[str, Any], context: Context, text: str = "{}") -> DeadLetter:
    done = settle(hostile.connector(source), SourceRecord(1, text, fields), "f.jsonl", context)
    assert done.letter is not None, done.events
    return done.letter


class TestWhatTheVolumeFound:
    """Each fault the hostile records found, as one small case: it raised, or lost or leaked data."""

    def test_lines_that_are_not_utf8_too_deep_or_unreadable_numbers_are_malformed_and_the_run_goes_on(
        self, context: Context, tmp_path: Path
    ) -> None:
        lines = [
            b'{"id": "caf\xe9"}',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"id": ' + b"7" * 5000 + b"}",
            json.dumps({"id": "x", "deep": hostile.nested(40)}).encode(),
            b'{"id": "lone \\ud800 surrogate"}',
        ]
        path = tmp_path / "posts.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        publisher = hostile.WirePublisher()
        summary = run(hostile.connector("social"), path, context, publisher)
        assert (summary.read, summary.rejected) == (5, 5)
        assert {letter.reason for letter in publisher.dead_letters} == {Reason.MALFORMED}
        assert all(letter.fields is None for letter in publisher.dead_letters)
        assert "\ufffd" in publisher.dead_letters[0].record

    def test_a_byte_that_is_not_utf8_below_a_csv_header_fails_its_line_not_the_file(
        self, context: Context, tmp_path: Path
    ) -> None:
        spec = hostile.SOURCES["fixmystreet"]
        path = tmp_path / "counts.csv"
        path.write_bytes(
            b"month,lsoa,SHEF_A_CODE,reports,unique_users,average_per_user\n2019-01,E01000842,A33,2,1,2.0\n2019-01,E0100\xff,A33,2,1,2.0\n"
        )
        summary = run(hostile.connector(spec.name), path, context, hostile.WirePublisher())
        assert (summary.read, summary.published, dict(summary.reasons)) == (2, 1, {"malformed": 1})

    @pytest.mark.parametrize(
        ("source", "fields"),
        [
            (
                "open311",
                {
                    "service_request_id": "1",
                    "requested_datetime": "2024-05-01T09:30:00+01:00",
                    "lat": 10**400,
                    "long": -0.127,
                },
            ),
            (
                "open311",
                {
                    "service_request_id": "1",
                    "requested_datetime": "2024-05-01T09:30:00+01:00",
                    "lat": math.nan,
                    "long": -0.127,
                },
            ),
            ("canonical", {"event_type": "MeetingHeld", "schema_version": math.inf}),
            (
                "police-uk-crime",
                {
                    "Crime ID": "c1",
                    "Crime type": "Drugs",
                    "Month": "2023-03",
                    "Ward Name": "Bloomsbury",
                    "Location": "x" * 201,
                },
            ),
            (
                "meetings",
                {
                    "id": "m",
                    "when": "2026-01-14T19:00:00",
                    "kind": "pact",
                    "where": "Bloomsbury",
                    "attendance": 10**30,
                },
            ),
            (
                "meetings",
                {"id": "m", "when": "0001-01-01T00:00:00+01:00", "kind": "pact", "where": "Bloomsbury"},
            ),
            (
                "social",
                {
                    "id": "1",
                    "created_at": "9999-12-31T23:59:59-01:00",
                    "platform": "x",
                    "text": "hi",
                    "place": "Bloomsbury",
                },
            ),
            (
                "social",
                {
                    "id": "1",
                    "created_at": "2099-01-01T00:00:00+00:00",
                    "platform": "x",
                    "text": "hi",
                    "place": "Bloomsbury",
                },
            ),
        ],
    )
    def test_values_that_raised_or_were_published_out_of_range_are_invalid(
        self, source: str, fields: dict[str, Any], context: Context
    ) -> None:
        assert settled_letter(source, fields, context).reason is Reason.INVALID_VALUE

    @pytest.mark.parametrize(
        ("source", "fields"),
        [
            (
                "police-uk-crime",
                {"Crime ID": "c1", "Crime type": "\x00", "Month": "2023-03", "Ward Name": "Bloomsbury"},
            ),
            (
                "meetings",
                {
                    "id": "m",
                    "when": "2026-01-14T19:00:00",
                    "kind": "pact",
                    "where": "Bloomsbury",
                    "attendee_groups": {"\u200b": 1},
                },
            ),
            (
                "social",
                {
                    "id": "1",
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "platform": "\x01",
                    "text": "hi",
                    "place": "Bloomsbury",
                },
            ),
        ],
    )
    def test_a_label_left_empty_by_redaction_is_rejected_not_published_undecodable(
        self, source: str, fields: dict[str, Any], context: Context
    ) -> None:
        letter = settled_letter(source, fields, context)
        assert letter.reason is Reason.INVALID_VALUE and letter.detail.endswith("once redacted")

    def test_a_count_over_a_million_is_invalid(self, context: Context) -> None:
        record = {"month": "2019-01", "lsoa": "E01000842", "SHEF_A_CODE": "A33", "reports": str(10**30)}
        connector = hostile.connector("fixmystreet")
        done = settle(connector, SourceRecord(2, "", record), "counts.csv", context)
        assert done.letter is not None and done.letter.reason is Reason.INVALID_VALUE

    def test_a_huge_record_makes_a_letter_that_fits_a_message_with_no_half_address_at_the_cut(
        self, context: Context
    ) -> None:
        text = "write to jo.bloggs@example.com " * 50_000
        letter = settled_letter("social", {"id": "1", "text": text}, context, text=text)
        assert len(encode(letter)) < hostile.MESSAGE_LIMIT
        assert len(letter.record) < LETTER_TEXT_LIMIT + 100 and letter.record.endswith("characters in all]")
        assert "jo.bloggs" not in letter.record and "[email]" in letter.record
        assert letter.fields is None  # too large to keep for a replay

    @pytest.mark.parametrize(
        "text", ["ring +44 \x01\x07\x1f20 7946 0958", "07700\u200b900123", "jo.bloggs@\u2060example.com"]
    )
    def test_a_number_or_address_split_by_invisible_characters_is_still_found(self, text: str) -> None:
        assert not hostile.leaked(redact(text)[0].encode())

    def test_an_address_after_a_long_word_is_still_found(self) -> None:
        assert redact("a" * 50_000 + " jo.bloggs@example.com")[0].endswith(" [email]")

    def test_personal_data_in_field_names_and_non_finite_numbers_are_kept_redacted_and_as_text(
        self, context: Context
    ) -> None:
        fields = {"id": "1", "jo.bloggs@example.com": 1, "\x00jo.bloggs@example.com": 2, "lat": math.inf}
        letter = settled_letter("social", fields, context)
        # A connector's own marked fields keep their mark, so that a replay still finds them.
        assert letter.fields == {"id": "1", "[email]": 1, "\x00[email]": 2, "lat": "inf"}

    def test_personal_data_in_labels_is_not_published(self, context: Context) -> None:
        record = {
            "service_request_id": "1",
            "requested_datetime": "2024-05-01T09:30:00+01:00",
            "lat": 51.5194,
            "long": -0.127,
            "service_code": "GRAF jo.bloggs@example.com",
            "agency_responsible": "call 07700 900123",
        }
        done = settle(hostile.connector("open311"), SourceRecord(1, "", record), "r.json", context)
        (event,) = done.published
        assert (event.payload.service_code, event.payload.partner) == ("GRAF [email]", "call [phone]")  # type: ignore[union-attr]
        assert done.redactions.counts == {"email": 1, "phone": 1}
