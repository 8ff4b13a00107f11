"""faust's Kafka transport with two corrections for a topic whose every offset is a message.

faust-streaming 0.15.3 keeps a "read offset" per partition. It drops a fetched message whose offset
is below it, as already read, and when it reads an offset more than one past it, it records a
"gap" that it later commits across without an acknowledgement (compacted and transactional topics
have offsets with no message). On a restart with a backlog, faust resumes fetching before it seeks
to the committed offset, and drops the messages caught in between (they wait on suspended flow);
one of them then moves the read offset past the re-fetched ones. Measured here under kill -9 and
restart: with gaps honoured, events were committed without ever reaching the agent (lost); with
gaps ignored, whole chunks of a partition were skipped and its commits stalled.

Its commits had a third flaw: an off-by-one that commits over a single unacknowledged message at
the head of the acknowledged ones (events lost one at a time under the same test).

The events topic has no compaction and no transactional producer, so read offsets and gaps are not
needed for its bookkeeping. This consumer forgets read offsets, so every fetched message is
delivered, and commits advance only over a run of acknowledged offsets that starts exactly at the
committed one. A message fetched twice is folded once, because the
folds are idempotent by log position and event id, and faust acknowledges an offset once.

Should faust still skip a message of the events topic, the consumer holds back every later message of
that partition (``Consumer._in_order``) until the skipped one comes: the neighbourhood models fold in
log order, and the stall stop (``streams/stalls.py``) only noticed once later events had been folded.

Its producer's flush, which faust calls before every commit, could return with table writes still in
faust's buffer; ``Producer.flush`` here waits until they have left it (see there).

Authentication is faust's own: ``broker_credentials`` gives the app the settings' SASL user, which
faust's aiokafka driver passes to every client it makes (the worker's consumer, its producer, and the
topic creation that goes through the consumer's client). This transport subclasses that driver and
overrides only the consumer's offset bookkeeping and delivery check and the producer's flush, so the
credentials reach them unchanged.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import structlog
from faust.auth import SASLCredentials
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from engage import kafka_auth
from engage.settings import Settings
from events import topics

log = structlog.get_logger(__name__)

SCHEME = "engage-kafka"
DRAIN_LIMIT_S = 60.0
"""Longest a flush waits for faust's buffer of table writes to empty (as long as a batch's sends)."""


def broker_credentials(settings: Settings) -> SASLCredentials | None:
    """The app's ``broker_credentials``: None for PLAINTEXT; with a TLS context for SASL_SSL."""
    if not kafka_auth.authenticated(settings):
        return None
    # faust makes it SASL_SSL exactly when a context is given.
    return SASLCredentials(
        username=kafka_auth.username(settings),
        password=kafka_auth.password(settings),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=kafka_auth.ssl_context(settings),
    )


class ForgetfulOffsets(dict[Any, None]):
    """A read-offset map that remembers nothing, so nothing fetched is dropped as already read."""

    def __getitem__(self, key: Any) -> None:
        return None

    def __setitem__(self, key: Any, value: Any) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None


class Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = ForgetfulOffsets()  # type: ignore[assignment]
        self.expected: dict[TP, int] = {}
        """Per events partition, the next offset to deliver: every one from the committed offset at
        assignment up to it was delivered, in order."""
        self.holding: set[TP] = set()
        """Events partitions whose messages are held back, waiting for a skipped offset."""
        self.confirmed: dict[TP, int] = {}
        """Per partition, the offset the broker holds as committed: read at assignment, then moved
        only by commits the broker accepted. faust's own ``_committed_offset`` is moved even when a
        commit fails (a rebalance under load), and a fold that trusted it would forget positions
        that are then delivered again, and count them twice."""

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        # A new assignment: what the broker says now is all that is known to be committed.
        self.confirmed = {
            tp: offset for tp, offset in committed.items() if offset is not None and offset >= 0
        }
        for tp, offset in self.confirmed.items():
            # A partition held all along keeps its place: everything below it was delivered in order.
            self.expected.setdefault(tp, offset)
        return committed

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        for tp in revoked:
            self.expected.pop(tp, None)
            self.holding.discard(tp)
        await super().on_partitions_revoked(revoked)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        async for tp, message in super().getmany(timeout):
            if tp.topic != topics.EVENTS or self._in_order(tp, message.offset):
                yield tp, message

    def _in_order(self, tp: TP, offset: int) -> bool:
        """Whether to deliver a message: not one past an offset faust skipped on the same partition.

        The neighbourhood models are folds in log order: an event folded after a later one gives views
        of record that a rebuild never gives. Measured in the scale-out test: faust dropped offset 31
        of a partition the second worker had just taken, the worker folded what followed, and the
        stall stop restarted it only after (live != rebuild). A message held back here is never
        acknowledged, so no commit passes it: either faust fetches the skipped offset again (after its
        seek to the committed offset) and delivery goes on in order, or the partition's commits stop
        and the stall stop restarts the worker, which reads again from the committed offset.
        """
        expected = self.expected.get(tp)
        if expected is None:
            return True  # no committed offset known yet: nothing to hold the order against
        if offset > expected:
            if tp not in self.holding:
                self.holding.add(tp)
                log.warning("partition_gap_held_back", partition=tp.partition, expected=expected, got=offset)
            return False
        if offset == expected:
            self.expected[tp] = offset + 1
            self.holding.discard(tp)
        return True

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        done = bool(await super()._commit(offsets))
        if done:
            self.confirmed.update(offsets)
        return done

    def _new_offset(self, tp: TP) -> int | None:
        """The offset to commit: one past the acknowledged run that starts at the committed offset.

        faust's own version lets the run start one past the committed offset, which commits over a
        single unacknowledged message (its test is ``min(acked) - committed > 1``).
        """
        acked = self._acked[tp]
        if not acked:
            return None
        acked.sort()
        committed = self._committed_offset[tp]
        if committed is not None and acked[0] != committed:
            return None
        end = 1
        while end < len(acked) and acked[end] == acked[end - 1] + 1:
            end += 1
        run = acked[:end]
        del acked[:end]
        self._acked_index[tp].difference_update(run)
        return run[-1] + 1


class ProducerNotDrained(RuntimeError):
    """Table writes still waited to be sent when the commit that depends on them was due."""


class Producer(faust_aiokafka.Producer):
    async def flush(self) -> None:
        """Send every buffered table write, then wait for the client to deliver all it holds.

        faust flushes the producer before it commits offsets, so that a committed event's table writes
        are on the broker. Table writes wait in faust's own buffer (``send_soon``), and its flush stops
        as soon as 0.1 s passes without a message leaving it: under load the commit then went ahead
        with writes still buffered, and a kill -9 lost them while the offsets had moved past their
        events (tests/integration/test_scale_out.py, events lost for good). This waits for the buffer
        to empty; past ``DRAIN_LIMIT_S`` it raises rather than let the commit through, and the worker
        stops for its supervisor to restart it.
        """
        deadline = time.monotonic() + DRAIN_LIMIT_S
        while self.buffer.size:
            if time.monotonic() > deadline:
                raise ProducerNotDrained(
                    f"{self.buffer.size} table writes still buffered after {DRAIN_LIMIT_S:.0f}s"
                )
            await self.buffer.flush()
        await super().flush()


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
    Producer = Producer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
