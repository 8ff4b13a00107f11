"""Word lists kept as data beside the code (``connectors/lexicons/``), so that a force can read and
extend them without reading Python."""

from __future__ import annotations

from importlib import resources


def _lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _lines(file: str) -> list[str]:
    return _lines_of(resources.files("connectors").joinpath(f"lexicons/{file}").read_text("utf-8"))


def words(file: str) -> frozenset[str]:
    """Every whitespace-separated word of the file, comments (lines starting with #) left out."""
    return frozenset(word for line in _lines(file) for word in line.split())


def phrases(file: str) -> tuple[str, ...]:
    """One phrase per line."""
    return tuple(_lines(file))


def sections(file: str) -> dict[str, tuple[str, ...]]:
    """Phrases under ``[kind]`` headers, one a line, by kind."""
    return sections_of(resources.files("connectors").joinpath(f"lexicons/{file}").read_text("utf-8"), file)


def sections_of(text: str, file: str) -> dict[str, tuple[str, ...]]:
    """``sections`` of a text read from anywhere; ``file`` names it in errors."""
    kinds: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines_of(text):
        if line.startswith("[") and line.endswith("]"):
            current = kinds.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"{file}: {line!r} comes before any [kind] header")
        else:
            current.append(line)
    return {kind: tuple(terms) for kind, terms in kinds.items()}
