"""Workers beyond the first: named, found and refused without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from engage import processes
from engage.errors import ConfigurationError
from engage.settings import Settings


class TestExtraWorkers:
    def test_are_found_by_their_pid_files_in_instance_order(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        settings.run_dir.mkdir(parents=True)
        for name in ("worker-10", "worker-2", "worker", "service", "worker-x", "worker-3"):
            (settings.run_dir / f"{name}.pid").write_text("1")
        assert processes.extra_workers(settings) == ["worker-2", "worker-3", "worker-10"]

    def test_none_without_a_run_folder(self, tmp_path: Path) -> None:
        assert processes.extra_workers(Settings(var_dir=tmp_path / "absent")) == []

    @pytest.mark.parametrize("instance", [0, 1])
    def test_the_first_worker_is_not_an_extra_one(self, tmp_path: Path, instance: int) -> None:
        with pytest.raises(ConfigurationError, match="first worker"):
            processes.start_worker(Settings(var_dir=tmp_path), instance)
        assert not (tmp_path / "run").exists()
