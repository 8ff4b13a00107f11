"""The two scripts docker/compose.production.yaml runs in the apache/kafka image, run here with stand-ins
for the image's tools (no Docker engine on this machine): what they write, and what they hand over.

compose-sasl-start.sh: the broker's JAAS file and admin client file (owner-only), a first format with
both SCRAM users from an @file (never on a command line), none once formatted, then the image's start
with KAFKA_OPTS naming the JAAS file. compose-acls.sh: one kafka-acls.sh --add per line of
engage-acls.txt, signed in as the admin from a temporary file it removes.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from engage.settings import REPO_ROOT

KAFKA_DIR = REPO_ROOT / "docker" / "kafka"
ADMIN_PASSWORD = "admin-secret-0123456789"
ENGAGE_PASSWORD = "engage-secret-0123456789"

RECORDER = """#!/usr/bin/env bash
# Records its arguments, one per line, then a blank line; copies the files it is handed.
{ printf '%s\\n' "$@"; echo; } >> "$RECORD/calls"
for arg in "$@"; do
  case "$arg" in @*) cat "${arg#@}" >> "$RECORD/at-files" ;; esac
done
previous=""
for arg in "$@"; do
  case "$previous" in -c|--command-config) cat "$arg" >> "$RECORD/configs" ;; esac
  previous="$arg"
done
"""


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def calls(record: Path) -> list[list[str]]:
    if not (record / "calls").exists():
        return []
    blocks = (record / "calls").read_text(encoding="utf-8").split("\n\n")
    return [block.splitlines() for block in blocks if block.strip()]


@pytest.fixture
def image(tmp_path: Path) -> dict[str, Path]:
    """A stand-in for the apache/kafka image's paths, and the secrets compose mounts."""
    home, record, secrets = tmp_path / "opt-kafka", tmp_path / "record", tmp_path / "secrets"
    (home / "config").mkdir(parents=True)
    record.mkdir()
    secrets.mkdir()
    (secrets / "kafka_admin_password").write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    (secrets / "kafka_engage_password").write_text(ENGAGE_PASSWORD + "\n", encoding="utf-8")
    executable(home / "bin" / "kafka-storage.sh", RECORDER)
    executable(home / "bin" / "kafka-acls.sh", RECORDER)
    executable(tmp_path / "run", '#!/usr/bin/env bash\nprintf "%s" "$KAFKA_OPTS" > "$RECORD/kafka-opts"\n')
    return {"home": home, "record": record, "secrets": secrets, "run": tmp_path / "run", "tmp": tmp_path}


