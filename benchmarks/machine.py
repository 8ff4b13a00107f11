"""What the figures were measured on: CPU, cores, memory, load, Python, Kafka, libraries, commit."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
from pathlib import Path

from engage.settings import REPO_ROOT

LIBRARIES = (
    "faust-streaming",
    "aiokafka",
    "kafka-python",
    "confluent-kafka",
    "duckdb",
    "pydantic",
    "pydantic-core",
    "pyarrow",
)


def _first(path: Path, pattern: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def kafka_version() -> str | None:
    return _first(REPO_ROOT / "docker" / "kafka" / "pom.xml", r"<kafka\.version>(.*?)</kafka\.version>")


def describe() -> dict[str, object]:
    mem_kb = _first(Path("/proc/meminfo"), r"^MemTotal:\s+(\d+) kB")
    status = _git("status", "--porcelain", "--untracked-files=no")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_model": _first(Path("/proc/cpuinfo"), r"^model name\s*:\s*(.*)$") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "kafka": kafka_version(),
        "java": _java(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "libraries": {name: _version(name) for name in LIBRARIES},
    }


def _java() -> str | None:
    try:
        result = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (result.stderr or result.stdout).splitlines()
    return first[0].strip() if first else None


def summary(machine: dict[str, object]) -> str:
    """One line for the top of the table."""
    libraries = machine.get("libraries")
    faust = libraries.get("faust-streaming") if isinstance(libraries, dict) else None
    commit = str(machine.get("git_commit") or "unknown")[:10]
    dirty = "+changes" if machine.get("git_dirty") else ""
    return (
        f"{machine.get('cpu_model')}, {machine.get('cores')} cores, {machine.get('ram_gib')} GiB; "
        f"load {machine.get('load_average_at_start')}; Python {machine.get('python')}, "
        f"Kafka {machine.get('kafka')}, faust {faust}; commit {commit}{dirty}"
    )
