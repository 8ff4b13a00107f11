"""A TEST FAULT HOOK, off by default: ends the read-side service inside one of the sink's transactions.

The fault-injection tests (``tests/faults``) must crash the sink *while* it writes, which kill -9 from
outside lands only by luck. With ``ENGAGE_TEST_FAULT_SINK_EXIT_AFTER_WRITES=N`` in the service's
environment, the Nth sink transaction has written its rows and its log positions but not committed
them when the process ends with ``os._exit`` (no clean-up, no rollback, as a power cut would). Unset,
or 0, which is how every deployment runs, the hook does nothing. It is read once, at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import structlog

log = structlog.get_logger(__name__)

ENV = "ENGAGE_TEST_FAULT_SINK_EXIT_AFTER_WRITES"
EXIT_CODE = 86
"""The service's exit status when the hook ends it, distinct from a crash's."""

_limit = int(os.environ.get(ENV) or 0)
_writes = 0


def inside_sink_transaction(topic: str, next_offsets: Mapping[int, int]) -> None:
    """Call inside a sink transaction, after its writes and before its commit."""
    global _writes
    if _limit <= 0:
        return
    _writes += 1
    if _writes >= _limit:
        # The log line is the test's evidence of where the process ended: stderr is line-buffered.
        log.warning(
            "test_fault_sink_exit",
            topic=topic,
            next_offsets={str(p): o for p, o in next_offsets.items()},
            writes=_writes,
        )
        os._exit(EXIT_CODE)
