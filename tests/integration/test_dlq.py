"""`engage dlq list` and `engage dlq replay` against the real broker: nothing fixed, nothing passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engage.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.integration

FMS = REPO_ROOT / "data" / "partners" / "fixmystreet"


def engage(settings: Settings, *args: str) -> dict[str, Any]:
    """Run an `engage` command, as an operator would, against the test stack; its stdout as JSON."""
    env = {
        **os.environ,
        "ENGAGE_KAFKA_HOST": settings.kafka_host,
        "ENGAGE_KAFKA_PORT": str(settings.kafka_port),
        "ENGAGE_VAR_DIR": str(settings.var_dir),
        "ENGAGE_SERVICE_PORT": str(settings.service_port),
    }
    result = subprocess.run(
        [sys.executable, "-m", "engage", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"engage {' '.join(args)} exited {result.returncode}: {result.stderr}"
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_bad_rows_are_listed_and_replayed_and_with_nothing_fixed_stay_rejected(
    stack: Settings, tmp_path: Path
) -> None:
    shutil.copy(FMS / "CODES_SHEF_A.csv", tmp_path / "CODES_SHEF_A.csv")
    path = tmp_path / "dlq-test-counts.csv"
    path.write_text(
        "\n".join(
            [
                "month,lsoa,SHEF_A_CODE,reports,unique_users,average_per_user",
                "2019-01,E01000842,A33,2,1,2.0",
                "2019-01,E01000001,A33,2,1,2.0",  # City of London: outside Camden's look-up
                "2019-01,E01000842,A72,1,1,1.0",  # no such code
                '2019-01,"E01000842',  # malformed
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    ingested = engage(stack, "ingest", "--source", "fixmystreet", str(path))
    assert (ingested["read"], ingested["published"], ingested["rejected"]) == (4, 1, 3)

    listed = engage(stack, "dlq", "list", "--source", "fixmystreet", "--json")
    assert listed["open"] == 3
    assert listed["by_reason"] == {"malformed": 1, "unmapped_category": 1, "unplaced": 1}
    assert {letter["file"] for letter in listed["letters"]} == {path.name}

    replayed = engage(stack, "dlq", "replay", "--source", "fixmystreet")
    assert (replayed["replayed"], replayed["published"], replayed["still_rejected"]) == (3, 0, 3)
    assert replayed["reasons"] == listed["by_reason"]

    after = engage(stack, "dlq", "list", "--source", "fixmystreet", "--json")
    assert after["open"] == listed["open"]
    assert after["by_reason"] == listed["by_reason"]
    assert sorted((d["line"], d["attempt"]) for d in after["letters"]) == [(3, 2), (4, 2), (5, 2)]
