"""Agreement measures, written out so that each figure in the docs can be traced to a formula."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence

from events import Frozen


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError("pearson needs two sequences of the same length, at least 2 long")
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return math.nan
    return sxy / math.sqrt(sxx * syy)


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing the mean of the ranks they span (as Spearman's rho needs)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    return pearson(ranks(xs), ranks(ys))


class Binary(Frozen):
    """Precision, recall and F1 of the positive class, and macro-F1 over both classes."""

    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    macro_f1: float


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _precision_recall(
    truth: Sequence[Hashable], guess: Sequence[Hashable], label: Hashable
) -> tuple[float, float]:
    true_pos = sum(1 for t, g in zip(truth, guess, strict=True) if t == label and g == label)
    guessed = sum(1 for g in guess if g == label)
    actual = sum(1 for t in truth if t == label)
    return (true_pos / guessed if guessed else 0.0), (true_pos / actual if actual else 0.0)


def binary(truth: Sequence[bool], guess: Sequence[bool]) -> Binary:
    precision, recall = _precision_recall(truth, guess, True)
    return Binary(
        n=len(truth),
        positives=sum(truth),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        macro_f1=macro_f1(truth, guess),
    )


def accuracy(truth: Sequence[Hashable], guess: Sequence[Hashable]) -> float:
    return sum(1 for t, g in zip(truth, guess, strict=True) if t == g) / len(truth)


def macro_f1(truth: Sequence[Hashable], guess: Sequence[Hashable]) -> float:
    """The unweighted mean of each class's F1, over the classes that occur in the truth."""
    labels = sorted(set(truth), key=repr)
    return sum(_f1(*_precision_recall(truth, guess, label)) for label in labels) / len(labels)


def cohen_kappa(truth: Sequence[Hashable], guess: Sequence[Hashable]) -> float:
    """Agreement beyond what two raters with these label frequencies would reach by chance."""
    n = len(truth)
    observed = accuracy(truth, guess)
    truth_counts, guess_counts = Counter(truth), Counter(guess)
    expected = sum(truth_counts[label] * guess_counts[label] for label in truth_counts) / (n * n)
    return math.nan if expected == 1 else (observed - expected) / (1 - expected)
