"""Sentiment, hostility and rumour of a short public post: transparent scorers an analyst can check.

* **Sentiment** is VADER's compound score (Hutto and Gilbert, ICWSM 2014), in [-1, 1]: a lexicon of
  about 7,500 words rated by people, with rules for negation, intensifiers, capitals and
  punctuation. Its authors call a post positive at 0.05 or more and negative at -0.05 or less.
* **Hostility**, in [0, 1], is how strongly the post reads as abuse of people rather than complaint
  about a problem. The cues, by kind, are in ``lexicons/hostility.txt``: threats, dehumanising
  words, slurs, insults, calls to gather or act ("everyone get down there"), profanity; a very
  negative sentiment adds a little. Each cue found is independent evidence: the score is
  ``1 - prod(1 - weight)`` over the cues (a "noisy or"), so one threat weighs more than one curse,
  several cues push the score towards 1, and no cue at all gives 0. ``HOSTILE`` is the threshold
  chosen on TweetEval's training tweets (``docs/social.md`` has the figures).
* **Rumour**, in [0, 1], is how strongly the post reads as an unverified claim: hedges
  ("apparently", "unconfirmed"), hearsay ("I heard", "people are saying"), suppression claims
  ("they're covering it up", "share before it's deleted") and calls to spread it. Combined the same
  way. No labelled rumour data is at hand, so its weights are judgement, not calibration.

Everything here is pure: the same text always gives the same scores, and ``hostility_cues`` and
``rumour_cues`` say which words made a score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from connectors import lexicon

POSITIVE = 0.05
"""VADER's own cut-offs: compound >= 0.05 is positive, <= -0.05 negative, in between neutral."""
NEGATIVE = -0.05

HOSTILE = 0.2
"""A post scoring this or more counts as hostile: one insult, dehumanising word, threat, slur or call to
act does; a curse alone or a very negative tone alone does not (``docs/social.md`` has the trade-off)."""

HOSTILITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # Threats and slurs alone make a post hostile; an insult or a dehumanising word nearly does,
        # and with a second cue or a very negative tone it does.
        "threat": 0.6,
        "slur": 0.6,
        "dehumanising": 0.35,
        "abuse": 0.3,
        "call_to_act": 0.35,
        "profanity": 0.15,
    }
)
VERY_NEGATIVE = -0.6
"""Sentiment at or below this is a hostility cue of its own ('very negative', weight below)."""
VERY_NEGATIVE_WEIGHT = 0.15
ADDRESSED_WEIGHT = 0.1
"""An insult aimed at someone ("you", "@user") is abuse rather than grumbling: a small extra cue."""

RUMOUR_CUES: Mapping[str, tuple[float, tuple[str, ...]]] = MappingProxyType(
    {
        "hedge": (
            0.35,
            (
                "apparently",
                "allegedly",
                "reportedly",
                "supposedly",
                "unconfirmed",
                "unverified",
                "not confirmed",
                "yet to be confirmed",
                "not been confirmed",
                "rumour*",
                "rumor*",
            ),
        ),
        "hearsay": (
            0.45,
            (
                "i heard",
                "i've heard",
                "ive heard",
                "heard that",
                "hearing that",
                "been told",
                "people are saying",
                "people saying",
                "everyone's saying",
                "everyone is saying",
                "word is",
                "word on the street",
                "someone said",
                "someone told me",
                "my mate said",
                "a mate said",
                "my friend said",
                "a friend told me",
                "friend of a friend",
                "can anyone confirm",
                "can someone confirm",
                "anyone confirm",
                "is it true",
                "is this true",
                "anyone know if",
            ),
        ),
        "suppression": (
            0.55,
            (
                "before it's deleted",
                "before it is deleted",
                "before it gets deleted",
                "before they delete",
                "before it's taken down",
                "covering it up",
                "covering up",
                "covered it up",
                "covered up",
                "cover-up",
                "cover up",
                "they don't want you to know",
                "won't tell you",
                "wont report",
                "won't report",
                "media won't",
                "hushed up",
                "keeping it quiet",
                "what they're not telling",
            ),
        ),
        "spread": (
            0.25,
            (
                "share this",
                "please share",
                "share widely",
                "spread the word",
                "pass it on",
                "rt",
            ),
        ),
    }
)


