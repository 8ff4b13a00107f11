"""Where personal names are in free text: the spans ``connectors.privacy.redact`` replaces with [name].

A rule set, not a learned model, so every redaction can be explained. A run of capitalised words is
taken for a name when one of these holds:

* a **cue** comes just before it: a title (Mr, Mrs, Dr, Cllr, PC...), a relation ("my neighbour",
  "her son", "a man called"), or a greeting ("Thanks", "Hi");
* "from number 12", "at no. 4" or "in flat 3" comes just after it;
* one of its words is a **given name** of the hand-written list (``lexicons/first_names.txt``): that
  word and up to three capitalised words after it (the surname) are the name. Given names that are
  also everyday words or months (``AMBIGUOUS``) count only with a capitalised word after them or a cue
  before;
* one of its words, after another capitalised word, is a **surname** of the hand-written list
  (``lexicons/surnames.txt``);
* a word of the **large lists** (about 41,000 given names and 89,000 surnames from the US Census and
  from a list of first names in 54 countries, ``lexicons/SOURCE.txt``) that is not an ordinary English
  word (``lexicons/name_words.txt``: Bell, Rose, Brown) is a given name followed by another
  capitalised word ("Crispin Blunt"), or a surname after a given name or another such surname
  ("Bell Ribeiro-Addy"). Ordinary words stay names only with the hand-written lists or a cue.

A word alone is a name with a cue, when it is a hand-written given name that is not an everyday word,
or when it is in a name list and a possessive or a verb of saying follows it ("Bob's van", "Kerry
said"); months, places and clubs (``[not_alone]``) never are.

Places are not names: words inside a known place (``lexicons/places.txt``: Camden's wards,
neighbourhoods, stations, London's boroughs, shops named after people) and runs ending in a place
word (Street, Road, Square, Station... in ``PLACE_WORDS``) or starting with "St" are left alone.
Sentence-starting words and other capitalised words that never name a person (``NOT_NAMES``) break a
run.
"""

from __future__ import annotations

import re

from connectors import lexicon

# Latin letters with their accents, Latin-1 to Latin Extended-B, so that Wiśniewski, Łukasz and
# Şahin are words like Smith.
_LATIN_ACCENTED = [chr(code) for code in range(0xC0, 0x250)]
_UPPER = "A-Z" + "".join(c for c in _LATIN_ACCENTED if c.isupper())
_LOWER = "a-z" + "".join(c for c in _LATIN_ACCENTED if c.islower())

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
PLACE_STARTS = _rule("place_starts")
"""Words that make the capitalised words after them a place ("St Pancras", "San Steffan")."""
NOT_ALONE = _rule("not_alone")
"""Name words that are also months, places or clubs: a name only with a surname or a cue."""
SAYING = _rule("saying")
"""Verbs that make the single capitalised word before them a person ("Kerry said")."""
FIRST_NAMES = lexicon.words("first_names.txt")
SURNAMES = lexicon.words("surnames.txt")
PLACES = lexicon.phrases("places.txt")
GIVEN_KEYS = (
    lexicon.name_keys("given_names_census.txt")
    | lexicon.name_keys("given_names_world.txt")
    | lexicon.name_keys("first_names.txt")
)
"""Every given name of the lists, by ``lexicon.name_key``."""
SURNAME_KEYS = lexicon.name_keys("surnames_census.txt") | lexicon.name_keys("surnames.txt")
ORDINARY_KEYS = lexicon.name_keys("english_words.txt")
"""Ordinary English words: a name word of the large lists that is also one is no evidence on its own."""
_SHORTEST_LARGE_LIST_GIVEN_NAME = 3
"""Two-letter given names of the large lists (Al, De, Le, San) are particles as often as names."""

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
_TITLE_BEFORE = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\.?[ \t]+$"
)
_GIVEN_BEFORE = re.compile(rf"(?<![\w'\u2019-])({_WORD})[ \t]+$")
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
        # After a title or a given name a place is a surname: "Mr McDonald's car", "Ben Sutton".
        before = text[max(0, match.start() - 40) : match.start()]
        given = _GIVEN_BEFORE.search(before)
        if _TITLE_BEFORE.search(before) or (
            given is not None and (given.group(1) in FIRST_NAMES or _clear_given(given.group(1)))
        ):
            continue
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
    parts = [part for word in words for part in word.split("-")]
    return words[0] in PLACE_STARTS or any(part in PLACE_WORDS for part in parts[1:])


def _clear(word: str, keys: frozenset[str]) -> bool:
    """Whether ``word``, or a part of it if hyphenated, is in ``keys`` and is not an ordinary word."""
    return any(
        key in keys and key not in ORDINARY_KEYS
        for key in (lexicon.name_key(part) for part in (word, *word.split("-")))
    )


def _clear_given(word: str) -> bool:
    # A hyphenated given name is looked up by its first part: "Jean-Paul", not "Chester-Le-Street".
    first = word.split("-")[0]
    return (
        len(first) >= _SHORTEST_LARGE_LIST_GIVEN_NAME
        and first not in AMBIGUOUS
        and first not in NOT_ALONE
        and _clear(first, GIVEN_KEYS)
    )


def _ordinary(word: str) -> bool:
    return lexicon.name_key(word) in ORDINARY_KEYS


def _large_list_name(words: list[str]) -> tuple[int, int] | None:
    """A name by the large lists: a given name and a capitalised word after it, or given name and surname.

    A name may follow other capitalised words only when those are ordinary words ("Chancellor Nadhim
    Zahawi", "Yesterday Zarah Sultana"): after a proper noun ("Cheshire Magna Carta", "Chag Pesach
    Sameach") the words are more likely a title or a phrase of another language.
    """
    limit = _MOST_NAME_WORDS
    for index, word in enumerate(words[:-1]):
        if _clear_given(word) and all(_ordinary(before) for before in words[:index]):
            return index, min(len(words), index + limit)
    for index, word in enumerate(words[1:], start=1):
        before = words[index - 1]
        if not _clear(word, SURNAME_KEYS) or not all(_ordinary(w) for w in words[: index - 1]):
            continue
        # A given name that is also a word ("Bell", "Free") counts only at the start of the run:
        # "Bell Ribeiro-Addy" but not "Plastic Free Ringwood".
        given = _clear_given(before) or (index == 1 and lexicon.name_key(before) in GIVEN_KEYS)
        if given or _clear(before, SURNAME_KEYS):
            return index - 1, min(len(words), index - 1 + limit)
    return None


_POSSESSIVE = re.compile(r"^['\u2019]s(?:[ \t]+[a-z]|[ \t]*[^\w\s]|[ \t]*$)")
"""A possessive followed by a lower-case word or punctuation: "Bob's van", not "Clare's Law"."""
_FOLLOWING_WORD = re.compile(r"^[ \t]+([a-z]+)")


def _alone_is_name(word: str, after: str) -> bool:
    """A single capitalised word with a possessive or a verb of saying after it, if it is a name word."""
    if word in NOT_ALONE or word in NOT_NAMES:
        return False
    following = _FOLLOWING_WORD.match(after)
    if not (_POSSESSIVE.match(after) or (following is not None and following.group(1) in SAYING)):
        return False
    if word in FIRST_NAMES or word in SURNAMES:
        return True
    return _clear_given(word) or _clear(word, SURNAME_KEYS)


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
    found = _large_list_name(words)
    if found is not None:
        return found
    if _CUE_AFTER.match(text[run[-1].end() :]):
        return max(0, len(run) - 2), len(run)
    if len(run) == 1 and _alone_is_name(words[0], text[run[0].end() :]):
        return 0, 1
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
