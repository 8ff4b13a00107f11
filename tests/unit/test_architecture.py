"""The functional core imports no shell: events and the folds know nothing of faust, Kafka or DuckDB."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engage.settings import REPO_ROOT

SHELL_LIBRARIES = {"faust", "mode", "kafka", "aiokafka", "duckdb", "pyarrow"}
PURE = [
    *sorted((REPO_ROOT / "events").glob("*.py")),
    REPO_ROOT / "projections" / "activity.py",
    REPO_ROOT / "projections" / "neighbourhood.py",
    REPO_ROOT / "projections" / "erasure.py",
    # Connectors map records without the broker; the Kafka publisher is their one shell.
    *sorted(p for p in (REPO_ROOT / "connectors").glob("*.py") if p.name != "kafka_publisher.py"),
]


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_pure_modules_import_no_shell_library(path: Path) -> None:
    assert not imported_roots(path) & SHELL_LIBRARIES


def test_the_check_can_fail() -> None:
    assert imported_roots(REPO_ROOT / "streams" / "app.py") & SHELL_LIBRARIES == {"faust"}
