"""The worker's process leaves kafka-python out until a withdrawal reads the log back (about 6 MB of
its resident size, docs/performance.md); faust's own client, aiokafka, is what it runs on."""

from __future__ import annotations

import subprocess
import sys

CREATE_WORKER = """
import sys
from engage.settings import Settings
from streams.app import create_app
create_app(Settings())
print(sorted(name for name in sys.modules if name == "kafka" or name.startswith("kafka.")))
"""


def test_creating_the_worker_does_not_import_kafka_python() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CREATE_WORKER], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
