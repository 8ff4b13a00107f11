"""``python -m streams.supervisor``: keeps one Faust worker running, as systemd or Kubernetes would.

It restarts the worker when it exits with a failure (a crash, or the stall stop of
``streams/stalls.py``), backing off while failures repeat, and passes SIGTERM/SIGINT on to it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

import structlog

from engage import logs
from streams.stalls import STALL_EXIT_CODE

log = structlog.get_logger(__name__)

WORKER = [sys.executable, "-m", "streams", "worker", "--loglevel", "warn", "--without-web"]
MAX_BACKOFF_S = 30.0
HEALTHY_AFTER_S = 60.0
"""A worker that ran this long before failing is restarted at once, not after a back-off."""
MALLOC_THRESHOLDS = {"MALLOC_MMAP_THRESHOLD_": "32768", "MALLOC_TRIM_THRESHOLD_": "262144"}
"""glibc's allocator for the worker, unless the environment sets them: blocks of 32 KB or more mapped
and given back on their own, and the heap's top given back past 256 KB. A busy neighbourhood's state
is parsed from, and packed to, JSON of tens of KB; taken from the main heap, those short-lived blocks
left it fragmented around the packed states that outlive them. At 1,000,000 benchmark events the
worker peaked at 270 MB with blocks of 32 KB mapped against 318 MB with 128 KB, in the same CPU (652
and 642 s, one run each): its main heap ended the run at 79 MB against about 145, its mapped blocks
about 20 MB larger (docs/performance.md, "twelfth session"). 128 KB (the tenth session's choice) had
given 259 and 260 MB at 200,000 events against 277 to 286 with glibc's own dynamic threshold."""


def worker_env() -> dict[str, str]:
    return {**MALLOC_THRESHOLDS, **os.environ}


def main() -> None:
    logs.configure("info")
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    backoff = 1.0
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen(WORKER, env=worker_env())
        log.info("worker_started", pid=child.pid)
        code = child.wait()
        if stopping or code == 0:
            break
        ran = time.monotonic() - started
        if code == STALL_EXIT_CODE or ran >= HEALTHY_AFTER_S:
            backoff = 1.0
        log.warning(
            "worker_exited_restarting", pid=child.pid, code=code, ran_s=round(ran, 1), restart_in_s=backoff
        )
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)
    log.info("supervisor_stopped", code=child.returncode if child else None)


if __name__ == "__main__":
    main()
