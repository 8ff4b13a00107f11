"""Maps of many small entries inside a state, held as columns: what a big state is mostly made of.

A neighbourhood's state keeps one entry per pseudonymous voice (``projections.priority``) and per
unsealed tension indicator (``projections.tension``). In a busy feed they are most of its bytes, and
reading a state back built a named tuple, a datetime and a dict slot for each of them: parsing and
encoding states was a third of the worker's time at 600,000 events (docs/performance.md). A ``Book``
holds one list per field, times as integer microseconds since the epoch, so pydantic reads and
writes a state as a few lists of plain values; an entry is built only when the fold looks it up.

A book is immutable: ``with_entry`` gives a new one. It reads its JSON as columns, and also as the
map of entries that states were stored as before (``{key: entry}``), so a worker started on an older
changelog reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, Self, TypeVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

E = TypeVar("E")


def span_micros(span: timedelta) -> int:
    """``span`` as whole microseconds (exact: timedeltas hold microseconds)."""
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def to_micros(when: datetime) -> int:
    """``when`` as whole microseconds since the epoch."""
    return span_micros(when - EPOCH)


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class UnevenColumns(ValueError):
    def __init__(self, book: str, lengths: dict[str, int]) -> None:
        super().__init__(
            f"a stored {book} has columns of different lengths {lengths}: the state is damaged; "
            "rebuild the projections from the log (`engage rebuild`)"
        )


class Book(Mapping[str, E], Generic[E]):
    """An immutable map from a key to an entry, held as one list per field of the entries.

    A subclass names its columns and their item types (``COLUMNS``, in the order ``row`` gives them),
    the entry type of the older map form (``ENTRY``), and how an entry is made from and taken to a
    row of column values.

    A book is its lists' first ``len(book)`` items. Adding a key appends to the lists in place when no
    other book has appended to them (the fold takes each state from the one before, so it nearly
    always may), and the new book shares them: adding costs the same whatever the size. Replacing an
    entry copies the columns and shares the keys.
    """

    COLUMNS: ClassVar[dict[str, Any]]
    ENTRY: ClassVar[Any]

    __slots__ = ("_columns", "_index", "_keys", "_n")

    def __init__(
        self,
        keys: list[str] | None = None,
        columns: tuple[list[Any], ...] | None = None,
        index: dict[str, int] | None = None,
        n: int | None = None,
    ) -> None:
        self._keys = [] if keys is None else keys
        self._columns = tuple([] for _ in self.COLUMNS) if columns is None else columns
        self._n = len(self._keys) if n is None else n
        if len(self._columns) != len(self.COLUMNS) or any(len(c) < self._n for c in self._columns):
            lengths = {"keys": len(self._keys)}
            lengths.update(zip(self.COLUMNS, map(len, self._columns), strict=False))
            raise UnevenColumns(type(self).__name__, lengths)
        self._index = index
        """Key to row for at least the first ``n`` keys (rows past ``n`` are another book's), built
        at the first lookup and shared by the books made from this one."""

    # What a subclass gives.
    @staticmethod
    def entry(row: Sequence[Any]) -> E:
        raise NotImplementedError

    @staticmethod
    def row(entry: E) -> tuple[Any, ...]:
        raise NotImplementedError

    # The map.
    def _lookup(self) -> dict[str, int]:
        if self._index is None:
            self._index = dict(zip(self._mine(self._keys), range(self._n), strict=True))
        return self._index

    def _row_of(self, key: object) -> int | None:
        i = self._lookup().get(key)  # type: ignore[call-overload]  # any object may be asked for
        return i if i is not None and i < self._n else None

    def __getitem__(self, key: str) -> E:
        i = self._row_of(key)
        if i is None:
            raise KeyError(key)
        return self.entry([column[i] for column in self._columns])

    def __contains__(self, key: object) -> bool:
        return self._row_of(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys[: self._n])

    def __len__(self) -> int:
        return self._n

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Book):
            return type(other) is type(self) and self._rows() == other._rows()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # like a dict: not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"

    def _rows(self) -> dict[str, tuple[Any, ...]]:
        n = self._n
        return dict(zip(self._keys[:n], zip(*(c[:n] for c in self._columns), strict=True), strict=True))

    def _mine(self, items: list[Any]) -> list[Any]:
        """The book's part of a list it may share with longer books."""
        return items if len(items) == self._n else items[: self._n]

    def column(self, name: str) -> Sequence[Any]:
        """One column, in key order (``keys()``): read it, never change it."""
        return self._mine(self._columns[list(self.COLUMNS).index(name)])

    def with_entry(self, key: str, entry: E) -> Self:
        """The book with ``entry`` under ``key``, in place of any entry it had there."""
        n, values = self._n, self.row(entry)
        at = self._row_of(key)
        if at is not None:
            columns = tuple(column[:n] for column in self._columns)
            for column, value in zip(columns, values, strict=True):
                column[at] = value
            return type(self)(self._keys, columns, self._index, n)
        index = self._lookup()
        if len(self._keys) != n or any(len(c) != n for c in self._columns):
            # Another book appended to these lists already: this one continues a copy.
            keys, columns = self._keys[:n], tuple(column[:n] for column in self._columns)
            index = {k: i for i, k in enumerate(keys)}
        else:
            keys, columns = self._keys, self._columns
        keys.append(key)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        index[key] = n
        return type(self)(keys, columns, index, n + 1)

    def where(self, keep: Callable[[int], bool]) -> Self:
        """The entries whose row number passes ``keep`` (same order)."""
        rows = [i for i in range(self._n) if keep(i)]
        if len(rows) == self._n:
            return self
        return type(self)([self._keys[i] for i in rows], tuple([c[i] for i in rows] for c in self._columns))

    @classmethod
    def of(cls, entries: Mapping[str, E]) -> Self:
        rows = [cls.row(entry) for entry in entries.values()]
        columns = tuple(list(column) for column in zip(*rows, strict=True)) if rows else None
        return cls(list(entries), columns)

    # Its JSON: {"keys": [...], column: [...], ...}.
    def _as_columns(self) -> dict[str, list[Any]]:
        mine = self._mine
        return {
            "keys": mine(self._keys),
            **{k: mine(c) for k, c in zip(self.COLUMNS, self._columns, strict=True)},
        }

    @classmethod
    def _from_columns(cls, value: dict[str, list[Any]]) -> Self:
        book = cls(value["keys"], tuple(value[name] for name in cls.COLUMNS))
        if any(len(c) != book._n for c in book._columns):
            lengths = {name: len(items) for name, items in value.items()}
            raise UnevenColumns(cls.__name__, lengths)
        return book

    @classmethod
    def _older_schema(cls, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """How states stored before the columns held the book: ``{key: entry}``."""
        return core_schema.no_info_after_validator_function(
            cls.of,
            handler.generate_schema(dict[str, cls.ENTRY]),  # type: ignore[name-defined]
        )

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        fields = {"keys": core_schema.typed_dict_field(handler.generate_schema(list[str]))}
        for name, item in cls.COLUMNS.items():
            fields[name] = core_schema.typed_dict_field(handler.generate_schema(list[item]))  # type: ignore[valid-type]
        columns = core_schema.typed_dict_schema(fields, extra_behavior="forbid")
        return core_schema.union_schema(
            [
                core_schema.no_info_after_validator_function(cls._from_columns, columns),
                core_schema.is_instance_schema(cls),
                cls._older_schema(handler),
            ],
            mode="left_to_right",
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._as_columns, return_schema=columns
            ),
        )
