"""docker/compose.yaml agrees with kafka.sh, pom.xml and Settings (no Docker engine runs it here),
and so does docker/compose.production.yaml, the SASL overlay, with kafka.sh's KAFKA_SECURITY=sasl.

The base compose file is read with small regular expressions, as it keeps one ``KEY: "value"`` per
line for its environment variables; the production overlay, with its merges of services, with PyYAML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml

from engage.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "docker" / "compose.yaml"
PRODUCTION = REPO_ROOT / "docker" / "compose.production.yaml"
SASL_START = REPO_ROOT / "docker" / "kafka" / "compose-sasl-start.sh"
ACLS_SCRIPT = REPO_ROOT / "docker" / "kafka" / "compose-acls.sh"
KAFKA_SH = REPO_ROOT / "docker" / "kafka" / "kafka.sh"
POM = REPO_ROOT / "docker" / "kafka" / "pom.xml"
MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


_VARIABLE = re.compile(r"""^\s*([A-Z][A-Z0-9_]*):\s*(?:"([^"]*)"|'([^']*)'|([^\s#]*))""")


def _lines() -> list[str]:
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.lstrip().startswith("#")]


def _variables(prefix: str) -> dict[str, list[str]]:
    """Every environment variable compose.yaml sets whose name starts with prefix, with its values."""
    found: dict[str, list[str]] = {}
    for line in _lines():
        match = _VARIABLE.match(line)
        if match and match.group(1).startswith(prefix):
            value = next(group for group in match.groups()[1:] if group is not None)
            found.setdefault(match.group(1), []).append(value)
    return found


def _kafka_variable(name: str) -> str:
    values = _variables("KAFKA_").get(name)
    assert values, f"docker/compose.yaml does not set {name}"
    assert len(set(values)) == 1, f"docker/compose.yaml sets {name} to different values: {values}"
    return values[0]


def _env_name(prop: str) -> str:
    """The apache/kafka image's variable for a broker property (dots to _, _ to __, - to ___)."""
    return "KAFKA_" + prop.replace("-", "___").replace("_", "__").replace(".", "_").upper()


