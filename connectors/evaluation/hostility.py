"""Hostility against TweetEval's human labels: hate speech (HatEval) and offensive language (OffensEval).

The threshold is chosen on the training tweets (the one that maximises F1 on the offensive task,
whose definition - insults, threats, profanity aimed at someone - is closest to ours) and reported
on the validation tweets, which were not looked at while choosing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors import signals
from connectors.evaluation.metrics import Binary, binary
from events import Frozen

TASKS = ("offensive", "hate")
FOLDER = "tweeteval_hostility_train"
THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(1, 20))


class Labelled(Frozen):
    texts: tuple[str, ...]
    labels: tuple[bool, ...]


class Row(Frozen):
    task: str
    split: str
    threshold: float
    scores: Binary


def load(data: Path, task: str, split: str) -> Labelled:
    folder = data / FOLDER / task
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels for {split}")
    return Labelled(texts=tuple(texts), labels=tuple(label == "1" for label in labels))


def scores(texts: Sequence[str]) -> list[float]:
    return [signals.hostility(text) for text in texts]


def best_threshold(labels: Sequence[bool], hostility: Sequence[float]) -> float:
    return max(THRESHOLDS, key=lambda t: binary(labels, [h >= t for h in hostility]).f1)


def evaluate(data: Path, threshold: float = signals.HOSTILE) -> list[Row]:
    rows = []
    for task in TASKS:
        for split in ("train", "val"):
            labelled = load(data, task, split)
            guess = [h >= threshold for h in scores(labelled.texts)]
            rows.append(
                Row(task=task, split=split, threshold=threshold, scores=binary(labelled.labels, guess))
            )
    return rows
