"""Bad input at volume: thousands of malformed and hostile records through every connector's file
reader and mapping, in memory. No run raises; every record read is published or dead-lettered, with a
reason; every letter fits in one broker message and carries none of the personal data planted."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from connectors.base import Context
from connectors.ingest import run
from connectors.registry import CONNECTORS
from connectors.rejections import Reason
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
