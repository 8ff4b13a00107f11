"""Where personal names are in free text: the spans ``connectors.privacy.redact`` replaces with [name].

A rule set, not a learned model, so every redaction can be explained. A run of capitalised words is
taken for a name when one of these holds:

* a **cue** comes just before it: a title (Mr, Mrs, Dr, Cllr, PC...), a relation ("my neighbour",
  "her son", "a man called"), or a greeting ("Thanks", "Hi");
* "from number 12", "at no. 4" or "in flat 3" comes just after it;
* one of its words is a **given name** (``lexicons/first_names.txt``): that word and up to two
  capitalised words after it (the surname) are the name. Given names that are also everyday words or
  months (``AMBIGUOUS``) count only with a capitalised word after them or a cue before;
* one of its words, after another capitalised word, is a **surname** (``lexicons/surnames.txt``).

Places are not names: words inside a known place (``lexicons/places.txt``: Camden's wards,
neighbourhoods, stations) and runs ending in a place word (Street, Road, Square, Station... in
``PLACE_WORDS``) or starting with "St" are left alone. Sentence-starting words and other capitalised
words that never name a person (``NOT_NAMES``) break a run.
"""

from __future__ import annotations

import re

from connectors import lexicon

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"

_WORD = rf"[{_UPPER}][{_LOWER}]+"
_TOKEN = re.compile(
    # Smith, McDonald, O'Brien, Rees-Mogg; an apostrophe may be typed or curly (\u2019).
    rf"(?<![\w'\u2019-])(?:[OD]['\u2019])?{_WORD}(?:{_WORD})?(?:-{_WORD})*(?![\w-])"
)
_RUN_GAP = re.compile(r"[ \t]+(?:(?:de|da|di|van|von|der|den|le|la|al|el|bin|ibn|ap)[ \t]+)?")
"""Words of one name: next to each other, or joined by a particle (Marsha de Cordova, Ahmed bin Ali)."""

_RULES = lexicon.sections("name_rules.txt")


def _rule(kind: str) -> frozenset[str]:
    return frozenset(word for line in _RULES[kind] for word in line.split())


TITLES = _rule("titles")
RELATIONS = _rule("relations")
AMBIGUOUS = _rule("ambiguous")
"""Given names that are also everyday words, months or places: a name only with more evidence."""
PLACE_WORDS = _rule("place_words")
"""Words that make the capitalised words before them a place or an organisation ("Charlotte Street")."""
NOT_NAMES = _rule("not_names") | TITLES
"""Capitalised words that never name a person here: they break a run of capitalised words."""
FIRST_NAMES = lexicon.words("first_names.txt")
SURNAMES = lexicon.words("surnames.txt")
PLACES = lexicon.phrases("places.txt")

_CUE_BEFORE = re.compile(
    r"(?:(?<![\w-])(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\.?"
    r"|(?i:(?<![\w-])(?:my|our|his|her|their|your|the|a)\s+(?:next[- ]door\s+|old\s+|new\s+|best\s+)?"
    r"(?:" + "|".join(sorted(RELATIONS, key=len, reverse=True)) + r")(?:,)?(?:\s+(?:called|named))?)"
    r"|(?i:(?<![\w-])(?:man|woman|guy|lad|bloke|girl|boy|kid|person|chap|fella|lady|gentleman|someone)"
    r"\s+(?:called|named))"
    r"|(?i:(?<![\w-])(?:named|name\s+is|name's|names))"
    r"|(?i:(?<![\w-])(?:hi|hello|hey|dear|thanks|thank\s+you|cheers|rip|well\s+done|shout\s+out\s+to)))"
    r"[ \t]+$"
)
_CUE_AFTER = re.compile(r"^[ \t]+(?i:from|at|in|of)[ \t]+(?i:number|no\.?|num|flat)[ \t]*\d")
_MOST_NAME_WORDS = 4


_PLACE = re.compile(
    r"(?<![\w'\u2019-])(?:"
    + "|".join(re.escape(p).replace("'", "['\u2019]") for p in sorted(PLACES, key=len, reverse=True))
    + r")(?![\w-])"
)


def _runs(text: str) -> list[list[re.Match[str]]]:
    """Capitalised words next to each other, split at words that cannot be names and at known places."""
    in_place = [False] * (len(text) + 1)
    for match in _PLACE.finditer(text):
        for index in range(match.start(), match.end()):
            in_place[index] = True
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    previous_end = -1
    for token in _TOKEN.finditer(text):
        word = token.group(0)
        breaks = in_place[token.start()] or (word in NOT_NAMES and word not in PLACE_WORDS)
        joined = current and _RUN_GAP.fullmatch(text[previous_end : token.start()]) is not None
        if breaks or not joined:
            if current:
                runs.append(current)
            current = []
        if not breaks:
            current.append(token)
        previous_end = token.end()
    if current:
        runs.append(current)
    return runs


def _is_place(run: list[re.Match[str]]) -> bool:
    words = [token.group(0) for token in run]
    return words[0] in ("St", "Saint") or any(word in PLACE_WORDS for word in words[1:])


def _name_in(run: list[re.Match[str]], text: str) -> tuple[int, int] | None:
    words = [token.group(0) for token in run]
    limit = _MOST_NAME_WORDS
    if _CUE_BEFORE.search(text[max(0, run[0].start() - 60) : run[0].start()]):
        return 0, min(len(run), limit)
    for index, word in enumerate(words):
        if word in FIRST_NAMES and (word not in AMBIGUOUS or index + 1 < len(words)):
            return index, min(len(run), index + limit)
    for index, word in enumerate(words[1:], start=1):
        if word in SURNAMES:
            return index - 1, min(len(run), index - 1 + limit)
    if _CUE_AFTER.match(text[run[-1].end() :]):
        return max(0, len(run) - 2), len(run)
    return None


def find(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each personal name in ``text``, in order and not overlapping."""
    spans = []
    for run in _runs(text):
        if _is_place(run):
            continue
        found = _name_in(run, text)
        if found is not None:
            start, end = found
            spans.append((run[start].start(), run[end - 1].end()))
    return spans
