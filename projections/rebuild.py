"""``engage rebuild``: every projection recomputed from the retained event log, then swapped in.

The log is read from its start to the end offsets it had when the rebuild began, partition by
partition, and folded by the same pure functions the worker calls (``projections.neighbourhood``,
``projections.activity``). The results go into twin tables (suffix ``__rebuild``) and replace the
live ones in one transaction, taken while the sink is between two writes; the sink then carries on
from where it was, and its version checks keep an older view from replacing a rebuilt one.

A large log is folded by several processes (``rebuild_processes``, ``rebuild_parallel_from``), each
given whole partitions: a neighbourhood's events are all on one partition, so each process folds whole
neighbourhoods, and the process that owns the database writes their views as they come. Should two
processes have folded the same event id (one record placed in two neighbourhoods, so on two
partitions), the log is folded again in one process, in partition order, which keeps the copy a fold
in one process keeps.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import structlog
from kafka import TopicPartition
from pydantic import ValidationError
from tqdm import tqdm

from engage import event_log, kafka_admin
from engage.errors import EngageError
from engage.settings import Settings, relax_cycle_collector
from events import Envelope, topics
from events.codec import UndecodableEvent, decode_envelope
from projections import erasure, neighbourhood, read_models, store
from projections.activity import ActivityRow, evolve_at, row_key
from projections.neighbourhood import HistoryErased, NeighbourhoodState, NeighbourhoodView

log = structlog.get_logger(__name__)

SUFFIX = "__rebuild"
WRITE_BATCH = 20_000
"""Views written in one transaction."""
VIEWS_SENT_AT_ONCE = 2_000
"""Views a folding process sends at a time: the writer takes them as they come, so neither process
holds a long history's views at once."""
PROGRESS_EVERY = 20_000
"""Events read between two reports to the progress bar."""


@dataclass
class RebuildSummary:
    events_read: int = 0
    distinct_events: int = 0
    undecodable: int = 0
    views_written: int = 0
    activity_rows: int = 0
    neighbourhoods: int = 0
    withdrawals: int = 0
    """Tombstones met, each folding its neighbourhood again from the log before it."""
    end_offsets: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "events_read": self.events_read,
            "distinct_events": self.distinct_events,
            "undecodable": self.undecodable,
            "views_written": self.views_written,
            "activity_rows": self.activity_rows,
            "neighbourhoods": self.neighbourhoods,
            "withdrawals": self.withdrawals,
            "end_offsets": {str(p): o for p, o in sorted(self.end_offsets.items())},
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.events_read / self.seconds) if self.seconds else None,
        }


def log_events(
    settings: Settings, ends: Mapping[int, int], summary: RebuildSummary
) -> Iterator[tuple[int, int, Envelope]]:
    """``(partition, offset, event)`` for the partitions of ``ends``, from their start to their end
    offset there, partition by partition."""
    consumer = event_log.log_reader(settings, "engage-rebuild")
    try:
        for partition, end in sorted(ends.items()):
            if end == 0:
                continue
            tp = TopicPartition(topics.EVENTS, partition)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            done = False
            while not done:
                for messages in consumer.poll(timeout_ms=1000).values():
                    for message in messages:
                        if message.offset >= end:
                            done = True
                            break
                        summary.events_read += 1
                        try:
                            yield tp.partition, message.offset, decode_envelope(message.value)
                        except (UndecodableEvent, ValidationError):
                            # The worker's codec rejects the same bytes, so neither side folds them.
                            summary.undecodable += 1
                        done = message.offset + 1 >= end
                        if done:
                            break
    finally:
        consumer.close()


