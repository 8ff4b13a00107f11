"""The pack as one self-contained HTML file: styles inline, charts as inline SVG, no scripts, no links out.

The protective marking sits in a banner at the top and the bottom of the screen, and of every printed
page (fixed elements repeat on each page when a browser prints).
"""

from __future__ import annotations

from html import escape

from events import ProtectiveMarking
from projections.briefing.layout import Block, Bullets, Document, Figure, Grid, Heading, PageBreak, Para

_CSS = """
@page { size: A4 landscape; margin: 18mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111; margin: 0 auto;
       max-width: 1200px; padding: 3em 1.5em; }
.marking { position: fixed; left: 0; right: 0; text-align: center; font-weight: bold; letter-spacing: .08em;
           padding: .25em; background: #fff; border: 2px solid #111; z-index: 10; }
.marking.top { top: 0; } .marking.bottom { bottom: 0; }
.marking.sensitive { background: #fde9e7; border-color: #a4262c; color: #a4262c; }
h1 { font-size: 1.35em; border-bottom: 2px solid #1f4e79; padding-bottom: .2em; margin-top: 1.6em; }
h2 { font-size: 1.1em; margin-top: 1.2em; }
.title { font-size: 1.7em; margin: .4em 0 .2em; border: 0; }
.subtitle { color: #333; margin: 0 0 .4em; } .handling { font-style: italic; margin: 0 0 1em; }
.note { font-size: .85em; color: #444; }
nav ol { columns: 2; font-size: .9em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .85em; table-layout: fixed; }
th, td { border-bottom: 1px solid #ccc; padding: .25em .35em; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eef2f7; } thead { display: table-header-group; }
tr.sensitive td { background: #fde9e7; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
figure { margin: 1em 0; flex: 1 1 420px; } figure svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; font-size: .9em; }
.break { break-after: page; }
"""


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        tag = "h1" if block.level == 1 else "h2"
        return f'<{tag} id="{escape(block.anchor)}">{escape(block.text)}</{tag}>'
    if isinstance(block, Para):
        return f'<p class="{"note" if block.note else "text"}">{escape(block.text)}</p>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Figure):
        return (
            '<div class="figures">'
            + "".join(
                f'<figure role="img" aria-label="{escape(chart.alt)}">'
                f"<figcaption>{escape(chart.title)}</figcaption>{chart.svg}</figure>"
                for chart in block.charts
            )
            + "</div>"
        )
    if isinstance(block, Grid):
        return _grid(block)
    if isinstance(block, PageBreak):
        return '<div class="break"></div>'
    raise TypeError(f"no HTML for {type(block).__name__}; add it to projections/briefing/html.py")


def _grid(grid: Grid) -> str:
    if not grid.rows:
        return f'<p class="note">{escape(grid.empty)}</p>'
    total = sum(c.width for c in grid.columns)
    cols = "".join(f'<col style="width:{c.width / total * 100:.1f}%">' for c in grid.columns)
    head = "".join(f"<th>{escape(c.title)}</th>" for c in grid.columns)
    sensitive = set(grid.sensitive)
    body = "".join(
        ('<tr class="sensitive">' if i in sensitive else "<tr>")
        + "".join(f"<td>{escape(cell)}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(grid.rows)
    )
    width = min(100.0, sum(c.width for c in grid.columns) * 100)
    return (
        f'<table style="width:{width:.0f}%"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def render(doc: Document) -> str:
    marking = escape(doc.marking.value)
    kind = "marking sensitive" if doc.marking is ProtectiveMarking.OFFICIAL_SENSITIVE else "marking"
    contents = "".join(
        f'<li><a href="#{escape(b.anchor)}">{escape(b.text)}</a></li>'
        for b in doc.blocks
        if isinstance(b, Heading) and b.level == 1
    )
    body = "\n".join(_block(b) for b in doc.blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="protective-marking" content="{marking}">\n'
        f"<title>{marking}: {escape(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<div class="{kind} top">{marking}</div>\n'
        f'<h1 class="title">{escape(doc.title)}</h1>\n'
        f'<p class="subtitle">{escape(doc.subtitle)}</p>\n'
        f'<p class="handling">{marking}. {escape(doc.handling)}</p>\n'
        f"<nav><ol>{contents}</ol></nav>\n"
        f"{body}\n"
        f'<div class="{kind} bottom">{marking}</div>\n'
        "</body>\n</html>\n"
    )
