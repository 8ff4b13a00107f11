"""CSV answers of the read-side API as aligned text tables, for a terminal."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Column:
    source: str
    """The CSV column it shows."""
    title: str
    show: Callable[[str], str] = str
    right: bool = False
    """Numbers are aligned on the right."""


def decimals(places: int) -> Callable[[str], str]:
    def show(value: str) -> str:
        try:
            return f"{float(value):.{places}f}"
        except ValueError:
            return value

    return show


def listed(value: str) -> str:
    """A JSON list cell as comma-separated words."""
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return value
    return ", ".join(str(i) for i in items) if isinstance(items, list) else value


def counted(value: str) -> str:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return value
    return str(len(items)) if isinstance(items, list) else value


def moment(value: str) -> str:
    """A timestamp to the minute, in UTC."""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def render(text: str, columns: Sequence[Column]) -> str:
    """The chosen columns of a CSV answer, aligned; columns the answer lacks are left out."""
    rows = list(csv.DictReader(io.StringIO(text)))
    present = [c for c in columns if rows and c.source in rows[0]]
    if not rows:
        return "(no rows)\n"
    cells = [[c.show(row.get(c.source) or "") for c in present] for row in rows]
    widths = [max(len(c.title), *(len(r[i]) for r in cells)) for i, c in enumerate(present)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if c.right else v.ljust(w) for v, w, c in zip(values, widths, present, strict=True)
        ).rstrip()

    out = [line([c.title for c in present]), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out) + "\n"


PRIORITIES = (
    Column("name", "neighbourhood"),
    Column("rank", "rank", right=True),
    Column("theme", "theme"),
    Column("score", "score", decimals(3), right=True),
    Column("voices", "voices", right=True),
    Column("channels", "heard on", listed),
    Column("recorded_crimes", "crimes", right=True),
    Column("agreed", "agreed"),
)
TENSION = (
    Column("name", "neighbourhood"),
    Column("neighbourhood_id", "id"),
    Column("level", "level", right=True),
    Column("label", "label"),
    Column("modelled_level", "modelled", right=True),
    Column("since", "since", moment),
    Column("cause", "cause"),
    Column("evidence_ids", "evidence", counted, right=True),
    Column("assessed_by", "assessed by"),
)
