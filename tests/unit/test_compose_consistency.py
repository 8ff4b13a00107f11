"""docker/compose.yaml agrees with kafka.sh, pom.xml and Settings (no Docker engine runs it here).

The compose file is read with small regular expressions, not a YAML parser: the project does not
depend on one, and the file keeps one ``KEY: "value"`` per line for its environment variables.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from engage.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "docker" / "compose.yaml"
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


def _kafka_sh_properties() -> dict[str, str]:
    text = KAFKA_SH.read_text(encoding="utf-8")
    block = re.search(r"<<PROPS\n(.*?)\nPROPS\n", text, re.DOTALL)
    assert block, "docker/kafka/kafka.sh no longer writes server.properties from a <<PROPS here-document"
    pairs = (line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


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