def _term_pattern(term: str) -> str:
    stem = term.removesuffix("*")
    pattern = re.escape(stem).replace(r"\ ", r"\s+").replace("'", "'?")
    return pattern + (r"[\w'-]*" if term.endswith("*") else "")


def _compile(terms: Iterable[str]) -> re.Pattern[str]:
    # Longest first, so that "shut the fuck up" is one cue rather than "shut up" missed and "fuck" found.
    ordered = sorted(set(terms), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(_term_pattern(t) for t in ordered) + r")(?![\w'])")


HOSTILITY_TERMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {kind: tuple(term.lower() for term in terms) for kind, terms in lexicon.sections("hostility.txt").items()}
)

_HOSTILITY_PATTERNS = MappingProxyType({kind: _compile(HOSTILITY_TERMS[kind]) for kind in HOSTILITY_WEIGHTS})
_RUMOUR_PATTERNS = MappingProxyType({kind: _compile(terms) for kind, (_, terms) in RUMOUR_CUES.items()})
_ADDRESSED = re.compile(r"(?<![\w'])(?:you|your|you're|youre|ur|u|ya)(?![\w'])|@\w+")
_MOST_HITS_PER_KIND = 3
"""Repeating one kind of cue adds evidence, but a rant of twenty curses is not twenty times as hostile."""


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


@cache
def _analyser() -> SentimentIntensityAnalyzer:
    # Building the analyser reads VADER's lexicon files; once per process is enough.
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score of ``text``, in [-1, 1]; 0 for empty text."""
    return float(_analyser().polarity_scores(text)["compound"])


def sentiment_class(score: float) -> int:
    """-1, 0 or 1 by VADER's recommended cut-offs (+-0.05)."""
    if score >= POSITIVE:
        return 1
    if score <= NEGATIVE:
        return -1
    return 0


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return round(1.0 - remaining, 4)


def hostility_cues(text: str, compound: float | None = None) -> tuple[tuple[str, str], ...]:
    """The (kind, words) cues of hostility in ``text``, in order of kind; the scorer's evidence."""
    lowered = _normalise(text)
    cues: list[tuple[str, str]] = []
    for kind, pattern in _HOSTILITY_PATTERNS.items():
        found = [m.group(0) for m in pattern.finditer(lowered)][:_MOST_HITS_PER_KIND]
        cues.extend((kind, words) for words in found)
    if any(kind == "abuse" for kind, _ in cues) and _ADDRESSED.search(lowered):
        cues.append(("addressed", "you"))
    score = sentiment(text) if compound is None else compound
    if score <= VERY_NEGATIVE:
        cues.append(("very_negative", f"{score:.2f}"))
    return tuple(cues)


def _cue_weight(kind: str) -> float:
    if kind == "addressed":
        return ADDRESSED_WEIGHT
    if kind == "very_negative":
        return VERY_NEGATIVE_WEIGHT
    return HOSTILITY_WEIGHTS[kind]


def hostility(text: str, compound: float | None = None) -> float:
    """How hostile the post reads, in [0, 1]; ``compound`` saves scoring the sentiment twice."""
    return _noisy_or(_cue_weight(kind) for kind, _ in hostility_cues(text, compound))


def rumour_cues(text: str) -> tuple[tuple[str, str], ...]:
    """The (kind, words) cues of an unverified claim in ``text``."""
    lowered = _normalise(text)
    cues: list[tuple[str, str]] = []
    for kind, pattern in _RUMOUR_PATTERNS.items():
        found = [m.group(0) for m in pattern.finditer(lowered)][:_MOST_HITS_PER_KIND]
        cues.extend((kind, words) for words in found)
    return tuple(cues)


def rumour(text: str) -> float:
    """How strongly the post reads as an unverified claim or rumour, in [0, 1]."""
    return _noisy_or(RUMOUR_CUES[kind][0] for kind, _ in rumour_cues(text))
