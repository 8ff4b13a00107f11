"""The worker's environment: glibc's allocator thresholds unless the operator set their own."""

from __future__ import annotations

import pytest

from streams.supervisor import MALLOC_THRESHOLDS, worker_env


def test_the_worker_gets_the_thresholds_and_the_rest_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in MALLOC_THRESHOLDS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENGAGE_KAFKA_PORT", "19092")
    env = worker_env()
    assert env["MALLOC_MMAP_THRESHOLD_"] == "32768"
    assert env["MALLOC_TRIM_THRESHOLD_"] == "262144"
    assert env["ENGAGE_KAFKA_PORT"] == "19092"


def test_an_operators_own_value_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "4194304")
    assert worker_env()["MALLOC_MMAP_THRESHOLD_"] == "4194304"
