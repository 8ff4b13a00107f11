"""The pack's charts: one matplotlib figure each, as SVG for the HTML and PNG for the PDF.

A few area-wide charts, never one per neighbourhood: per-neighbourhood detail goes in tables, so a
600-neighbourhood pack draws as fast as an 18-neighbourhood one. Figures are made without pyplot
(no global figure manager, safe in the service's threads) and saved without dates; SVG ids come
from a fixed salt, so the same data give the same bytes.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from events import Frozen
from projections.briefing.model import TensionRow, theme_label

NOW = "#1f4e79"
BEFORE = "#a6a6a6"
LEVEL_COLOURS = ("#7f9f7f", "#e0c341", "#e08a2c", "#c8412c", "#7a1f1f")
_SALT = "engage-briefing"
P = ParamSpec("P")
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


class Chart(Frozen):
    title: str
    alt: str
    """What the chart shows, in words (the HTML's text alternative)."""
    svg: str
    png: bytes
    height_in: float
    width_in: float


_LOCK = threading.Lock()
"""matplotlib's settings are global: one chart at a time, so a pack built in one of the service's
threads never draws with settings another thread has changed."""


def _charted(draw: Callable[P, Chart]) -> Callable[P, Chart]:
    @functools.wraps(draw)
    def locked(*args: P.args, **kwargs: P.kwargs) -> Chart:
        with (
            _LOCK,
            mpl.rc_context({"svg.hashsalt": _SALT, "svg.fonttype": "none", "font.family": "DejaVu Sans"}),
        ):
            return draw(*args, **kwargs)

    return locked


def _render(fig: Figure, title: str, alt: str) -> Chart:
    svg_out = io.BytesIO()
    fig.savefig(svg_out, format="svg", metadata={"Date": None, "Creator": None})
    png_out = io.BytesIO()
    fig.savefig(png_out, format="png", dpi=150, metadata={"Software": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg_out.getvalue().decode("utf-8"), count=1), count=1)
    width, height = fig.get_size_inches()
    return Chart(title=title, alt=alt, svg=svg, png=png_out.getvalue(), width_in=width, height_in=height)


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


@_charted
def tension_levels(now: Sequence[int], before: Sequence[int], labels: Sequence[str]) -> Chart:
    """Neighbourhoods at each tension level, now and at the last pack."""
    fig = _figure(7.0, 2.6)
    ax = fig.add_subplot()
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], list(before), width=0.4, color=BEFORE, label="last pack")
    ax.bar([x + 0.2 for x in xs], list(now), width=0.4, color=NOW, label="now")
    ax.set_xticks(list(xs), [f"{i + 1} {label}" for i, label in enumerate(labels)])
    ax.set_ylabel("neighbourhoods")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    alt = "; ".join(
        f"level {i + 1} {label}: {n} now, {b} at the last pack"
        for i, (label, n, b) in enumerate(zip(labels, now, before, strict=True))
    )
    return _render(fig, "Neighbourhoods at each tension level", alt)


@_charted
def tension_highest(rows: Sequence[TensionRow], limit: int = 20) -> Chart:
    """The neighbourhoods with the highest tension now (peak in the period breaks ties)."""
    chosen = sorted(rows, key=lambda t: (-t.level, -t.peak_level, -t.change, t.neighbourhood.casefold()))[
        :limit
    ]
    chosen = list(reversed(chosen))
    fig = _figure(7.0, 0.9 + 0.22 * max(len(chosen), 1))
    ax = fig.add_subplot()
    ys = list(range(len(chosen)))
    ax.barh(ys, [t.level for t in chosen], color=[LEVEL_COLOURS[min(t.level, 5) - 1] for t in chosen])
    ax.scatter(
        [t.previous_level for t in chosen], ys, marker="|", s=120, color="black", label="last pack", zorder=3
    )
    ax.scatter([t.peak_level for t in chosen], ys, marker="x", s=20, color="black", label="peak in period")
    ax.set_yticks(ys, [t.neighbourhood for t in chosen], fontsize=7)
    ax.set_xlabel("tension level now")
    ax.set_xlim(0, max([5, *(t.peak_level for t in chosen)]) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    alt = "; ".join(
        f"{t.neighbourhood}: level {t.level} (last pack {t.previous_level}, peak {t.peak_level})"
        for t in reversed(chosen)
    )
    return _render(fig, f"Highest tension now (up to {limit} neighbourhoods)", alt)


@_charted
def top_themes(now: Mapping[str, int], before: Mapping[str, int], top: int, limit: int = 12) -> Chart:
    """How many neighbourhoods have each theme in their top priorities, now and at the last pack."""
    themes = sorted(set(now) | set(before), key=lambda t: (-now.get(t, 0), -before.get(t, 0), t))[:limit]
    themes = list(reversed(themes))
    fig = _figure(7.0, 0.9 + 0.3 * max(len(themes), 1))
    ax = fig.add_subplot()
    ys = list(range(len(themes)))
    ax.barh(
        [y + 0.2 for y in ys], [before.get(t, 0) for t in themes], height=0.4, color=BEFORE, label="last pack"
    )
    ax.barh([y - 0.2 for y in ys], [now.get(t, 0) for t in themes], height=0.4, color=NOW, label="now")
    ax.set_yticks(ys, [theme_label(t) for t in themes], fontsize=8)
    ax.set_xlabel(f"neighbourhoods with the theme in their top {top}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    alt = "; ".join(
        f"{theme_label(t)}: {now.get(t, 0)} now, {before.get(t, 0)} at the last pack"
        for t in reversed(themes)
    )
    return _render(fig, f"Priorities movement: themes in a top {top}", alt)