@dataclass
class LogFold:
    """Folds partitions of the log, in order, by the worker's own functions: the views they give
    (``views``), and the activity rows and counts once they are read (the imperative shell around
    ``neighbourhood.replay`` and ``activity.evolve_at``)."""

    settings: Settings
    summary: RebuildSummary = field(default_factory=RebuildSummary)
    progress: Callable[[int], None] = lambda read: None
    """Told every ``PROGRESS_EVERY`` events read, with that number."""
    rows: dict[str, ActivityRow] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def views(self, ends: Mapping[int, int]) -> Iterator[NeighbourhoodView | HistoryErased]:
        return self.fold(log_events(self.settings, ends, self.summary))

    def fold(
        self, positioned: Iterable[tuple[int, int, Envelope]]
    ) -> Iterator[NeighbourhoodView | HistoryErased]:
        """The views of ``(partition, offset, event)`` in log order, already decoded (``views`` reads
        them from Kafka)."""
        return neighbourhood.replay(self._distinct(positioned), withdraw=self._withdraw)

    def _distinct(self, positioned: Iterable[tuple[int, int, Envelope]]) -> Iterator[Envelope]:
        reported = self.summary.events_read
        for partition, offset, event in positioned:
            if self.summary.events_read - reported >= PROGRESS_EVERY:
                self.progress(self.summary.events_read - reported)
                reported = self.summary.events_read
            if event.event_id in self.seen:
                continue
            self.seen.add(event.event_id)
            if erasure.is_tombstone(event):
                self.positions[event.event_id] = (partition, offset)
            elif event.event_id not in self.withdrawn:
                key = row_key(event.neighbourhood_id, event.channel)
                self.rows[key] = evolve_at(self.rows.get(key), event, partition, offset)
            yield event
        self.progress(self.summary.events_read - reported)

    def _withdraw(
        self, tombstone: Envelope, state: NeighbourhoodState | None
    ) -> tuple[NeighbourhoodState, tuple[HistoryErased | NeighbourhoodView, ...]]:
        # The same fold again as the live worker's, from the same part of the log.
        partition, offset = self.positions.pop(tombstone.event_id)
        history = event_log.neighbourhood_log(self.settings, partition, tombstone.neighbourhood_id, offset)
        again = erasure.refold(tombstone, state, history, partition, offset, committed=offset)
        self.rows.update({key: tracked.row for key, tracked in again.activity.items()})
        self.withdrawn.update(again.state.withdrawn)
        self.summary.withdrawals += 1
        return again.state, again.announced()


@dataclass(frozen=True)
class FoldedElsewhere:
    """What a folding process sends last: its counts, its activity rows, and a digest of each event id
    it folded (to find an id that two processes both folded)."""

    events_read: int
    undecodable: int
    withdrawals: int
    rows: dict[str, ActivityRow]
    digests: npt.NDArray[np.uint64]


