"""The pack as a PDF, drawn with reportlab from the same ``Document`` as the HTML.

Why reportlab rather than an HTML-to-PDF engine: a 600-neighbourhood pack is over a hundred pages of
tables, and must be ready in seconds (docs/briefing.md gives the figures). The protective marking is
drawn at the top and the bottom of every page. ``invariant`` fixes the dates and the document id
reportlab would otherwise take from the clock, so the same pack gives the same bytes.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib as mpl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)
from reportlab.platypus import TableStyle as Style

from events import ProtectiveMarking
from projections.briefing import layout, pdf_grid

FONT, BOLD = "EngageSans", "EngageSans-Bold"
PAGE = landscape(A4)
MARGIN = 14 * mm
PADDING = 3
CELL_FONT = pdf_grid.Font(FONT, 7, 8.6)
HEAD_FONT = pdf_grid.Font(BOLD, 7, 8.6)
SENSITIVE_FILL = colors.HexColor("#fde9e7")
HEADER_FILL = colors.HexColor("#eef2f7")
RED = colors.HexColor("#a4262c")
_fonts_lock = threading.Lock()


def register_fonts() -> None:
    """DejaVu Sans from matplotlib's own data: always installed with it, and it has the arrows and
    dashes the pack uses (the PDF core fonts do not)."""
    with _fonts_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        folder = Path(mpl.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=17, leading=21, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=13),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD,
            fontSize=13,
            leading=16,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
            textColor=colors.HexColor("#1f4e79"),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=7,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "text": ParagraphStyle("text", parent=base, spaceAfter=4),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"), spaceAfter=4
        ),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2),
    }


def _grid(grid: layout.Grid, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    if not grid.rows:
        return [Paragraph(escape(grid.empty), styles["note"])]
    widths = [c.width * width for c in grid.columns]
    rooms = [w - 2 * PADDING for w in widths]
    sensitive = set(grid.sensitive)
    head = pdf_grid.row([c.title for c in grid.columns], rooms, HEAD_FONT, shaded=True)
    rows = [pdf_grid.row(r, rooms, CELL_FONT, shaded=i in sensitive) for i, r in enumerate(grid.rows)]
    fills = (HEADER_FILL, SENSITIVE_FILL)
    table = pdf_grid.Grid(widths, head, rows, (HEAD_FONT, CELL_FONT), fills=fills, padding=PADDING)
    return [table, Spacer(1, 6)]


def _figure(figure: layout.Figure, styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    """Charts side by side, each with its title, scaled to share the width."""
    share = width / len(figure.charts)
    cells: list[object] = []
    for chart in figure.charts:
        scale = min(1.0, 0.96 * share / (chart.width_in * inch))
        image = Image(
            io.BytesIO(chart.png), width=chart.width_in * inch * scale, height=chart.height_in * inch * scale
        )
        image.hAlign = "LEFT"
        cells.append([Paragraph(escape(chart.title), styles["h2"]), image])
    table = Table([cells], colWidths=[share] * len(cells))
    table.setStyle(Style([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return KeepTogether([table, Spacer(1, 4)])


def render(doc: layout.Document) -> bytes:
    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN + 6 * mm,
        title=f"{doc.marking.value}: {doc.title}",
        author="engage",
        subject=doc.marking.value,
        creator="engage briefing",
        invariant=1,
        keepTogetherClass=pdf_grid.KeepWithFirstRows,
    )
    width = template.width
    sensitive = doc.marking is ProtectiveMarking.OFFICIAL_SENSITIVE

    def frame(canvas: Canvas, _: object) -> None:
        """The marking at the top and the bottom of every page, and the page number."""
        canvas.saveState()
        page_width, page_height = PAGE
        canvas.setFont(BOLD, 10)
        canvas.setFillColor(RED if sensitive else colors.black)
        canvas.drawCentredString(page_width / 2, page_height - MARGIN, doc.marking.value)
        canvas.drawCentredString(page_width / 2, MARGIN - 4 * mm, doc.marking.value)
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(MARGIN, MARGIN - 4 * mm, doc.title)
        canvas.drawRightString(page_width - MARGIN, MARGIN - 4 * mm, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    story: list[Flowable] = [
        Paragraph(escape(doc.title), styles["title"]),
        Paragraph(escape(doc.subtitle), styles["subtitle"]),
        Paragraph(f"<b>{escape(doc.marking.value)}.</b> {escape(doc.handling)}", styles["text"]),
    ]
    for block in doc.blocks:
        if isinstance(block, layout.Heading):
            story.append(Paragraph(escape(block.text), styles["h1" if block.level == 1 else "h2"]))
        elif isinstance(block, layout.Para):
            story.append(Paragraph(escape(block.text), styles["note" if block.note else "text"]))
        elif isinstance(block, layout.Bullets):
            story.extend(Paragraph(escape(item), styles["bullet"], bulletText="•") for item in block.items)
        elif isinstance(block, layout.Figure):
            story.append(_figure(block, styles, width))
        elif isinstance(block, layout.Grid):
            story.extend(_grid(block, styles, width))
        elif isinstance(block, layout.PageBreak):
            story.append(PageBreak())
    template.build(story, onFirstPage=frame, onLaterPages=frame)
    return out.getvalue()
