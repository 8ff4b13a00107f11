"""The sink's test fault hook: off unless its variable is set, then it ends the process at the Nth write."""

from __future__ import annotations

import os
import subprocess
import sys

from engage.settings import REPO_ROOT
from projections import fault_hook

WRITE_THREE_TIMES = (
    "from projections import fault_hook\n"
    "for n in range(3):\n"
    "    fault_hook.inside_sink_transaction('engage.events.v1', {0: n + 1})\n"
    "    print('committed', n + 1, flush=True)\n"
)


def run(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != fault_hook.ENV}
    if env_value is not None:
        env[fault_hook.ENV] = env_value
    return subprocess.run(
        [sys.executable, "-c", WRITE_THREE_TIMES],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestSinkFaultHook:
    def test_unset_it_does_nothing(self) -> None:
        done = run(None)
        assert (done.returncode, done.stdout.split("\n")[:3]) == (
            0,
            ["committed 1", "committed 2", "committed 3"],
        )

    def test_zero_is_off_too(self) -> None:
        assert run("0").returncode == 0

    def test_set_to_n_it_ends_the_process_inside_the_nth_write(self) -> None:
        done = run("2")
        assert done.returncode == fault_hook.EXIT_CODE
        assert [line for line in done.stdout.splitlines() if line.startswith("committed")] == ["committed 1"]
        assert "test_fault_sink_exit" in done.stdout + done.stderr
