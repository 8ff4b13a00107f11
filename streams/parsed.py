"""The worker's tables, held parsed: a value this process wrote is read back without parsing it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from typing import Generic, TypeVar

from pydantic import BaseModel

from events.codec import encode

Model = TypeVar("Model", bound=BaseModel)


class ParsedTable(Generic[Model]):
    """A faust table of one model's bytes (its JSON, or ``write``'s packing of it), read back without
    parsing what this process wrote.

    Parsing a neighbourhood's state cost more than folding a batch into it (0.9 ms against 0.1 ms
    per event, ``docs/performance.md``), so the values last written are kept parsed beside the bytes.
    A parsed value is used only while the table still holds those very bytes: a value recovered from
    the changelog after a rebalance is a new object, and is parsed again.

    The most recently used values are held while their stored bytes sum to at most ``budget``. A
    bound in bytes, not in values: a parsed state takes about twenty times its packed bytes, and
    states grow with the people heard, so a count of states held let the cache grow five-fold
    between 200,000 and 1,000,000 benchmark events (``benchmarks.state_growth``,
    docs/performance.md). A value larger than the whole budget is not held.
    """

    def __init__(
        self,
        table: MutableMapping[str, bytes],
        parse: Callable[[bytes], Model],
        budget: int,
        write: Callable[[Model], bytes] = encode,
    ) -> None:
        self._table = table
        self._parse = parse
        self._write = write
        self._budget = budget
        self._held_bytes = 0
        self._parsed: OrderedDict[str, tuple[bytes, Model]] = OrderedDict()

    def get(self, key: str) -> Model | None:
        stored = self._table.get(key)
        if stored is None:
            return None
        held = self._parsed.get(key)
        if held is not None and held[0] is stored:
            self._parsed.move_to_end(key)
            return held[1]
        value = self._parse(stored)
        self._hold(key, stored, value)
        return value

    def put(self, key: str, value: Model) -> bytes:
        """Write ``value`` to the table; returns its bytes, which the caller writes to the changelog
        (the worker holds a table's store here, and sends its changelog records itself)."""
        blob = self._write(value)
        self._table[key] = blob
        self._hold(key, blob, value)
        return blob

    def _hold(self, key: str, blob: bytes, value: Model) -> None:
        replaced = self._parsed.pop(key, None)
        if replaced is not None:
            self._held_bytes -= len(replaced[0])
        if len(blob) > self._budget:
            return
        self._parsed[key] = (blob, value)
        self._held_bytes += len(blob)
        while self._held_bytes > self._budget:
            _, (evicted, _) = self._parsed.popitem(last=False)
            self._held_bytes -= len(evicted)
