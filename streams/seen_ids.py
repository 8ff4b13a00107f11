"""The worker's ``seen-events`` table in about 24 bytes an event id, not about 230.

``seen-events`` maps every event id the worker has folded to the log position that first carried it
(``streams/app.py``), and is never expired: a duplicate must not count however late it comes. faust's
memory store holds it as a dict of str to list, about 227 bytes an entry in CPython, so the table
alone would take about 217 MiB at 1,000,000 events (docs/performance.md). Here an id is kept as its
128-bit BLAKE2b digest beside its position, in sorted numpy arrays; the latest ids wait in a small
dict until there are ``FLUSH_AT`` of them. Among n ids, two distinct ones share a digest with a
probability near n^2 / 2^129: about 1.5e-21 for a billion ids, so no distinct event is mistaken for
a re-sent one in practice.

The digests cannot be listed back as ids: the table is only looked up and written, never iterated.
Its changelog still holds the ids themselves, so a recovery reads the same mapping back.

The worker writes the ids a group of events claims (one neighbourhood's, in a batch) as one changelog
record (``claims_key``, ``claims_value``), not one record an id, so a message's cost in the producer
is paid once a group, not once an event. Records of one id, as written before, are still read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from faust.stores import STORES
from faust.types import TP, EventT

from streams import store as table_store

SCHEME = "engage-seen-ids"
URL = f"{SCHEME}://seen-events"
"""A table's ``store``: faust takes a URL with nothing after its scheme for no store at all."""
FLUSH_AT = 10_000
"""Ids held in the dict before they are merged into the arrays. A merge copies the arrays (24 bytes an
id held); the ids waiting take about 170 bytes each, and are among the worker's peak: 1,000,000 ids
written peaked at 35.4 MB traced with 10,000 against 45.8 MB with 50,000, in the same CPU time (a
throwaway script under tracemalloc, not a committed command; docs/performance.md, "twelfth session")."""
PARTITION_SHIFT = 48
"""A position is one int64: partition above this bit, offset below (offsets stay under 2**48)."""
GONE = -1
"""A position deleted (a tombstone in the changelog, or a partition given up)."""
CLAIMS = "claims"
"""The first item of a changelog key that holds a group's ids: a list, where an id's key is a string."""

Claim = tuple[str, int]
"""An event id and the offset that first carried it, on the partition its group was read from."""


def claims_key(partition: int, claims: Sequence[Claim]) -> list[object]:
    """The changelog key of a group's claims: unique, as no two groups claim the same first offset."""
    if not claims:
        raise ValueError("a changelog record of claims needs at least one claim")
    return [CLAIMS, partition, claims[0][1]]


def claims_value(claims: Sequence[Claim]) -> list[list[object]]:
    return [[event_id, offset] for event_id, offset in claims]


def _claims_of(key: Any, value: Any) -> tuple[int, list[Claim]] | None:
    """The partition and claims a changelog record holds, or None for a record of one id."""
    if not isinstance(key, list | tuple) or len(key) != 3 or key[0] != CLAIMS:
        return None
    partition = key[1]
    if not isinstance(partition, int) or not isinstance(value, list):
        raise ValueError(
            f"a seen-events changelog record of claims must be [{CLAIMS!r}, partition, offset] -> "
            f"[[id, offset], ...], not {key!r}: the changelog holds records this worker did not write"
        )
    return partition, [(str(event_id), int(offset)) for event_id, offset in value]


def _digest(key: str) -> tuple[int, int]:
    raw = hashlib.blake2b(key.encode(), digest_size=16).digest()
    return int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big")


def _packed(position: Any) -> int:
    partition, offset = position
    if not 0 <= offset < 1 << PARTITION_SHIFT or not 0 <= partition < 1 << 15:
        raise ValueError(f"position {position} is outside what seen-events can hold (partition, offset)")
    return int(partition) << PARTITION_SHIFT | int(offset)


def _unpacked(where: int) -> list[int]:
    return [where >> PARTITION_SHIFT, where & ((1 << PARTITION_SHIFT) - 1)]


