"""The synthetic examples in data/ are exactly what their seeded generators write, and say what they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import synthetic_meetings, synthetic_police_uk, synthetic_surveys
from connectors.classify import classify
from engage.settings import REPO_ROOT, Settings


@pytest.fixture(scope="module")
def wards() -> list[synthetic_meetings.Ward]:
    settings = Settings()
    return synthetic_meetings.load_wards(
        settings.boundaries_path, settings.boundary_id_property, settings.boundary_name_property
    )


class TestReproducible:
    def test_meetings(self, wards: list[synthetic_meetings.Ward], tmp_path: Path) -> None:
        out = tmp_path / "m.jsonl"
        synthetic_meetings.write_jsonl(synthetic_meetings.generate(wards), out)
        assert out.read_bytes() == synthetic_meetings.DEFAULT_OUT.read_bytes()
        other = tmp_path / "other.jsonl"
        synthetic_meetings.write_jsonl(synthetic_meetings.generate(wards, seed=1), other)
        assert other.read_bytes() != out.read_bytes()

    def test_surveys(self, wards: list[synthetic_meetings.Ward], tmp_path: Path) -> None:
        out = tmp_path / "s.csv"
        synthetic_surveys.write_csv(synthetic_surveys.generate(wards), out)
        assert out.read_bytes() == synthetic_surveys.DEFAULT_OUT.read_bytes()

    def test_police_uk(self, tmp_path: Path) -> None:
        for written in synthetic_police_uk.write(tmp_path):
            assert written.read_bytes() == (synthetic_police_uk.DEFAULT_DIR / written.name).read_bytes()


class TestLabelled:
    def test_every_synthetic_file_says_so_in_its_name_and_readme(self) -> None:
        files = [
            synthetic_meetings.DEFAULT_OUT,
            synthetic_surveys.DEFAULT_OUT,
            synthetic_police_uk.DEFAULT_DIR / synthetic_police_uk.PRIORITIES_FILE,
            synthetic_police_uk.DEFAULT_DIR / synthetic_police_uk.EVENTS_FILE,
        ]
        for path in files:
            assert "synthetic" in path.name
            readme = (path.parent / "README.md").read_text(encoding="utf-8")
            assert path.name in readme and "SYNTHETIC" in readme
            assert path.is_relative_to(REPO_ROOT / "data")

    def test_meeting_ids_start_syn(self) -> None:
        lines = synthetic_meetings.DEFAULT_OUT.read_text(encoding="utf-8").splitlines()
        assert lines and all(line.startswith('{"id": "SYN-') for line in lines)


def test_each_meeting_issue_text_is_classified_as_the_theme_it_was_written_for() -> None:
    for theme, texts in synthetic_meetings.ISSUE_TEXTS.items():
        for text in texts:
            assert classify(text) == theme, text
