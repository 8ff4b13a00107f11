"""docker/kafka/kafka.sh tells a developer what to install when Java or Maven is missing, and refuses
SASL settings it cannot use safely (KAFKA_SECURITY=sasl) before it fetches or starts anything."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

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


def start_sasl(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`kafka.sh start` with KAFKA_SECURITY=sasl and good settings, changed by `env` ("" unsets one).

    Each case below is refused before the jars are fetched or anything is started."""
    settings = {
        **os.environ,
        "KAFKA_SECURITY": "sasl",
        "KAFKA_CACHE_DIR": str(tmp_path / "cache"),
        "KAFKA_DATA_DIR": str(tmp_path / "data"),
        "KAFKA_ADMIN_PASSWORD": "admin-password-for-tests",
        "ENGAGE_KAFKA_PASSWORD": "engage-password-for-tests",
    }
    for name in (
        "KAFKA_ADMIN_USER",
        "ENGAGE_KAFKA_USERNAME",
        "ENGAGE_KAFKA_PASSWORD_FILE",
        "ENGAGE_WORKER_ID",
    ):
        settings.pop(name, None)
    settings.update(env)
    settings = {name: value for name, value in settings.items() if value}
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), "start"], env=settings, capture_output=True, text=True, check=False
    )


class TestSaslSettings:
    def test_an_unknown_mode_is_refused(self, tmp_path: Path) -> None:
        result = start_sasl(tmp_path, KAFKA_SECURITY="sasl_ssl")
        assert result.returncode == 1
        assert "KAFKA_SECURITY must be plaintext (the default) or sasl" in result.stderr

    @pytest.mark.parametrize("missing", ["KAFKA_ADMIN_PASSWORD", "ENGAGE_KAFKA_PASSWORD"])
    def test_each_password_is_required(self, tmp_path: Path, missing: str) -> None:
        result = start_sasl(tmp_path, **{missing: ""})
        assert result.returncode == 1
        assert f"needs {missing}" in result.stderr

    def test_the_application_password_may_come_from_a_file_and_is_checked_too(self, tmp_path: Path) -> None:
        secret = tmp_path / "engage_password"
        secret.write_text("short\n", encoding="utf-8")
        result = start_sasl(tmp_path, ENGAGE_KAFKA_PASSWORD="", ENGAGE_KAFKA_PASSWORD_FILE=str(secret))
        assert result.returncode == 1
        assert "ENGAGE_KAFKA_PASSWORD is shorter than 16 characters" in result.stderr

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("KAFKA_ADMIN_PASSWORD", 'has"quote-and-is-long', "may hold letters, digits"),
            ("ENGAGE_KAFKA_PASSWORD", "comma,and]bracket-long", "may hold letters, digits"),
            ("KAFKA_ADMIN_PASSWORD", "tooshort", "shorter than 16"),
            ("ENGAGE_KAFKA_USERNAME", "admin", "must not be the super user"),
        ],
    )
    def test_unsafe_or_weak_values_are_refused(
        self, tmp_path: Path, name: str, value: str, message: str
    ) -> None:
        result = start_sasl(tmp_path, **{name: value})
        assert result.returncode == 1
        assert message in result.stderr
        assert value not in result.stderr or name == "ENGAGE_KAFKA_USERNAME"  # a password is never echoed

    def test_a_data_dir_formatted_without_sasl_is_not_started_with_it(self, tmp_path: Path) -> None:
        (tmp_path / "data" / "logs").mkdir(parents=True)
        (tmp_path / "data" / "logs" / "meta.properties").write_text("node.id=1\n", encoding="utf-8")
        result = start_sasl(tmp_path)
        assert result.returncode == 1
        assert "formatted without SASL users" in result.stderr

    def test_a_data_dir_formatted_with_sasl_is_not_started_without_it(self, tmp_path: Path) -> None:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "security").write_text("sasl\n", encoding="utf-8")
        result = start_sasl(tmp_path, KAFKA_SECURITY="")
        assert result.returncode == 1
        assert "formatted with KAFKA_SECURITY=sasl" in result.stderr
