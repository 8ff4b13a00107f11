"""`engage ingest --source NAME PATH` on every example file of the engagement connectors, through the
command line with the in-memory publisher in the Kafka publisher's place: the summary it prints obeys
read = published + rejected with the documented figures, and --neighbourhood reaches the connector."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors import kafka_publisher
from connectors.ingest import ListPublisher
from engage import logs
from engage.cli import app
from engage.settings import REPO_ROOT

DATA = REPO_ROOT / "data"


class InMemoryPublisher(ListPublisher):
    """The in-memory twin, built as the CLI builds the Kafka publisher; remembers its last instance."""

    last: InMemoryPublisher | None = None

    def __init__(self, bootstrap_servers: str, security: Mapping[str, object] | None = None) -> None:
        super().__init__()
        InMemoryPublisher.last = self

    def close(self) -> None:
        return None


@pytest.fixture
def in_memory(monkeypatch: pytest.MonkeyPatch) -> type[InMemoryPublisher]:
    monkeypatch.setattr(kafka_publisher, "KafkaPublisher", InMemoryPublisher)
    # The CLI configures structlog for the process and caches its loggers; the rest of the test
    # session should keep the test defaults.
    monkeypatch.setattr(logs, "configure", lambda *args, **kwargs: None)
    return InMemoryPublisher


def ingest(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["ingest", *args])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith('{"read"')]
    summary: dict[str, object] = json.loads(line)
    return summary


@pytest.mark.parametrize(
    ("source", "path", "expected"),
    [
        ("meetings", "meetings/meetings_synthetic.jsonl", (132, 130, 2, 184)),
        ("surveys", "surveys/camden_streetsafe_synthetic.csv", (400, 360, 40, 360)),
        ("police-uk-priorities", "police_uk/camden_E36007170_priorities_synthetic.json", (5, 5, 0, 8)),
        ("police-uk-events", "police_uk/camden_E36007170_events_synthetic.json", (7, 6, 1, 6)),
        ("police-uk-priorities", "police_uk/leicestershire_NC04_priorities.json", (1, 0, 1, 0)),
        ("police-uk-events", "police_uk/leicestershire_NC04_events.json", (1, 0, 1, 0)),
    ],
)
def test_each_example_file(
    in_memory: type[InMemoryPublisher], source: str, path: str, expected: tuple[int, int, int, int]
) -> None:
    summary = ingest("--source", source, str(DATA / path))
    counts = tuple(int(str(summary[key])) for key in ("read", "published", "rejected", "events_published"))
    assert counts == expected
    assert counts[0] == counts[1] + counts[2]
    *_, rejected, events = expected
    publisher = in_memory.last
    assert publisher is not None
    assert (len(publisher.events), len(publisher.dead_letters)) == (events, rejected)


def test_the_neighbourhood_option_places_a_file_that_names_none(
    in_memory: type[InMemoryPublisher], tmp_path: Path
) -> None:
    path = tmp_path / "priorities.json"
    path.write_bytes((DATA / "police_uk" / "leicestershire_NC04_priorities.json").read_bytes())
    unplaced = ingest("--source", "police-uk-priorities", str(path))
    assert unplaced["reasons"] == {"unplaced": 1}
    placed = ingest("--source", "police-uk-priorities", "--neighbourhood", "King's Cross", str(path))
    assert (placed["published"], placed["events_published"]) == (1, 1)
    assert in_memory.last is not None
    assert [e.neighbourhood_id for e in in_memory.last.events] == ["E36007170"]
