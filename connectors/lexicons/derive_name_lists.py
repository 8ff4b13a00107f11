"""Derive the large name lists of the name detector from their published sources.

Three sources, unpacked from the packages that ship them (``SOURCE.txt`` beside this file says where each
comes from, its version and its licence):

* ``--census DIR``: the folder holding ``dist.male.first``, ``dist.female.first`` and
  ``dist.all.last`` (the US Census 1990 name frequency files, as shipped in the ``names`` package);
* ``--nam-dict FILE``: ``nam_dict.txt``, Jörg Michael's list of first names with their frequency in
  each of 54 countries (as shipped in the ``gender-guesser`` package);
* ``--words FILE``: a spell-checker word list with proper nouns capitalised and ordinary words in
  lower case (SCOWL's British English list, size 50, as in Debian's ``wbritish``).

It writes ``given_names_census.txt``, ``surnames_census.txt``, ``given_names_world.txt`` and
``english_words.txt`` (the ordinary, lower-case words of the word list) into ``--out``.

    python connectors/lexicons/derive_name_lists.py --census names/ --nam-dict nam_dict.txt \\
        --words /usr/share/dict/british-english --out connectors/lexicons/
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from pathlib import Path

_LATIN_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'\-]+$")
_NAM_DICT_EXPANDED = 29
"""Column of nam_dict.txt that holds '+' on the second, expanded-umlaut spelling of a name."""

HEADERS = {
    "given_names_census.txt": (
        "Given names of the US Census 1990 name frequency files (male and female), one a line; public\n"
        "domain, as shipped in the names package 0.3.0 (MIT). See SOURCE.txt."
    ),
    "surnames_census.txt": (
        "Surnames of the US Census 1990 name frequency files (dist.all.last), one a line; public\n"
        "domain, as shipped in the names package 0.3.0 (MIT). See SOURCE.txt."
    ),
    "given_names_world.txt": (
        "Given names from nam_dict.txt (c) 2007-2008 Jörg Michael, one a line: the names only, without\n"
        "gender, frequencies or compound Asian spellings. Licensed under the GNU Free Documentation\n"
        "License 1.2 or any later version (GFDL-1.2.txt beside this file), as the original is; this is a\n"
        "modified version of it, made by derive_name_lists.py. See SOURCE.txt."
    ),
    "english_words.txt": (
        "Ordinary English words, lower case, one a line: the entries of SCOWL's British English word list,\n"
        "size 50, written in lower case there (proper nouns are capitalised in it and left out here).\n"
        "Copyright 2000-2011 Kevin Atkinson; permissive licence, see SOURCE.txt."
    ),
}


def _title(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def census(path: Path) -> list[str]:
    return [_title(line.split()[0]) for line in path.read_text("ascii").splitlines() if line.strip()]


def nam_dict(path: Path) -> list[str]:
    found = []
    for line in path.read_text("utf-8").splitlines():
        if not line or line[0] in "#=" or len(line) <= _NAM_DICT_EXPANDED:
            continue
        if line[_NAM_DICT_EXPANDED] == "+":
            continue
        name = line[3:_NAM_DICT_EXPANDED].strip()
        # '+' joins the parts of compound Arabic, Chinese and Korean names; those are left out.
        if _LATIN_NAME.match(name):
            found.append(name)
    return found


def ordinary_words(path: Path) -> set[str]:
    return {
        line.strip()
        for line in path.read_text("utf-8").splitlines()
        if line.strip().isalpha() and line.strip().islower()
    }


def _write(out: Path, file: str, words: Iterable[str]) -> int:
    unique = sorted(set(words))
    header = "".join(f"# {line}\n" for line in HEADERS[file].splitlines())
    (out / file).write_text(header + "".join(f"{word}\n" for word in unique), "utf-8")
    return len(unique)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--census", type=Path, required=True)
    parser.add_argument("--nam-dict", type=Path, required=True)
    parser.add_argument("--words", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    given_census = census(args.census / "dist.male.first") + census(args.census / "dist.female.first")
    surnames = census(args.census / "dist.all.last")
    given_world = nam_dict(args.nam_dict)
    counts = {
        "given_names_census.txt": _write(args.out, "given_names_census.txt", given_census),
        "surnames_census.txt": _write(args.out, "surnames_census.txt", surnames),
        "given_names_world.txt": _write(args.out, "given_names_world.txt", given_world),
        "english_words.txt": _write(args.out, "english_words.txt", ordinary_words(args.words)),
    }
    for file, count in counts.items():
        print(f"{file}: {count}")


if __name__ == "__main__":
    main()
