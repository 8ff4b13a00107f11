"""A grid of the pack drawn straight onto the PDF canvas: one text object per page's piece of it.

Why not reportlab's ``Table``: it styles, measures and draws every cell as an object of its own, and
lays out each cell that wraps as a paragraph. A 600-neighbourhood pack of a 10,000,000-event database
has over 200,000 cells, and drawing them through ``Table`` was most of the pack's time
(docs/performance.md). The grids need little of what ``Table`` offers: left-aligned text in fixed
columns, a shaded header repeated on every page, shaded sensitive rows and a rule under each row.
Here each cell's lines are worked out once, and a page's piece is drawn as fills, one path of rules
and one text object.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether

TOP_PADDING = BOTTOM_PADDING = 2.0
RULE_WIDTH = 0.3
RULE_COLOUR = colors.HexColor("#cccccc")
ROWS_UNDER_A_HEADING = 3
"""Rows of a grid that must fit on the page beside the heading before it, or both go to the next."""


@dataclass(frozen=True, slots=True)
class Font:
    name: str
    size: float
    leading: float


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[tuple[str, ...], ...]
    """Each cell's lines, already broken to fit its column."""
    height: float
    shaded: bool


def _fit(word: str, font: Font, room: float) -> int:
    """How many of the word's first characters fit in ``room`` (at least one, so a line advances)."""
    used = 0.0
    for count, char in enumerate(word):
        used += stringWidth(char, font.name, font.size)
        if used > room:
            return max(count, 1)
    return len(word)


def lines_of(text: str, font: Font, room: float) -> tuple[str, ...]:
    """``text`` broken at spaces into lines no wider than ``room``; a word wider than the column is
    broken where it reaches the edge, so no text runs into the next column."""
    if stringWidth(text, font.name, font.size) <= room:
        return (text,)
    space = stringWidth(" ", font.name, font.size)
    lines: list[str] = []
    line, used = "", 0.0
    for word in text.split():
        width = stringWidth(word, font.name, font.size)
        if line and used + space + width <= room:
            line, used = f"{line} {word}", used + space + width
            continue
        if line:
            lines.append(line)
        while width > room:
            cut = _fit(word, font, room)
            lines.append(word[:cut])
            word = word[cut:]
            width = stringWidth(word, font.name, font.size)
        line, used = word, width
    lines.append(line)
    return tuple(lines)


def row(texts: Sequence[str], rooms: Sequence[float], font: Font, *, shaded: bool) -> Row:
    cells = tuple(lines_of(text, font, room) for text, room in zip(texts, rooms, strict=True))
    tallest = max(len(lines) for lines in cells)
    return Row(cells, TOP_PADDING + tallest * font.leading + BOTTOM_PADDING, shaded)


class Grid(Flowable):
    """Rows ``start`` to ``end`` of a grid, under its header. Splitting at a page's end makes two
    pieces over the same rows, so a long grid is laid out once, not again at every page."""

    def __init__(
        self,
        widths: Sequence[float],
        head: Row,
        rows: Sequence[Row],
        fonts: tuple[Font, Font],
        *,
        fills: tuple[colors.Color, colors.Color],
        padding: float,
        start: int = 0,
        end: int | None = None,
        _ends: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        self.widths, self.head, self.rows, self.fonts = tuple(widths), head, rows, fonts
        self.fills, self.padding = fills, padding
        self.start, self.end = start, len(rows) if end is None else end
        self._ends = list(accumulate(r.height for r in rows)) if _ends is None else _ends
        self.width = sum(self.widths)
        self.height = self.head.height + self._below(self.end) - self._below(self.start)
        self.hAlign = "LEFT"

    def _below(self, index: int) -> float:
        """Height of the rows before ``index``."""
        return self._ends[index - 1] if index else 0.0

    def _piece(self, start: int, end: int) -> Grid:
        return Grid(
            self.widths,
            self.head,
            self.rows,
            self.fonts,
            fills=self.fills,
            padding=self.padding,
            start=start,
            end=end,
            _ends=self._ends,
        )

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        if self.height <= available_height:
            return [self]
        room = available_height - self.head.height + self._below(self.start)
        fits = min(bisect_right(self._ends, room, self.start, self.end), self.end)
        if fits <= self.start:
            return []
        return [self._piece(self.start, fits), self._piece(fits, self.end)]

    def draw(self) -> None:
        canvas = self.canv
        pieces = [(self.head, True), *((r, False) for r in self.rows[self.start : self.end])]
        head_fill, shaded_fill = self.fills
        lefts = [self.padding + left for left in accumulate(self.widths, initial=0.0)][:-1]
        canvas.saveState()
        top, rules = self.height, []
        text, current = canvas.beginText(), None
        for piece, is_head in pieces:
            bottom = top - piece.height
            if is_head or piece.shaded:
                canvas.setFillColor(head_fill if is_head else shaded_fill)
                canvas.rect(0, bottom, self.width, piece.height, stroke=0, fill=1)
            rules.append((0, bottom, self.width, bottom))
            font = self.fonts[0 if is_head else 1]
            if font != current:
                text.setFont(font.name, font.size, font.leading)
                current = font
            first = top - TOP_PADDING - font.size
            for left, lines in zip(lefts, piece.cells, strict=True):
                for number, line in enumerate(lines):
                    if line:
                        text.setTextOrigin(left, first - number * font.leading)
                        text.textOut(line)
            top = bottom
        canvas.setStrokeColor(RULE_COLOUR)
        canvas.setLineWidth(RULE_WIDTH)
        canvas.lines(rules)
        canvas.setFillColor(colors.black)
        canvas.drawText(text)
        canvas.restoreState()


class KeepWithFirstRows(KeepTogether):
    """What reportlab puts around a heading and the flowable after it (``keepTogetherClass``).

    reportlab moves both to the next page whenever they do not fit together whole, which for a grid
    longer than what is left of the page would start each section on a page of its own. A heading
    needs only the grid's header and first rows beside it; the grid splits at the page's end.
    """

    def __init__(self, flowables: list[Flowable], maxHeight: float | None = None) -> None:
        super().__init__(flowables, maxHeight)
        self.parts = list(flowables)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        *lead, last = self.parts
        if isinstance(last, Grid) and lead:
            first = min(last.end, last.start + ROWS_UNDER_A_HEADING)
            needed = last.head.height + last._below(first) - last._below(last.start)
            for flowable in lead:
                _, height = flowable.wrap(available_width, available_height)
                needed += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
            if needed <= available_height:
                return list(self.parts)
        result: list[Flowable] = super().split(available_width, available_height)
        return result