def id_digests(ids: Iterable[str]) -> npt.NDArray[np.uint64]:
    """A 64-bit digest of each id. Two ids that share one only make a rebuild fold in one process."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "big") for i in ids),
        dtype=np.uint64,
    )


def shared_ids(digests: Sequence[npt.NDArray[np.uint64]]) -> int:
    """How many digests occur in more than one of ``digests`` (each is of distinct ids)."""
    joined = np.concatenate(digests) if digests else np.empty(0, dtype=np.uint64)
    return int(joined.size - np.unique(joined).size)


def shares(ends: Mapping[int, int], processes: int) -> list[dict[int, int]]:
    """The partitions with events dealt to at most ``processes`` folding processes, largest first, each
    to the process with the fewest events so far."""
    loads: list[tuple[int, dict[int, int]]] = []
    for partition, end in sorted(ends.items(), key=lambda pe: (-pe[1], pe[0])):
        if end <= 0:
            continue
        if len(loads) < processes:
            loads.append((end, {partition: end}))
            continue
        lightest = min(range(len(loads)), key=lambda i: loads[i][0])
        total, share = loads[lightest]
        share[partition] = end
        loads[lightest] = (total + end, share)
    return [share for _, share in loads]


def fold_elsewhere(settings: Settings, ends: dict[int, int], out: Any, writer: int) -> None:
    """A folding process: folds the partitions of ``ends`` and sends ``("read", n)``, ``("views",
    [...])``, then ``("done", FoldedElsewhere)`` or ``("failed", why)`` to the queue ``out``, read by
    the process ``writer``."""
    relax_cycle_collector(settings)

    def report(read: int) -> None:
        if os.getppid() != writer:
            # The writer was killed (a daemon process outlives a kill -9): nobody reads the queue.
            os._exit(1)
        out.put(("read", read))

    try:
        fold = LogFold(settings, progress=report)
        views = fold.views(ends)
        while chunk := list(islice(views, VIEWS_SENT_AT_ONCE)):
            out.put(("views", chunk))
        summary = fold.summary
        digests = id_digests(fold.seen)
        out.put(
            (
                "done",
                FoldedElsewhere(
                    summary.events_read, summary.undecodable, summary.withdrawals, fold.rows, digests
                ),
            )
        )
    except BaseException as exc:
        out.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


class RebuildFailed(EngageError):
    """A process folding part of the log for a rebuild failed or died."""

    retryable = True


def _fold_in_processes(
    settings: Settings,
    groups: list[dict[int, int]],
    write: Callable[[list[NeighbourhoodView | HistoryErased]], None],
) -> list[FoldedElsewhere]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    folders = [
        context.Process(target=fold_elsewhere, args=(settings, g, out, os.getpid()), daemon=True)
        for g in groups
    ]
    for folder in folders:
        folder.start()
    done: list[FoldedElsewhere] = []
    try:
        with tqdm(desc="rebuild", unit="event", disable=None) as bar:
            while len(done) < len(folders):
                try:
                    kind, payload = out.get(timeout=1.0)
                except queue.Empty:
                    dead = [f.exitcode for f in folders if f.exitcode is not None and f.exitcode != 0]
                    if dead:
                        raise RebuildFailed(
                            f"a process folding the log exited {dead[0]} (out of memory?); the live tables "
                            "are untouched: check the service's log, then rebuild again"
                        ) from None
                    continue
                if kind == "read":
                    bar.update(payload)
                elif kind == "views":
                    write(payload)
                elif kind == "done":
                    done.append(payload)
                else:
                    raise RebuildFailed(
                        f"a process folding the log failed ({payload}); the live tables are untouched: "
                        "fix the cause, then rebuild again"
                    )
    finally:
        for folder in folders:
            if folder.is_alive() and len(done) < len(folders):
                folder.terminate()
            folder.join()
    return done


def _fresh_twins(con: duckdb.DuckDBPyConnection) -> None:
    for table in (*read_models.TABLES, "activity_current"):
        con.execute(f"drop table if exists {table}{SUFFIX}")
    con.execute(read_models.ddl(SUFFIX))
    con.execute(store.ACTIVITY_DDL.format(table=f"activity_current{SUFFIX}"))


def rebuild(settings: Settings, con: duckdb.DuckDBPyConnection, lock: threading.Lock) -> RebuildSummary:
    """Recompute every projection into twin tables and swap them in; ``lock`` is the sink's."""
    started = time.perf_counter()
    summary = RebuildSummary(end_offsets=kafka_admin.end_offsets(settings, topics.EVENTS))
    _fresh_twins(con)
    pending: list[NeighbourhoodView | HistoryErased] = []

    def write(views: Iterable[NeighbourhoodView | HistoryErased]) -> None:
        pending.extend(views)
        if len(pending) >= WRITE_BATCH:
            summary.views_written += read_models.write_views(con, pending, suffix=SUFFIX)
            pending.clear()

    processes = settings.rebuild_processes or len(os.sched_getaffinity(0))
    groups = shares(summary.end_offsets, processes)
    rows: dict[str, ActivityRow] | None = None
    folded_by = 1
    if len(groups) > 1 and sum(summary.end_offsets.values()) >= settings.rebuild_parallel_from:
        done = _fold_in_processes(settings, groups, write)
        shared = shared_ids([d.digests for d in done])
        if shared:
            # An id on two partitions (one record placed in two neighbourhoods): the live worker keeps
            # the copy it read first, and so does a fold of the partitions in order, in one process.
            log.warning("rebuild_folding_again_in_one_process", ids_on_two_partitions=shared)
            _fresh_twins(con)
            pending.clear()
            summary.views_written = 0
        else:
            rows, folded_by = {}, len(done)
            for d in done:
                summary.events_read += d.events_read
                summary.undecodable += d.undecodable
                summary.withdrawals += d.withdrawals
                summary.distinct_events += d.digests.size
                rows.update(d.rows)
    if rows is None:
        fold = LogFold(settings, summary)
        with tqdm(desc="rebuild", unit="event", disable=None) as bar:

            def advance(read: int) -> None:
                bar.update(read)

            fold.progress = advance
            for view in fold.views(summary.end_offsets):
                write((view,))
        summary.distinct_events = len(fold.seen)
        rows = fold.rows
    if pending:
        summary.views_written += read_models.write_views(con, pending, suffix=SUFFIX)
    summary.activity_rows = store.write_activity(
        con, rows.values(), topics.EVENTS, {}, table=f"activity_current{SUFFIX}"
    )
    summary.neighbourhoods = len({r.neighbourhood_id for r in rows.values()})
    with lock:
        read_models.swap_in(con, SUFFIX, f"activity_current{SUFFIX}")
    con.execute(f"drop table if exists tension_alerts{SUFFIX}")
    summary.seconds = time.perf_counter() - started
    log.info("rebuilt", processes=folded_by, **summary.as_dict())
    return summary
