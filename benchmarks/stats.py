"""The pure part of the harness: percentiles, rates, targets and the one table it prints."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), interpolating linearly between the two nearest ranks.

    This is numpy's default ("linear", Hyndman and Fan's type 7). An infinite value stands for a
    sample never completed (a marker never seen): it sorts last, so a p99 that falls on one is
    infinite, not flattered.
    """
    if not values:
        raise ValueError("no values to take a percentile of; measure something first")
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = math.ceil(position)
    if low == high or ordered[low] == ordered[high]:
        return ordered[low]
    if math.isinf(ordered[high]):
        return ordered[high]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(count: int, seconds: float) -> float | None:
    """Events per second, or None when nothing was timed."""
    return count / seconds if seconds > 0 and count > 0 else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs <= 0 or math.isinf(ours) or math.isinf(theirs):
        return None
    return ours / theirs


@dataclass(frozen=True)
class Target:
    """A figure the issue asks for: at least or at most ``threshold``."""

    threshold: float
    at_least: bool
    text: str
    """As the table shows it, e.g. ">= 200,000 events/s"."""

    def verdict(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "n/a"
        met = value >= self.threshold if self.at_least else value <= self.threshold
        return "PASS" if met else "MISS"


def at_least(threshold: float, unit: str) -> Target:
    return Target(threshold, True, f">= {format_value(threshold, unit)}")


def at_most(threshold: float, unit: str) -> Target:
    return Target(threshold, False, f"<= {format_value(threshold, unit)}")


def format_value(value: float | None, unit: str) -> str:
    """A figure as the table shows it: thousands separated, three significant digits for small ones."""
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return f"never {unit}".rstrip()
    if unit == "x":
        return f"{value:.2f} x" if abs(value) >= 0.1 else f"{value:.2g} x"
    if unit in ("events/s", "rows/s"):
        return f"{value:,.0f} {unit}"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, the target beside it (if the issue sets one) and a note."""

    name: str
    value: float | None
    unit: str
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return self.target.verdict(self.value) if self.target is not None else ""

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["value"] = None if self.value is None or not math.isfinite(self.value) else self.value
        data["never"] = self.value is not None and math.isinf(self.value)
        data["shown"] = format_value(self.value, self.unit)
        data["target"] = self.target.text if self.target is not None else None
        data["verdict"] = self.verdict or None
        return data


HEADER = ("measurement", "figure", "target", "verdict", "note")


def render(rows: Sequence[Row], width: int = 60) -> str:
    """The table, in fixed-width columns (notes longer than ``width`` are cut with an ellipsis)."""
    cells = [HEADER] + [
        (
            r.name,
            format_value(r.value, r.unit),
            r.target.text if r.target is not None else "",
            r.verdict,
            r.note if len(r.note) <= width else r.note[: width - 1] + "…",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    right = {1}
    lines = []
    for number, line in enumerate(cells):
        lines.append(
            "  ".join(
                (cell.rjust(w) if i in right and number else cell.ljust(w))
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
