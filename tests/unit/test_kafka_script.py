"""docker/kafka/kafka.sh tells a developer what to install when Java or Maven is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from engage.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "docker" / "kafka" / "kafka.sh"


def run_without(tmp_path: Path, missing: set[str]) -> subprocess.CompletedProcess[str]:
    """Run the script with a PATH that holds the tools it needs, less the `missing` ones."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in {"dirname", "sed", "mkdir", "java", "mvn", "touch", "cat"} - missing:
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {
        **os.environ,
        "PATH": str(bin_dir),
        "KAFKA_CACHE_DIR": str(tmp_path / "cache"),
        "KAFKA_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), "fetch"], env=env, capture_output=True, text=True, check=False
    )


class TestMissingTools:
    def test_without_java_it_says_to_install_java_or_use_compose(self, tmp_path: Path) -> None:
        result = run_without(tmp_path, {"java"})
        assert result.returncode == 1
        assert "Java 17" in result.stderr and "docker/compose.yaml" in result.stderr

    def test_without_maven_and_no_cached_jars_it_says_to_install_maven(self, tmp_path: Path) -> None:
        result = run_without(tmp_path, {"mvn"})
        assert result.returncode == 1
        assert "Maven is not installed" in result.stderr and "docker/compose.yaml" in result.stderr
