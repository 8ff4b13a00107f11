"""Records through the real broker, the Faust worker and the sink into DuckDB: exactly once."""

from __future__ import annotations

import csv
import json
import urllib.error
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import ingest
from connectors.base import Context
from connectors.kafka_publisher import KafkaPublisher
from connectors.placing import Neighbourhoods
from connectors.police_uk_crime import PoliceUkCrimeConnector
from connectors.rejections import DeadLetter
from engage import kafka_admin, processes
from engage.errors import BrokerUnavailable
from engage.settings import Settings
from events import topics
from tests.conftest import CAMDEN_CRIME
from tests.integration.conftest import counts, delta, publish, query

pytestmark = pytest.mark.integration


class TestEndToEnd:
    def test_duckdb_holds_exactly_the_input_counts_per_neighbourhood(
        self, stack: Settings, neighbourhoods: Neighbourhoods
    ) -> None:
        # Other tests share the stack and may have sent crime records of their own: what decides the
        # expectation is whether this file's events went in before (then they are duplicates).
        dry_run = ingest.ListPublisher()
        context = Context(neighbourhoods=neighbourhoods, recorded_time=datetime.now(UTC), salt=b"test")
        ingest.run(PoliceUkCrimeConnector(), CAMDEN_CRIME, context, dry_run)
        sample = dry_run.events[:50]
        ids = ", ".join(f"'{e.event_id}'" for e in sample)
        seen_before = int(query(stack, f"select count(*) as n from events where event_id in ({ids})")[0]["n"])
        before = counts(stack, "recorded_crime")
        summary = publish(stack, PoliceUkCrimeConnector(), CAMDEN_CRIME, neighbourhoods)
        processes.wait(stack, timeout=120)
        with CAMDEN_CRIME.open(encoding="utf-8-sig", newline="") as handle:
            expected = Counter(neighbourhoods.by_name(r["Ward Name"]).id for r in csv.DictReader(handle))
        got = delta(counts(stack, "recorded_crime"), before)
        assert summary.published == 4075
        assert seen_before in (0, len(sample))
        assert got == (dict(expected) if seen_before == 0 else {})

    def test_sending_the_same_file_again_changes_nothing(
        self, stack: Settings, neighbourhoods: Neighbourhoods
    ) -> None:
        publish(stack, PoliceUkCrimeConnector(), CAMDEN_CRIME, neighbourhoods)
        processes.wait(stack, timeout=120)
        before = counts(stack)
        summary = publish(stack, PoliceUkCrimeConnector(), CAMDEN_CRIME, neighbourhoods)
        processes.wait(stack, timeout=120)
        assert summary.published == 4075
        assert counts(stack) == before
        assert sum(before.values()) >= 4075


class TestDeadLetters:
    def test_bad_records_are_dead_lettered_with_line_and_reason_and_the_run_goes_on(
        self, stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        header = CAMDEN_CRIME.read_text(encoding="utf-8-sig").splitlines()[0]
        good = CAMDEN_CRIME.read_text(encoding="utf-8-sig").splitlines()[1]
        path = tmp_path / "dead-letter-test.csv"
        path.write_text(
            "\n".join(
                [
                    header,
                    "Drugs,only,three",
                    good.replace("75265998", "dlq-bad-ward").replace(
                        "St Pancras and Somers Town", "Atlantis"
                    ),
                    good.replace("75265998", "dlq-bad-type")
                    .replace("St Pancras and Somers Town", "")
                    .replace("-0.126199", "west"),
                ]
            )
            + "\n"
        )
        summary = publish(stack, PoliceUkCrimeConnector(), path, neighbourhoods)
        assert (summary.read, summary.published, summary.rejected) == (3, 0, 3)
        assert dict(summary.reasons) == {"malformed": 1, "unknown_neighbourhood": 1, "invalid_value": 1}
        letters = [DeadLetter.model_validate_json(v) for v in kafka_admin.read_all(stack, topics.DEADLETTER)]
        mine = {d.line: d for d in letters if d.file == path.name}
        assert {line: d.reason.value for line, d in mine.items()} == {
            2: "malformed",
            3: "unknown_neighbourhood",
            4: "invalid_value",
        }
        assert "Atlantis" in mine[3].detail and "west" in mine[4].detail


class TestRealBroker:
    def test_publishing_without_a_broker_fails_with_advice(self) -> None:
        with pytest.raises(BrokerUnavailable, match="engage up"):
            KafkaPublisher("127.0.0.1:1")

    def test_the_service_refuses_writes(self, stack: Settings) -> None:
        with pytest.raises(urllib.error.HTTPError) as caught:
            query(stack, "delete from activity_current")
        assert caught.value.code == 400
        assert "only SELECT" in json.loads(caught.value.read())["error"]
