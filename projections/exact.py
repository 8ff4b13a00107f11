"""Exact integer sums inside the models' states, and how they go to JSON."""

from __future__ import annotations

import functools
import hashlib
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer


def _from_json(value: object) -> object:
    return int(value) if isinstance(value, str) else value


ExactUnits = Annotated[int, BeforeValidator(_from_json), PlainSerializer(str, return_type=str)]
"""An exact sum that passes 2**64: written to JSON as a decimal string, because many JSON readers
(orjson, JavaScript, the peer benchmark's state store) stop at 64-bit integers. The folds keep their
sums as integers in fixed units so that a sum does not depend on the order of its terms, and the live
fold and a rebuild give the same bits."""


@functools.cache
def basis(*parts: float | str | tuple[float | str, ...]) -> str:
    """A short digest naming the parameters a state's sums were kept for.

    Asked for at every event and every reading, so hashed once per set of parts. Give the parts in a
    fixed order (a set sorted first): the digest is stored in states and compared across processes.
    """
    return hashlib.blake2b("|".join(map(repr, parts)).encode(), digest_size=8).hexdigest()