def broker_env(image: dict[str, Path]) -> dict[str, str]:
    """The kafka service's environment as docker/compose.yaml and the overlay set it, with test paths."""
    base = yaml.safe_load((REPO_ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    overlay = yaml.safe_load((REPO_ROOT / "docker" / "compose.production.yaml").read_text(encoding="utf-8"))
    env = {**base["services"]["kafka"]["environment"], **overlay["services"]["kafka"]["environment"]}
    data = image["tmp"] / "data"
    data.mkdir(exist_ok=True)
    return {
        "PATH": os.environ["PATH"],
        **{key: str(value) for key, value in env.items()},
        "KAFKA_LOG_DIRS": str(data),
        "KAFKA_HOME": str(image["home"]),
        "SECRETS_MOUNT": str(image["secrets"]),
        "IMAGE_RUN": str(image["run"]),
        "RECORD": str(image["record"]),
    }


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(KAFKA_DIR / "compose-sasl-start.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


class TestBrokerStart:
    def test_first_start_formats_with_both_users_and_hands_over_with_the_jaas_file(
        self, image: dict[str, Path]
    ) -> None:
        env = broker_env(image)
        result = start(env)
        assert result.returncode == 0, result.stderr
        (format_call,) = calls(image["record"])
        assert format_call[:3] == ["format", "-t", env["CLUSTER_ID"]]
        assert not any(ADMIN_PASSWORD in arg or ENGAGE_PASSWORD in arg for arg in format_call)
        users = (image["record"] / "at-files").read_text(encoding="utf-8").splitlines()
        assert users == [
            "--add-scram",
            f"SCRAM-SHA-512=[name=admin,password={ADMIN_PASSWORD}]",
            "--add-scram",
            f"SCRAM-SHA-512=[name=engage,password={ENGAGE_PASSWORD}]",
        ]
        formatted = (image["record"] / "configs").read_text(encoding="utf-8")
        assert f"listeners={env['KAFKA_LISTENERS']}" in formatted
        assert f"log.dirs={env['KAFKA_LOG_DIRS']}" in formatted

        jaas = image["home"] / "config" / "engage-jaas.conf"
        admin = image["home"] / "config" / "engage-admin.properties"
        for secret_file in (jaas, admin):
            assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        text = jaas.read_text(encoding="utf-8")
        assert "sasl_plaintext.KafkaServer" in text and "controller.KafkaServer" in text
        assert f'user_admin="{ADMIN_PASSWORD}"' in text
        assert ENGAGE_PASSWORD not in text  # the broker needs only its own login
        assert 'username="admin"' in admin.read_text(encoding="utf-8")
        opts = (image["record"] / "kafka-opts").read_text(encoding="utf-8")
        assert f"-Djava.security.auth.login.config={jaas}" in opts

    def test_a_formatted_volume_is_not_formatted_again(self, image: dict[str, Path]) -> None:
        env = broker_env(image)
        Path(env["KAFKA_LOG_DIRS"], "meta.properties").write_text("node.id=1\n", encoding="utf-8")
        assert start(env).returncode == 0
        assert calls(image["record"]) == []
        assert (image["record"] / "kafka-opts").exists()

    @pytest.mark.parametrize("content", ["", "short", 'has"a-quote-in-it-0123'])
    def test_an_unusable_secret_stops_it_before_anything_is_written(
        self, image: dict[str, Path], content: str
    ) -> None:
        (image["secrets"] / "kafka_engage_password").write_text(content, encoding="utf-8")
        result = start(broker_env(image))
        assert result.returncode == 1
        assert "kafka_engage_password must be one line of 16 or more" in result.stderr
        assert calls(image["record"]) == []
        assert not (image["record"] / "kafka-opts").exists()


class TestAclService:
    def test_each_line_of_the_list_becomes_one_grant_as_the_admin(self, image: dict[str, Path]) -> None:
        env = {
            "PATH": os.environ["PATH"],
            "KAFKA_HOME": str(image["home"]),
            "SECRETS_MOUNT": str(image["secrets"]),
            "ACL_FILE": str(KAFKA_DIR / "engage-acls.txt"),
            "RECORD": str(image["record"]),
            "KAFKA_SUPER_USERS": "User:admin",
            "ENGAGE_KAFKA_USERNAME": "engage",
            "ENGAGE_WORKER_ID": "engage-east",
            "ENGAGE_KAFKA_HOST": "kafka",
            "ENGAGE_KAFKA_PORT": "9092",
        }
        result = subprocess.run(
            ["/bin/bash", str(KAFKA_DIR / "compose-acls.sh")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        made = calls(image["record"])
        adds = [call for call in made if "--add" in call]
        lines = [
            line
            for line in (KAFKA_DIR / "engage-acls.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert len(adds) == len(lines) == 8
        assert made[-1][-3:] == ["--list", "--principal", "User:engage"]
        for call in made:
            assert call[:2] == ["--bootstrap-server", "kafka:9092"]
            assert not any(ADMIN_PASSWORD in arg for arg in call)
        events = next(call for call in adds if "engage.events.v1" in call)
        assert events[4:] == [
            "--add", "--allow-principal", "User:engage",
            "--operation", "Create", "--operation", "Describe", "--operation", "Read", "--operation", "Write",
            "--topic", "engage.events.v1", "--resource-pattern-type", "literal",
        ]  # fmt: skip
        assert any(
            call[-4:] == ["--topic", "engage-east-", "--resource-pattern-type", "prefixed"] for call in adds
        )
        assert any(
            call[-4:] == ["--group", "engage-east", "--resource-pattern-type", "literal"] for call in adds
        )
        configs = (image["record"] / "configs").read_text(encoding="utf-8")
        assert f'username="admin" password="{ADMIN_PASSWORD}"' in configs
        config_path = Path(made[0][3])
        assert not config_path.exists(), "the admin's client file outlived the run"
