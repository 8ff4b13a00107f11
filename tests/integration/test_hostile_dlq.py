"""Bad input at volume through the real broker: over a thousand hostile records from every connector
published with the Kafka publisher, then the dead-letter topic read back. Each rejected record is on
it, once, with its reason; every run balances; the events are on the events topic; and the worker and
the sink still catch up, so no hostile record that was published stops them."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors.base import Context
from connectors.ingest import LETTER_TEXT_LIMIT, ListPublisher, run
from connectors.kafka_publisher import KafkaPublisher
from connectors.placing import AreaLookup, Neighbourhoods
from connectors.registry import CONNECTORS
from connectors.rejections import DeadLetter, Reason
from engage import kafka_admin, processes
from engage.settings import Settings
from events import Envelope, topics
from events.codec import decode_envelope, encode
from tests import hostile

pytestmark = pytest.mark.integration

RECORDS = 1_000
"""Records read, over all connectors, that must have been published to the broker or dead-lettered."""
EXAMPLES = 3
RECORDS_PER_FILE = (35, 45)


class Tee(ListPublisher):
    """The real Kafka publisher, remembering what it was given so the topics can be checked against it."""

    def __init__(self, kafka: KafkaPublisher) -> None:
        super().__init__()
        self.kafka = kafka

    def publish_event(self, event: Envelope) -> None:
        self.kafka.publish_event(event)
        super().publish_event(event)

    def publish_dead_letter(self, letter: DeadLetter) -> None:
        self.kafka.publish_dead_letter(letter)
        super().publish_dead_letter(letter)

    def flush(self) -> None:
        self.kafka.flush()


@pytest.fixture
def quiet() -> Iterator[None]:
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**previous)


def test_hostile_records_reach_the_dead_letter_topic_with_their_reasons(
    stack: Settings, neighbourhoods: Neighbourhoods, areas: AreaLookup, tmp_path: Path, quiet: None
) -> None:
    assert set(hostile.SOURCES) == set(CONNECTORS)
    tag = f"hostile-{uuid.uuid4().hex[:8]}-"
    context = Context(neighbourhoods, datetime.now(UTC), b"test", areas)
    tee = Tee(KafkaPublisher(stack.bootstrap_servers))
    files: dict[str, Counter[str]] = {}
    runs = iter(range(1_000_000))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=st.data())
    def ingest_every_source(data: st.DataObject) -> None:
        for source, spec in sorted(hostile.SOURCES.items()):
            content = data.draw(hostile.hostile_file(spec, *RECORDS_PER_FILE), label=source)
            path = hostile.write(tmp_path, spec, content, prefix=f"{tag}{next(runs)}-")
            summary = run(hostile.connector(source), path, context, tee)
            assert summary.read == summary.published + summary.rejected
            files[path.name] = Counter(read=summary.read, rejected=summary.rejected)

    try:
        ingest_every_source()
        # A line of a megabyte and a half, once not JSON and once a post far too long: each letter
        # must still fit in one message, which the broker refuses past a megabyte.
        huge = tmp_path / f"{tag}huge.jsonl"
        post = '{"id": "h1", "created_at": "2026-01-01T00:00:00+00:00", "platform": "x", "text": "%s"}'
        huge.write_text("{" + "x" * 1_500_000 + "\n" + post % ("word " * 300_000) + "\n", encoding="utf-8")
        summary = run(hostile.connector("social"), huge, context, tee)
        assert (summary.read, summary.rejected) == (2, 2)
        files[huge.name] = Counter(read=2, rejected=2)
    finally:
        tee.kafka.close()

    read = sum(counts["read"] for counts in files.values())
    assert read >= RECORDS, read
    sent_letters = [letter for letter in tee.dead_letters if letter.file in files]
    assert len(sent_letters) == sum(counts["rejected"] for counts in files.values())

    on_topic = [
        DeadLetter.model_validate_json(value) for value in kafka_admin.read_all(stack, topics.DEADLETTER)
    ]
    mine = [letter for letter in on_topic if letter.file in files]
    # Each rejected record is on the topic exactly once, as it was sent, with a reason and a detail.
    assert sorted(mine, key=lambda d: (d.file, d.line)) == sorted(
        sent_letters, key=lambda d: (d.file, d.line)
    )
    for name, counts in files.items():
        assert sum(1 for letter in mine if letter.file == name) == counts["rejected"], name
    assert all(isinstance(letter.reason, Reason) and letter.detail for letter in mine)
    assert not [letter for letter in mine if hostile.leaked(encode(letter))]
    assert {letter.reason for letter in mine if letter.file == huge.name} == {
        Reason.MALFORMED,
        Reason.INVALID_VALUE,
    }
    assert all(len(letter.record) < LETTER_TEXT_LIMIT + 100 for letter in mine)

    published = {event.event_id for event in tee.events}
    events_on_topic = {
        decode_envelope(value).event_id for value in kafka_admin.read_all(stack, topics.EVENTS)
    }
    assert published <= events_on_topic
    # What was published of the hostile input is folded like any event: the worker and the sink catch up.
    processes.wait(stack, timeout=300)
