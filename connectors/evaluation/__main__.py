"""``python -m connectors.evaluation {sentiment,hostility,pii,all} [--data DIR]``: print the figures.

The human-labelled corpora are read from ``--data`` (default: ``data/evaluation`` in the repository,
copied with their SOURCE notes). When a folder is absent the command says so and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from connectors import signals
from connectors.evaluation import hostility, pii, sentiment
from engage.settings import REPO_ROOT

DEFAULT_DATA = REPO_ROOT / "data" / "evaluation"


def _need(data: Path, folder: str) -> None:
    if not (data / folder).is_dir():
        sys.stderr.write(
            f"{data / folder} is not there; give the folder that holds the human-labelled data with --data.\n"
        )
        raise SystemExit(2)


def _sentiment(data: Path) -> None:
    _need(data, sentiment.VADER)
    _need(data, sentiment.SENTIMP)
    print("\nSentiment (VADER compound) against human ratings")
    print("| corpus | n | Pearson r | Spearman rho |\n| --- | --- | --- | --- |")
    for row in sentiment.continuous(data):
        print(f"| {row.corpus} | {row.n} | {row.pearson:.3f} | {row.spearman:.3f} |")
    c = sentiment.classes(data)
    print("\n| corpus | n | accuracy | macro-F1 | Cohen's kappa | commonest class share |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {c.corpus} | {c.n} | {c.accuracy:.3f} | {c.macro_f1:.3f} | {c.kappa:.3f} "
        f"| {c.majority_share:.3f} |"
    )


def _hostility(data: Path) -> None:
    _need(data, hostility.FOLDER)
    train = hostility.load(data, "offensive", "train")
    best = hostility.best_threshold(train.labels, hostility.scores(train.texts))
    for threshold, why in ((signals.HOSTILE, "the threshold used"), (best, "best F1 on offensive/train")):
        print(
            f"\nHostility >= {threshold} ({why}) against TweetEval labels (positive class: hate / offensive)"
        )
        print("| task | split | n | positives | precision | recall | F1 | macro-F1 |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in hostility.evaluate(data, threshold):
            s = row.scores
            print(
                f"| {row.task} | {row.split} | {s.n} | {s.positives} | {s.precision:.3f} | {s.recall:.3f} "
                f"| {s.f1:.3f} | {s.macro_f1:.3f} |"
            )


def _pii(data: Path) -> None:
    report = pii.evaluate(pii.test_set(), pii.clean_set())
    print(f"PII redaction on the labelled test set (seed {pii.SEED}, {report.cases} sentences)")
    print("| kind | labelled | caught | recall |\n| --- | --- | --- | --- |")
    for kind in report.recall:
        print(f"| {kind.kind} | {kind.labelled} | {kind.caught} | {kind.recall:.3f} |")
    print(
        f"\nClean sentences with anything redacted: {report.clean_redacted} of {report.clean_sentences} "
        f"({report.false_positive_rate:.3f}); redactions by kind: {report.clean_redactions}"
    )
    print(f"Labelled values that survived: {len(report.survivors)} (listed by the unit test, not here)")
    if not (data / pii.SENTIMP_TWEETS).is_file():
        print(
            f"\nReal text: {data / pii.SENTIMP_TWEETS} is not there; give the corpora's folder with --data."
        )
        return
    real = pii.real_text(data)
    print(
        f"\nReal text, the SentiMP-21 UK tweets: {real.spans} names redacted "
        f"({real.distinct_spans} distinct) "
        f"in {real.with_names} of {real.texts} tweets; of {real.named} occurrences of the names picked "
        f"by hand from them, {real.named_caught} caught. Which spans are not names is read by hand "
        "(docs/privacy.md)."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.evaluation", description=__doc__)
    parser.add_argument("what", choices=("sentiment", "hostility", "pii", "all"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the labelled corpora")
    args = parser.parse_args(argv)
    if args.what in ("pii", "all"):
        _pii(args.data)
    if args.what in ("sentiment", "all"):
        _sentiment(args.data)
    if args.what in ("hostility", "all"):
        _hostility(args.data)


if __name__ == "__main__":
    main()
