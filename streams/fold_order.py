"""Folding each partition of the events topic in log order, checked where the folding happens.

The neighbourhood models are folds in log order: an event folded after a later one of its partition
gives views of record a rebuild never gives (a history period one event short), although every count
stays right. ``streams/transport.py`` holds back a message fetched past a gap, but it can only see what
the consumer hands over; faust may still drop a message after that, on its way to the agent. Measured
in the scale-out test (two failing runs of the ninth session, read back from the broker's logs): just
after a rebalance the message at the committed offset itself was dropped, the worker folded the ones
after it, the partition's commits stood still, and the message came again only when the partition was
read anew from its committed offset (a takeover, or a restart), to be folded after later ones.

``FoldOrder`` keeps, per partition, the next offset the agent must fold. A batch whose events leave a
gap is not folded: the worker stops and its supervisor starts another, which reads the partition
again from its committed offset, in order (``streams/stalls.py`` does the same for a partition whose
commits stall). Pure: the worker gives it the committed offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Gap:
    """The first event of a batch that would be folded before an earlier offset of its partition."""

    partition: int
    expected: int
    """The next offset to fold: every one before it, from the committed offset, has been folded."""
    got: int


@dataclass
class FoldOrder:
    """Per partition, the next offset to fold: at least the committed offset, one past the last
    offset folded in order."""

    next_offset: dict[int, int] = field(default_factory=dict)

    def take(self, positions: Iterable[tuple[int, int]], committed: Callable[[int], int]) -> Gap | None:
        """Accept a batch's ``(partition, offset)`` positions, in the order they will be folded, or
        name the first gap and accept nothing.

        An offset below the next is a redelivery (the folds apply a position once); the next one
        moves the partition on; one beyond it is a gap. ``committed(partition)`` is the offset the
        broker holds as committed: a partition lost and assigned again starts from it.
        """
        moved: dict[int, int] = {}
        for partition, offset in positions:
            expected = moved.get(partition)
            if expected is None:
                expected = max(self.next_offset.get(partition, 0), committed(partition))
            if offset > expected:
                return Gap(partition, expected, offset)
            moved[partition] = expected + 1 if offset == expected else expected
        self.next_offset.update(moved)
        return None

    def restart_at(self, partition: int, offset: int) -> None:
        """Fold the partition from ``offset`` on: the offsets before it are no longer in the log
        (retention deleted them), so no worker can fold them."""
        self.next_offset[partition] = offset
