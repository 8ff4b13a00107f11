"""The delivery guarantee: 20% of the records sent again (same event ids, new offsets) change nothing.

Half of the re-sent records are interleaved with the run, each after its original, so that the worker
meets some in the very batch that holds the original; the other half come after the run has been
folded, when every projection can be compared with what it was before.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
import structlog

from connectors.placing import Neighbourhoods
from connectors.synthetic import generate
from engage.settings import Settings
from events import Envelope
from tests.faults.conftest import (
    EVENTS,
    assert_accounted,
    assert_live_equals_rebuild,
    events_published,
    make_batch,
    resend_sample,
    send_file,
    wait_caught_up,
)
from tests.integration.conftest import snapshot

pytestmark = pytest.mark.integration

log = structlog.get_logger(__name__)

SEED = 20261207
RESENT = 0.2


def interleave(events: list[Envelope], again: list[Envelope], seed: int) -> list[Envelope]:
    """``events`` with each of ``again`` sent a second time at a seeded place after its first."""
    rng = random.Random(seed)
    index = {e.event_id: i for i, e in enumerate(events)}
    keyed = [(float(i), e) for i, e in enumerate(events)]
    keyed += [(rng.uniform(index[e.event_id] + 0.5, len(events)), e) for e in again]
    return [e for _, e in sorted(keyed, key=lambda pair: pair[0])]


class TestResentRecords:
    def test_twenty_percent_sent_again_change_no_projection(
        self, fault_stack: Settings, neighbourhoods: Neighbourhoods, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        events = list(generate([n.id for n in neighbourhoods.all], EVENTS, seed=SEED))
        again = resend_sample(events, RESENT, SEED)
        during, after = again[: len(again) // 2], again[len(again) // 2 :]
        run = make_batch(interleave(events, during, SEED), tmp_path / "run.jsonl")
        send_file(fault_stack, neighbourhoods, run.path, len(run.events), run.bad_lines)
        wait_caught_up(fault_stack, EVENTS)
        assert_accounted(fault_stack, events, run.bad_lines, resent=len(during))
        before = snapshot(fault_stack)

        resend = make_batch(after, tmp_path / "resend.jsonl")
        send_file(fault_stack, neighbourhoods, resend.path, len(after), resend.bad_lines)
        wait_caught_up(fault_stack, len(after))

        # Every re-sent record is on the log at a new offset, and not one row of any projection moved:
        # not a count, not a version, not the time a view was recorded.
        assert events_published(fault_stack) == EVENTS + len(again)
        after_resend = snapshot(fault_stack)
        for table in before:
            assert after_resend[table] == before[table], f"{table} changed when records were sent again"
        assert_accounted(fault_stack, events, run.bad_lines + resend.bad_lines, resent=len(again))
        assert_live_equals_rebuild(fault_stack, EVENTS)
        log.info(
            "fault_scenario_done",
            scenario="resend",
            events=EVENTS,
            resent=len(again),
            resent_during_run=len(during),
            resent_after_run=len(after),
            wall_s=round(time.monotonic() - started, 1),
        )
