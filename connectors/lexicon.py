"""Word lists kept as data beside the code (``connectors/lexicons/``), so that a force can read and
extend them without reading Python."""

from __future__ import annotations

from importlib import resources


def _lines(file: str) -> list[str]:
    text = resources.files("connectors").joinpath(f"lexicons/{file}").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def words(file: str) -> frozenset[str]:
    """Every whitespace-separated word of the file, comments (lines starting with #) left out."""
    return frozenset(word for line in _lines(file) for word in line.split())


def phrases(file: str) -> tuple[str, ...]:
    """One phrase per line."""
    return tuple(_lines(file))


def sections(file: str) -> dict[str, tuple[str, ...]]:
    """Phrases under ``[kind]`` headers, one a line, by kind."""
    kinds: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _lines(file):
        if line.startswith("[") and line.endswith("]"):
            current = kinds.setdefault(line[1:-1], [])
        elif current is None:
            raise ValueError(f"{file}: {line!r} comes before any [kind] header")
        else:
            current.append(line)
    return {kind: tuple(terms) for kind, terms in kinds.items()}
