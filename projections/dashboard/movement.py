"""How a priority's rank moved between two times. Pure."""

from __future__ import annotations

from typing import Literal

from events import Frozen

Kind = Literal["up", "down", "same", "new"]


class Movement(Frozen):
    kind: Kind
    places: int
    """How many places it moved (0 for ``same`` and ``new``)."""
    symbol: str
    """What the page shows: an arrow and the places, or ``new``."""
    label: str
    """What a screen reader says."""


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def movement(rank_now: int, rank_before: int | None, days: int = 14) -> Movement:
    """Rank 1 is the top: a smaller rank now than before is a move up."""
    if rank_now < 1 or (rank_before is not None and rank_before < 1):
        raise ValueError(f"ranks start at 1, not {rank_now} and {rank_before}")
    if rank_before is None:
        return Movement(kind="new", places=0, symbol="new", label=f"new: not ranked {days} days before")
    places = abs(rank_before - rank_now)
    noun = "place" if places == 1 else "places"
    was = f"{ordinal(rank_before)} {days} days before"
    if rank_now < rank_before:
        return Movement(
            kind="up", places=places, symbol=f"\u2191{places}", label=f"up {places} {noun}, {was}"
        )
    if rank_now > rank_before:
        return Movement(
            kind="down", places=places, symbol=f"\u2193{places}", label=f"down {places} {noun}, {was}"
        )
    return Movement(kind="same", places=0, symbol="=", label=f"no change, also {was}")
