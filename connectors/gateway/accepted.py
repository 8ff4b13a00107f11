"""The event ids the gateway accepted lately, kept on disk so that its answers survive a restart.

Only for the partner's answer (``duplicate`` rather than ``accepted``): the projections drop a repeated
event id on their own. The memory is bounded: the ``limit`` most recently accepted ids are kept and the
oldest forgotten, so a record re-sent after that many others is answered ``accepted`` and published again,
which changes no count downstream.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from engage.errors import ConfigurationError


class AcceptedIds:
    def __init__(self, path: Path, limit: int) -> None:
        self._limit = limit
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection shared by the server's threads; the lock serialises them.
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("pragma journal_mode = wal")
            self._db.execute(
                "create table if not exists accepted ("
                " seq integer primary key autoincrement, event_id text not null unique)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot keep the gateway's accepted ids in {path}: {exc}; check ENGAGE_VAR_DIR"
            ) from exc
        self._lock = threading.Lock()

    def __contains__(self, event_id: object) -> bool:
        with self._lock:
            row = self._db.execute("select 1 from accepted where event_id = ?", (event_id,)).fetchone()
        return row is not None

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("select count(*) from accepted").fetchone()
        return int(count)

    def add(self, event_ids: Iterable[str]) -> None:
        """Remember ids once their events are on the broker; forget the oldest past the limit."""
        with self._lock:
            self._db.execute("begin")
            try:
                self._db.executemany(
                    "insert or ignore into accepted (event_id) values (?)", ((i,) for i in event_ids)
                )
                self._db.execute(
                    "delete from accepted where seq <= (select max(seq) from accepted) - ?", (self._limit,)
                )
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