class SeenIds(MutableMapping[str, list[int]]):
    """Event id -> ``[partition, offset]``, compactly. A later write of an id wins over an earlier one."""

    def __init__(self) -> None:
        self._recent: dict[str, int] = {}
        self._high: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._low: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._where: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)

    def _find(self, key: str) -> int:
        where = self._recent.get(key)
        if where is not None:
            return where
        high, low = _digest(key)
        index = int(np.searchsorted(self._high, np.uint64(high), side="right")) - 1
        # Equal high halves sit together in write order (the sort is stable): the last match is newest.
        while index >= 0 and int(self._high[index]) == high:
            if int(self._low[index]) == low:
                return int(self._where[index])
            index -= 1
        return GONE

    def __getitem__(self, key: str) -> list[int]:
        where = self._find(key)
        if where == GONE:
            raise KeyError(key)
        return _unpacked(where)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) != GONE

    def __setitem__(self, key: str, position: list[int]) -> None:
        self._put(key, _packed(position))

    def __delitem__(self, key: str) -> None:
        if self._find(key) == GONE:
            raise KeyError(key)
        self._put(key, GONE)

    def _put(self, key: str, where: int) -> None:
        self._recent[key] = where
        if len(self._recent) >= FLUSH_AT:
            self._flush()

    def _flush(self) -> None:
        if not self._recent:
            return
        digests = [_digest(key) for key in self._recent]
        high = np.fromiter((d[0] for d in digests), np.uint64, len(digests))
        order = np.argsort(high, kind="stable")
        high = high[order]
        low = np.fromiter((d[1] for d in digests), np.uint64, len(digests))[order]
        where = np.fromiter(self._recent.values(), np.int64, len(digests))[order]
        # Merged into the sorted arrays one array at a time, after the equal digests already there (so
        # equal high halves stay in write order): concatenating and re-sorting them all held up to ten
        # arrays of the entries at once (80 bytes an entry), in the middle of a batch; this holds four.
        at = np.searchsorted(self._high, high, side="right")
        self._high = np.insert(self._high, at, high)
        self._low = np.insert(self._low, at, low)
        self._where = np.insert(self._where, at, where)
        self._recent = {}

    def keep_partitions(self, partitions: Iterable[int]) -> None:
        """Forget every id whose position lies on a partition not in ``partitions``."""
        kept = np.fromiter(partitions, np.int64)
        self._flush()
        # By digest, each id's writes in write order (lexsort is stable): only the last one counts, so
        # an older write must go with the deletion that replaced it, or it would answer again.
        order = np.lexsort((self._low, self._high))
        high, low, where = self._high[order], self._low[order], self._where[order]
        newest = np.ones(len(where), dtype=bool)
        newest[:-1] = (high[:-1] != high[1:]) | (low[:-1] != low[1:])
        live = newest & (where != GONE) & np.isin(where >> PARTITION_SHIFT, kept)
        self._high, self._low, self._where = high[live], low[live], where[live]

    def __len__(self) -> int:
        """Entries held, a re-written or deleted id included until the next ``keep_partitions``."""
        return len(self._recent) + len(self._where)

    def __iter__(self) -> Iterator[str]:
        raise TypeError("seen-events keeps digests of event ids: it can look one up, not list them")

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


class Store(table_store.Store):
    """The project's memory store (``streams.store``) holding ``SeenIds`` instead of a dict."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.data: SeenIds = SeenIds()
        self.unsent: dict[int, list[Claim]] = {}
        """Ids claimed and not yet taken for the changelog, by partition (``claim``, ``take_claims``)."""

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        # faust's memory store also notes every recovered key's partition in a dict, to drop those of
        # partitions it gave up: that dict alone would be as large as the table was. The position
        # in each value names its partition instead (``keep_partitions``).
        for event in batch:
            if event.message.partition in self.kept:
                continue
            claimed = _claims_of(event.key, event.value) if event.message.value is not None else None
            if claimed is not None:
                partition, claims = claimed
                for event_id, offset in claims:
                    self.data[event_id] = [partition, offset]
                continue
            key = to_key(event.key)
            if event.message.value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = to_value(event.value)

    def claimed_by(self, event_id: str) -> list[int] | None:
        """The position that first carried ``event_id``, or None: the table's lookup, without faust's
        sensors and ``__missing__`` on the way."""
        return self.data.get(event_id)

    def claim(self, event_id: str, partition: int, offset: int) -> None:
        """Note ``event_id`` as first carried by ``(partition, offset)``: looked up at once, and
        taken for the changelog by ``take_claims``."""
        self.data[event_id] = [partition, offset]
        self.unsent.setdefault(partition, []).append((event_id, offset))

    def take_claims(self) -> list[tuple[int, list[object], list[list[object]]]]:
        """The ids claimed since the last call, as changelog records to send: one a partition, as
        ``(partition, key, value)``. The caller sends them with its other table writes."""
        records = [(p, claims_key(p, claims), claims_value(claims)) for p, claims in self.unsent.items()]
        self.unsent = {}
        return records

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        changelog = self.table.changelog_topic.get_topic_name()
        self.data.keep_partitions(tp.partition for tp in active_tps if tp.topic == changelog)


STORES.aliases[SCHEME] = f"{__name__}:Store"
