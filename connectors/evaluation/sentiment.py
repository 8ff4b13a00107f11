"""The connector's sentiment (``connectors.signals.sentiment``) against people's ratings.

* VADER's own ground truth (Hutto and Gilbert 2014): 4,200 tweet-like texts and 5,190 New York Times
  editorial sentences, each the mean of 20 or more raters' scores from -4 to +4. Continuous, so the
  agreement is Pearson's and Spearman's correlation. The tweet means are read from
  ``tweets_GroundTruth.txt`` (199 of them differ from ``tweets_anonDataRatings.txt``; that file's
  means are reported too).
* SentiMP-21 UK: 500 tweets by UK members of parliament (2021), each labelled -1, 0 or 1 by three
  annotators; ``final_label`` is their majority (ties broken by a fourth). Twenty tweets marked
  unusable ("x", no final label) are left out. Classes, so the agreement is accuracy, macro-F1 and
  Cohen's kappa of VADER's three classes (compound >= 0.05 positive, <= -0.05 negative).
"""

from __future__ import annotations

import csv
from pathlib import Path

from connectors import signals
from connectors.evaluation.metrics import accuracy, cohen_kappa, macro_f1, pearson, spearman
from events import Frozen

VADER = "vader_ground_truth"
SENTIMP = "sentimp21_uk"


class Continuous(Frozen):
    corpus: str
    n: int
    pearson: float
    spearman: float


class Classes(Frozen):
    corpus: str
    n: int
    accuracy: float
    macro_f1: float
    kappa: float
    majority_share: float
    """Accuracy of always answering the commonest class: the floor a scorer must beat."""


def _rated(path: Path, mean_column: int, text_column: int | None) -> dict[str, tuple[float, str]]:
    rows: dict[str, tuple[float, str]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.rstrip("\r").split("\t")
        if len(fields) <= mean_column:
            continue
        text = fields[text_column] if text_column is not None else ""
        rows[fields[0]] = (float(fields[mean_column]), text)
    return rows


def continuous(data: Path) -> list[Continuous]:
    folder = data / VADER
    results = []
    tweets = _rated(folder / "tweets_GroundTruth.txt", 1, 2)
    scores = {key: signals.sentiment(text) for key, (_, text) in tweets.items()}
    results.append(_correlate("VADER tweets (tweets_GroundTruth.txt means)", tweets, scores))
    raters = _rated(folder / "tweets_anonDataRatings.txt", 1, None)
    shared = {key: (raters[key][0], "") for key in tweets if key in raters}
    results.append(_correlate("VADER tweets (tweets_anonDataRatings.txt means)", shared, scores))
    news = _rated(folder / "nytEditorialSnippets_GroundTruth.txt", 1, 2)
    news_scores = {key: signals.sentiment(text) for key, (_, text) in news.items()}
    results.append(_correlate("VADER NYT editorial sentences", news, news_scores))
    return results


def _correlate(name: str, rated: dict[str, tuple[float, str]], scores: dict[str, float]) -> Continuous:
    keys = sorted(rated)
    truth = [rated[key][0] for key in keys]
    guess = [scores[key] for key in keys]
    return Continuous(
        corpus=name, n=len(keys), pearson=pearson(truth, guess), spearman=spearman(truth, guess)
    )


def classes(data: Path) -> Classes:
    path = data / SENTIMP / "uk_extended_full.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["final_label"].strip() in ("-1", "0", "1")]
    truth = [int(row["final_label"]) for row in rows]
    guess = [signals.sentiment_class(signals.sentiment(row["full_text"])) for row in rows]
    commonest = max(set(truth), key=truth.count)
    return Classes(
        corpus="SentiMP-21 UK (final_label)",
        n=len(rows),
        accuracy=accuracy(truth, guess),
        macro_f1=macro_f1(truth, guess),
        kappa=cohen_kappa(truth, guess),
        majority_share=truth.count(commonest) / len(truth),
    )
