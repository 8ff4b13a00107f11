"""The Faust worker: folds the events topic into the projections' tables and emits their rows.

Delivery is at-least-once; exactly-once effects come from the data:
- each table value keeps the log positions it has applied (``admit`` in ``projections/activity.py``),
  so a redelivery after a crash, or a message read again after faust skipped it, is applied once;
- ``seen-events`` maps an event id to the position that first carried it, so a re-sent record (same
  id, new position) is dropped, while a redelivery of that first position is not mistaken for one
  (held as digests, and written to its changelog as one record for a group's ids,
  ``streams/seen_ids.py``);
- rows and views carry absolute state and a version, so the sink can take the same one twice.

Events are folded in batches (``streams/batches.py``), one neighbourhood's events at a time: each
touched value is read once and written once per batch, and a batch's events are acknowledged only
once the broker has answered every table write and send of it, so a committed offset always has its
effects in the changelogs and the projection topics. An exception inside a batch, a refused write or
one not answered within ``worker_delivery_limit_s`` stops the process at once, before the batch is
acknowledged; the supervisor starts a new worker.

Each partition is folded in log order: a batch that would fold an offset before an earlier one of its
partition had been folded is not folded, and the worker stops (``streams/fold_order.py``). A timer
stops it too when a partition's commits have stalled (see ``streams/stalls.py``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any, cast

import faust
import structlog
from faust.types import TP, EventT

from engage import event_log
from engage.settings import Settings
from events import Envelope, topics
from events.codec import UndecodableEvent, decode_envelope, encode
from projections import erasure, neighbourhood
from projections.activity import TrackedRow, row_key
from projections.activity import apply_at as apply_activity
from projections.neighbourhood import NeighbourhoodState
from streams import batches, packed, seen_ids, transport
from streams import store as table_store
from streams.fold_order import FoldOrder, Gap
from streams.parsed import ParsedTable
from streams.stalls import STALL_EXIT_CODE, StallDetector
from streams.unanswered import Unanswered

log = structlog.get_logger(__name__)

CRASH_EXIT_CODE = 70

Read = tuple[EventT[Any], Envelope]
"""An event as faust delivered it (its log position, and what its writes are filed under) and as decoded."""

Send = tuple[str, bytes | None, bytes, int | None]
"""A message for the producer: topic, key, value, and its partition (None: by its key)."""


def by_neighbourhood(batch: Sequence[EventT[Any]]) -> list[list[EventT[Any]]]:
    """The batch's records by neighbourhood, each group in log order, groups in order of first record.

    By the record key, which every publisher sets to the neighbourhood id (it is what puts all of a
    neighbourhood's events on one partition, so its state moves with them): the records stay the
    bytes faust read until their group is folded (``decode_group``).
    """
    groups: dict[bytes | None, list[EventT[Any]]] = {}
    for item in batch:
        groups.setdefault(item.key, []).append(item)
    return list(groups.values())


def decode_group(group: Sequence[EventT[Any]]) -> list[Read]:
    """The group's events decoded, in log order; a record that is not a canonical event is logged and
    skipped, as faust skips a value its codec cannot read (connectors publish only validated events).

    Decoded here, one neighbourhood at a time, not by a faust codec as each record arrives: a decoded
    event takes about 2.7 KB against the half KB of its bytes, and a backlog's batch holds thousands.
    """
    read: list[Read] = []
    for item in group:
        try:
            if item.value is None:
                raise UndecodableEvent("a record with no value (a Kafka tombstone) is not an event")
            read.append((item, decode_envelope(item.value)))
        except UndecodableEvent as exc:
            log.error(
                "event_undecodable_skipped",
                partition=item.message.partition,
                offset=item.message.offset,
                error=str(exc)[:500],
            )
    return read


def changelog_record(table: Any, partition: int, key: Any, value: Any) -> Send:
    """A table write's changelog record, for the batch's sends: encoded as faust encodes its own (so
    a recovery reads it, and compaction keeps a key's newest), on ``partition``.

    Sent straight to the producer with the views, not through faust's path for a table write (a
    future, a pending message and a place in faust's buffer for each; that buffer held up to 17,340
    writes during one batch, docs/performance.md). A batch is acknowledged only once the broker has
    answered each of its sends.
    """
    topic = table.changelog_topic
    return (
        topic.get_topic_name(),
        topic.prepare_key(key, table.key_serializer)[0],
        topic.prepare_value(value, table.value_serializer)[0],
        partition,
    )


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.worker_id,
        broker=f"{transport.SCHEME}://{settings.bootstrap_servers}",
        broker_credentials=transport.broker_credentials(settings),
        store=f"{table_store.SCHEME}://",
        datadir=str(settings.var_dir / "faust"),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        # States and views are JSON with repeated keys, and a busy neighbourhood's state may be several
        # MB (``worker_max_message_bytes``). aiokafka's LZ4 is level 9 (LZ4 HC), about 68 MB/s on a
        # state and a tenth of the worker's samples; zstd packs twice as tight at about 280 MB/s
        # (``benchmarks.busy_neighbourhood``, docs/performance.md).
        producer_compression_type="zstd",
        producer_max_request_size=settings.worker_max_message_bytes,
        # faust's 16 KB batches held two to five views each: one produce request per handful, and
        # sending them was a seventh of the worker's samples in a profile (docs/performance.md).
        producer_max_batch_size=1024 * 1024,
        producer_linger=0.005,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        table_standby_replicas=0,
        broker_session_timeout=settings.worker_session_timeout_s,
        broker_heartbeat_interval=settings.worker_session_timeout_s / 5,
    )
    events_topic = app.topic(topics.EVENTS, key_serializer="raw", value_serializer="raw")
    # Values are the models' own JSON bytes (one encoder, no second pass through faust's json).
    activity_table = app.Table("activity", default=None, value_type=bytes)
    states_table = app.Table(
        "neighbourhood-state",
        default=None,
        value_type=bytes,
        extra_topic_configs={"max.message.bytes": str(settings.worker_max_message_bytes)},
    )
    # The tables' stores, not the tables: a write here reaches the changelog as a record in the
    # batch's sends (``changelog_record``), not through faust's path for a table write.
    activity = ParsedTable(
        cast(Any, activity_table.data), TrackedRow.model_validate_json, settings.worker_parsed_bytes
    )
    states = ParsedTable(
        cast(Any, states_table.data),
        lambda blob: NeighbourhoodState.model_validate_json(packed.unpack(blob)),
        settings.worker_parsed_bytes,
        write=packed.pack,
    )
    seen_events = app.Table("seen-events", default=None, store=seen_ids.URL)
    claims = cast(seen_ids.Store, seen_events.data)
    params = neighbourhood.DEFAULT_PARAMS

    def committed_offset(partition: int) -> int:
        # Only what the broker accepted (see ``transport.Consumer.confirmed``): positions below it are
        # never delivered again, so the folds may forget them.
        confirmed: dict[TP, int] = app.consumer.confirmed  # type: ignore[attr-defined]
        return confirmed.get(TP(topics.EVENTS, partition)) or 0

    def resent(claimed_by: list[int] | None, partition: int, offset: int) -> bool:
        """Whether ``seen-events`` gives the event's id to another position: a re-sent record, which
        its first position carried."""
        return claimed_by is not None and claimed_by != [partition, offset]

    def fold_group(
        batch: Sequence[Read], histories: dict[tuple[int, int], erasure.History]
    ) -> tuple[
        dict[str, tuple[TrackedRow, EventT[Any]]],
        dict[str, tuple[NeighbourhoodState, EventT[Any]]],
        dict[str, erasure.Refolded],
    ]:
        """Fold events (one neighbourhood's, in log order); returns every value they touched, with the
        event to file its write under, and the neighbourhoods a tombstone folded again (``histories``:
        their logs, by its position).

        A value is touched by a redelivered event too: its current state is written and sent again,
        in case a crash lost the send that followed the table write. A redelivered tombstone folds
        its neighbourhood again, for the same reason.
        """
        rows: dict[str, TrackedRow | None] = {}
        hoods: dict[str, NeighbourhoodState | None] = {}
        origin: dict[str, EventT[Any]] = {}
        refolded: dict[str, erasure.Refolded] = {}
        for item, event in batch:
            partition, offset = item.message.partition, item.message.offset
            claimed_by = claims.claimed_by(event.event_id)
            if resent(claimed_by, partition, offset):
                continue
            if claimed_by is None:
                claims.claim(event.event_id, partition, offset)
            committed = committed_offset(partition)
            nid = event.neighbourhood_id
            if nid not in hoods:
                hoods[nid] = states.get(nid)
            history = histories.get((partition, offset))
            if history is not None:
                again = erasure.refold(event, hoods[nid], history, partition, offset, committed, params)
                hoods[nid] = again.state
                origin[nid] = item
                refolded[nid] = again
                for key, tracked in again.activity.items():
                    rows[key] = tracked
                    origin[key] = item
                continue
            held = hoods[nid]
            if erasure.is_tombstone(event) or (held is not None and event.event_id in held.withdrawn):
                continue  # a tombstone below the commit (already folded), or a withdrawn record
            key = row_key(nid, event.channel)
            if key not in rows:
                rows[key] = activity.get(key)
            folded = apply_activity(rows[key], event, partition, offset, committed)
            if folded is not None:
                rows[key] = folded
            origin[key] = item
            stepped = neighbourhood.apply_at(held, event, partition, offset, committed, params)
            if stepped is not None:
                hoods[nid] = stepped[0]
            origin[nid] = item
        return (
            {k: (v, origin[k]) for k, v in rows.items() if v is not None},
            {k: (v, origin[k]) for k, v in hoods.items() if v is not None},
            refolded,
        )

    def write_group(
        rows: dict[str, tuple[TrackedRow, EventT[Any]]],
        hoods: dict[str, tuple[NeighbourhoodState, EventT[Any]]],
        refolded: dict[str, erasure.Refolded],
    ) -> list[Send]:
        """Write what ``fold_group`` touched to the tables; returns the messages to send, the tables'
        changelog records among them (each on the partition of the event that caused it, so a
        rebalance moves a neighbourhood's state with its events)."""
        sends: list[Send] = [
            changelog_record(seen_events, partition, key, ids) for partition, key, ids in claims.take_claims()
        ]
        for key, (tracked, cause) in rows.items():
            blob = activity.put(key, tracked)
            sends.append(changelog_record(activity_table, cause.message.partition, key, blob))
            sends.append(
                (topics.ACTIVITY_UPDATES, tracked.row.neighbourhood_id.encode(), encode(tracked.row), None)
            )
        for nid, (state, cause) in hoods.items():
            state, views = neighbourhood.to_send(state, committed_offset(cause.message.partition), params)
            sends.append(changelog_record(states_table, cause.message.partition, nid, states.put(nid, state)))
            again = refolded.get(nid)
            if again is not None:
                # The sink drops the neighbourhood's rows, then takes its history folded again.
                sends.extend(
                    (topics.NEIGHBOURHOOD_VIEWS, nid.encode(), encode(m), None) for m in again.announced()
                )
                log.info("record_withdrawn", neighbourhood=nid, withdrawn=len(state.withdrawn))
            sends.extend((topics.NEIGHBOURHOOD_VIEWS, nid.encode(), encode(v), None) for v in views)
            if not views:
                continue  # every record of the neighbourhood was withdrawn
            head = views[-1]
            for alert in head.alerts:
                sends.append((topics.TENSION_ALERTS, nid.encode(), encode(alert), None))
                log.warning(
                    "tension_rose",
                    neighbourhood=nid,
                    from_level=alert.from_level,
                    to_level=alert.to_level,
                    evidence=len(alert.evidence_ids),
                )
        return sends

    async def read_histories(batch: Sequence[Read]) -> dict[tuple[int, int], erasure.History]:
        """The log before each tombstone in the batch that is not below its partition's commit."""
        histories: dict[tuple[int, int], erasure.History] = {}
        for item, event in batch:
            partition, offset = item.message.partition, item.message.offset
            if not erasure.is_tombstone(event) or offset < committed_offset(partition):
                continue
            if resent(claims.claimed_by(event.event_id), partition, offset):
                continue
            # In a thread: the consumer's heartbeats run on this loop while the partition is read.
            histories[(partition, offset)] = await asyncio.to_thread(
                event_log.neighbourhood_log, settings, partition, event.neighbourhood_id, offset
            )
        return histories

    async def changelogs_known(patience_s: float = 15.0) -> None:
        """Wait until the consumer knows each changelog's partitions (just created on a new cluster).

        faust checks them at a table's first write and raises if the metadata is not in yet; waiting
        here saves a restart. Past ``patience_s`` the first write decides.
        """
        tables = (activity_table, states_table, seen_events)
        for _ in range(int(patience_s / 0.5)):
            known = [app.consumer.topic_partitions(cast(Any, t).changelog_topic_name) for t in tables]
            if all(n == settings.partitions for n in known):
                return
            await asyncio.sleep(0.5)
        log.warning("changelog_partitions_unknown", waited_s=patience_s)

    def unread_behind(held: Sequence[EventT[Any]]) -> int:
        """Events the partitions of ``held`` hold past it, as far as the consumer has heard."""
        last = batches.last_offsets(held)
        return batches.unread(last, {p: app.consumer.highwater(TP(topics.EVENTS, p)) for p in last})

    order = FoldOrder()

    async def in_log_order(batch: Sequence[EventT[Any]]) -> Gap | None:
        """Take the batch into ``order``; the gap that stops it, if any (``streams/fold_order.py``).

        A gap that begins at the partition's first offset still in the log is not one: retention
        deleted what came before, and no worker will ever read it.
        """
        positions = [(item.message.partition, item.message.offset) for item in batch]
        while (gap := order.take(positions, committed_offset)) is not None:
            tp = TP(topics.EVENTS, gap.partition)
            earliest = await app.consumer.earliest_offsets(tp)
            if gap.got > earliest.get(tp, 0):
                return gap
            order.restart_at(gap.partition, gap.got)
        return None

    @app.agent(events_topic)
    async def fold_events(stream: Any) -> None:
        await changelogs_known()
        # faust's worker leaves the root logger at DEBUG for its start-up spinner (even at --loglevel
        # warn), so every debug call in aiokafka and faust built a record no handler kept: about 3%
        # of the worker's py-spy samples at 200,000 events. The spinner has finished by now.
        logging.getLogger().setLevel(logging.WARNING)
        tally = batches.BatchTally()
        async for batch in batches.take_batches(
            stream,
            settings.worker_batch_size,
            settings.worker_batch_wait_s,
            settings.worker_backlog_wait_s,
            waiting=unread_behind,
        ):
            try:
                summary = tally.add(len(batch))
                if summary is not None:
                    log.info("batches_folded", **summary)
                gap = await in_log_order(batch)
                if gap is not None:
                    # Not folded, not acknowledged: the next worker reads the partition again from
                    # its committed offset, in order.
                    log.error(
                        "partition_gap_stopping",
                        partition=gap.partition,
                        expected=gap.expected,
                        got=gap.got,
                    )
                    os._exit(STALL_EXIT_CODE)
                producer = app.producer
                # One neighbourhood at a time: its events are decoded, its state parsed, folded,
                # viewed and written, and its messages handed to the producer before the next is
                # read, so a batch holds one neighbourhood's decoded events, parsed state and
                # messages, not those of every neighbourhood it touches (most of the worker's memory
                # in a backlog, docs/performance.md). A neighbourhood's events keep their log order.
                unanswered = Unanswered(settings.worker_unanswered_bytes)
                for group in by_neighbourhood(batch):
                    events = decode_group(group)
                    histories = await read_histories(events)
                    sends = write_group(*fold_group(events, histories))
                    # A producer that stops taking sends (a partition's batch that never drains: the
                    # broker does not answer) would hang the agent with the batch unacknowledged,
                    # which the stall stop cannot see: past the limit this raises, and the process
                    # restarts. Straight to the Kafka client: faust's Topic.send wraps every message
                    # in futures, codecs and sensors, which cost more than building the view
                    # (docs/performance.md).
                    async with asyncio.timeout(settings.worker_delivery_limit_s):
                        for topic, message_key, value, partition in sends:
                            unanswered.add(
                                await producer.send(topic, message_key, value, partition, None, None),
                                len(value),
                            )
                        # The producer's buffers would otherwise hold every message of the batch
                        # until the batch's end: the worker's memory peak (docs/performance.md).
                        await unanswered.answered_down_to_limit()
                # Acknowledged only once the broker has every write: faust's flush before a commit
                # waits for sends but does not look at their answers, so a send that failed would be
                # lost behind a committed offset. One the broker never answers would leave the offsets
                # uncommitted with no stalled partition to show it (docs/reliability.md).
                async with asyncio.timeout(settings.worker_delivery_limit_s):
                    await unanswered.all_answered()
            except BaseException:
                # Not acknowledged (``take_batches``); the process stops, and the batch is read again
                # from the committed offset by the worker the supervisor starts.
                log.exception("batch_failed_stopping")
                os._exit(CRASH_EXIT_CODE)

    stalls: StallDetector[Any] = StallDetector(patience=settings.worker_stall_checks)

    @app.timer(settings.worker_stall_check_interval_s)
    async def stop_on_stalled_partition() -> None:
        recovery: Any = getattr(app.tables, "recovery", None)
        if app.rebalancing or recovery is None or not recovery.completed.is_set():
            return
        # faust offers no public view of these; they are the maps its own commits are made from.
        consumer: Any = app.consumer
        assigned = [tp for tp in consumer.assignment() if tp.topic == topics.EVENTS]
        in_flight = {m.tp for m in list(consumer._unacked_messages)}
        committed = {tp: consumer._committed_offset.get(tp) for tp in assigned}
        highwater = {tp: consumer.highwater(tp) for tp in assigned}
        # Stuck, not slow: nothing in flight, and the acknowledged offsets (if any) do not start at
        # the committed one, so no commit can ever advance.
        idle = {
            tp: tp not in in_flight and (not consumer._acked[tp] or min(consumer._acked[tp]) != committed[tp])
            for tp in assigned
        }
        stuck = stalls.observe(committed, highwater, idle)
        if stuck:
            log.error(
                "partition_stalled_restarting",
                partitions=[tp.partition for tp in stuck],
                committed=[committed[tp] for tp in stuck],
                highwater=[highwater[tp] for tp in stuck],
            )
            # A hard stop is a crash the design already survives; the supervisor starts a new worker.
            os._exit(STALL_EXIT_CODE)

    return app
