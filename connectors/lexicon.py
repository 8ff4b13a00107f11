"""Word lists kept as data beside the code (``connectors/lexicons/``), so that a force can read and
extend them without reading Python."""

from __future__ import annotations

import unicodedata
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


def name_key(word: str) -> str:
    """The form a word is looked up by in the large name lists: no accents, apostrophes or case.

    "Thérèse", "O'Brien" and "McDONALD" are found as "therese", "obrien" and "mcdonald", the forms
    those lists hold them in.
    """
    if word.isascii():
        # Most words: the same result without the cost of decomposing, which the large lists would feel.
        return word.replace("'", "").lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'\u2019").casefold()


def name_keys(file: str) -> frozenset[str]:
    """``name_key`` of every word of the file, and of each part of a hyphenated one."""
    return frozenset(name_key(part) for word in words(file) for part in (word, *word.split("-")))
