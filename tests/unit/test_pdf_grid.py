"""The pack's grids drawn straight onto the PDF: text kept whole and in its column, rows split across
pages without loss or repetition, the header on every page."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from events import ProtectiveMarking
from projections.briefing import layout, pdf, pdf_grid

FONT = pdf.CELL_FONT

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-→", min_size=1, max_size=40)
texts = st.lists(words, max_size=30).map(" ".join)


def _width(line: str) -> float:
    return stringWidth(line, FONT.name, FONT.size)


@given(text=texts, room=st.floats(min_value=8, max_value=400))
def test_lines_fit_their_column_and_keep_every_character(text: str, room: float) -> None:
    pdf.register_fonts()
    lines = pdf_grid.lines_of(text, FONT, room)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        # only a single character wider than the column may overrun it
        assert _width(line) <= room + 1e-6 or len(line) == 1, (line, room)


def test_a_line_that_fits_is_kept_as_it_is() -> None:
    pdf.register_fonts()
    assert pdf_grid.lines_of("Synthetic 00477", FONT, 200) == ("Synthetic 00477",)
    assert len(pdf_grid.lines_of("Synthetic 00477 " * 10, FONT, 60)) > 3


def _document(rows: int) -> layout.Document:
    grid = layout.Grid(
        columns=(layout.Column(title="Row number", width=0.2), layout.Column(title="Detail", width=0.8)),
        rows=tuple((f"row-{i:04d}", "word " * (i % 40)) for i in range(rows)),
        sensitive=tuple(range(0, rows, 7)),
    )
    return layout.Document(
        title="Grid test",
        subtitle="rows over many pages",
        marking=ProtectiveMarking.OFFICIAL_SENSITIVE,
        handling="test only",
        blocks=(layout.Heading(text="Rows", level=1, anchor="rows"), grid),
    )


def test_a_long_grid_splits_across_pages_with_every_row_once_and_the_header_on_each() -> None:
    reader = PdfReader(io.BytesIO(pdf.render(_document(600))))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 5
    found = re.findall(r"row-\d{4}", "\n".join(pages))
    assert found == [f"row-{i:04d}" for i in range(600)]
    for number, text in enumerate(pages, start=1):
        assert "Row number" in text and "Detail" in text, f"page {number} lacks the header"
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the marking"


def test_the_same_grid_draws_the_same_bytes() -> None:
    assert pdf.render(_document(120)) == pdf.render(_document(120))
