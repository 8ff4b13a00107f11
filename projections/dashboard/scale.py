"""The colours of tension levels: one sequential, colour-blind-safe scale. Pure.

ColorBrewer's five-class YlOrRd (Brewer and Harrower, colorbrewer2.org), marked there as safe for
colour-blind readers and for photocopying: it runs from light to dark, so the order of the levels
reads from lightness alone. The page never relies on colour alone either: every area's level is also
written out (legend, hover title, overview table).
"""

from __future__ import annotations

from projections.tension import DEFAULT_PARAMS

PALETTE: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
"""Level 1 (normal) to level 5 (critical)."""
NO_DATA = "#d9d9d9"
"""A neighbourhood nothing has been heard from yet."""
LABELS: tuple[str, ...] = DEFAULT_PARAMS.labels


def fill_for(level: int | None) -> str:
    """The colour of a level; a level past either end of the scale takes that end's colour."""
    if level is None:
        return NO_DATA
    return PALETTE[min(max(level, 1), len(PALETTE)) - 1]


def label_for(level: int | None) -> str:
    if level is None:
        return "no events heard"
    return LABELS[min(max(level, 1), len(LABELS)) - 1]


def luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour, 0 (black) to 1 (white)."""
    value = colour.removeprefix("#")
    if len(value) != 6:
        raise ValueError(f"{colour!r} is not a #rrggbb colour")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ink_for(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour``, for text written on it."""
    light = luminance(colour)
    return "#000000" if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#ffffff"


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.removeprefix("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