def _kafka_sh_properties(marker: str = "PROPS") -> dict[str, str]:
    text = KAFKA_SH.read_text(encoding="utf-8")
    block = re.search(rf"<<{marker}\n(.*?)\n{marker}\n", text, re.DOTALL)
    assert block, f"docker/kafka/kafka.sh no longer writes server.properties from a <<{marker} here-document"
    pairs = (line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _sasl_properties() -> dict[str, str]:
    """server.properties as kafka.sh writes it with KAFKA_SECURITY=sasl."""
    return {**_kafka_sh_properties(), **_kafka_sh_properties("SASL_PROPS")}


def test_kafka_image_is_the_version_kafka_sh_fetches() -> None:
    version = ET.parse(POM).getroot().findtext("m:properties/m:kafka.version", namespaces=MAVEN_NS)
    assert version, "docker/kafka/pom.xml has no kafka.version"
    compose = COMPOSE.read_text(encoding="utf-8")
    images = re.findall(r"^\s*image:\s*[\"']?apache/kafka:([^\s\"']+)", compose, re.MULTILINE)
    assert images == [version]


def test_partitions_agree_with_settings() -> None:
    default = Settings.model_fields["partitions"].default
    assert int(_kafka_variable("KAFKA_NUM_PARTITIONS")) == default
    for value in _variables("ENGAGE_").get("ENGAGE_PARTITIONS", []):
        assert int(value) == default


@pytest.mark.parametrize("prop", sorted(_kafka_sh_properties()))
def test_broker_has_the_settings_kafka_sh_writes(prop: str) -> None:
    value = _kafka_sh_properties()[prop]
    composed = _kafka_variable(_env_name(prop))
    if "$" not in value:  # addresses and directories differ in a container; the rest must not
        assert composed == value, f"{prop}: kafka.sh writes {value!r}, compose.yaml sets {composed!r}"


def test_every_engage_variable_is_a_setting() -> None:
    names = set(_variables("ENGAGE_"))
    assert names, "docker/compose.yaml sets no ENGAGE_* variable"
    unknown = {name for name in names if name.removeprefix("ENGAGE_").lower() not in Settings.model_fields}
    assert not unknown, f"not fields of engage.settings.Settings: {sorted(unknown)}"


# docker/compose.production.yaml


def _yaml(path: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _production_env(service: str) -> dict[str, str]:
    """A service's environment with the overlay merged over docker/compose.yaml, as compose merges it."""
    base = _yaml(COMPOSE)["services"].get(service, {}).get("environment", {})
    overlay = _yaml(PRODUCTION)["services"][service].get("environment", {})
    return {key: str(value) for key, value in {**base, **overlay}.items()}


PYTHON_SERVICES = ("topics", "worker", "read-side")


@pytest.mark.parametrize("prop", sorted(_sasl_properties()))
def test_production_broker_has_the_settings_kafka_sh_writes_with_sasl(prop: str) -> None:
    value = _sasl_properties()[prop]
    env = _production_env("kafka")
    name = _env_name(prop)
    assert name in env, f"docker/compose.production.yaml does not set {name} ({prop})"
    if "$" not in value:
        assert env[name] == value, f"{prop}: kafka.sh writes {value!r}, the overlay sets {env[name]!r}"


def test_production_super_user_is_the_one_both_scripts_sign_in_as() -> None:
    assert _production_env("kafka")["KAFKA_SUPER_USERS"] == "User:admin"
    assert _production_env("kafka-acls")["KAFKA_SUPER_USERS"] == "User:admin"
    for script in (SASL_START, ACLS_SCRIPT):
        assert 'admin_user="${KAFKA_SUPER_USERS#User:}"' in script.read_text(encoding="utf-8")


def test_production_uses_the_kafka_version_kafka_sh_fetches() -> None:
    version = ET.parse(POM).getroot().findtext("m:properties/m:kafka.version", namespaces=MAVEN_NS)
    images = {s["image"] for s in _yaml(PRODUCTION)["services"].values() if "image" in s}
    assert images == {f"apache/kafka:{version}"}


def test_every_production_engage_variable_is_a_setting() -> None:
    overlay = _yaml(PRODUCTION)
    names = {
        name
        for service in overlay["services"].values()
        for name in service.get("environment", {})
        if name.startswith("ENGAGE_")
    }
    unknown = {name for name in names if name.removeprefix("ENGAGE_").lower() not in Settings.model_fields}
    assert not unknown, f"not fields of engage.settings.Settings: {sorted(unknown)}"


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_every_python_service_signs_in_as_the_application_from_its_secret(service: str) -> None:
    env = _production_env(service)
    settings = Settings.model_validate(
        {
            name.removeprefix("ENGAGE_").lower(): value
            for name, value in env.items()
            if name.startswith("ENGAGE_")
        }
    )
    broker = _production_env("kafka")
    assert settings.kafka_security_protocol == "SASL_PLAINTEXT"
    assert settings.kafka_sasl_mechanism in broker["KAFKA_SASL_ENABLED_MECHANISMS"].split(",")
    assert (
        settings.kafka_username
        == broker["ENGAGE_KAFKA_USERNAME"]
        == _production_env("kafka-acls")["ENGAGE_KAFKA_USERNAME"]
    )
    assert settings.worker_id == _production_env("kafka-acls")["ENGAGE_WORKER_ID"]
    assert not settings.kafka_password.get_secret_value(), "a password in the compose file"
    secret = _yaml(PRODUCTION)["services"][service]["secrets"]
    assert secret == ["kafka_engage_password"]
    assert settings.kafka_password_file is not None
    assert settings.kafka_password_file.as_posix() == "/run/secrets/kafka_engage_password"
    assert _yaml(PRODUCTION)["services"][service]["depends_on"]["kafka-acls"] == {
        "condition": "service_completed_successfully"
    }


def test_only_the_broker_and_the_acl_service_hold_the_admin_secret() -> None:
    services = _yaml(PRODUCTION)["services"]
    holders = {
        name for name, service in services.items() if "kafka_admin_password" in service.get("secrets", [])
    }
    assert holders == {"kafka", "kafka-acls"}


def test_no_password_is_written_in_the_production_file() -> None:
    text = PRODUCTION.read_text(encoding="utf-8")
    assert "password=" not in text.lower()
    assert not re.search(r"^\s*[A-Z_]*PASSWORD:", text, re.MULTILINE)


def test_production_healthcheck_signs_in_with_the_file_the_start_script_writes() -> None:
    test = _yaml(PRODUCTION)["services"]["kafka"]["healthcheck"]["test"]
    config = test[test.index("--command-config") + 1]
    assert config == "/opt/kafka/config/engage-admin.properties"
    assert '"$config_dir/engage-admin.properties"' in SASL_START.read_text(encoding="utf-8")


def test_production_mounts_the_scripts_and_the_acl_list_where_they_are_read() -> None:
    services = _yaml(PRODUCTION)["services"]
    assert services["kafka"]["entrypoint"][-1] == "/opt/engage/compose-sasl-start.sh"
    assert (
        "./kafka/compose-sasl-start.sh:/opt/engage/compose-sasl-start.sh:ro" in services["kafka"]["volumes"]
    )
    acls = services["kafka-acls"]
    assert acls["entrypoint"][-1] == "/opt/engage/compose-acls.sh"
    assert "./kafka/engage-acls.txt:/opt/engage/engage-acls.txt:ro" in acls["volumes"]
    assert 'acl_file="${ACL_FILE:-/opt/engage/engage-acls.txt}"' in ACLS_SCRIPT.read_text(encoding="utf-8")
    for path in ("kafka/compose-sasl-start.sh", "kafka/compose-acls.sh", "kafka/engage-acls.txt"):
        assert (PRODUCTION.parent / path).is_file()
