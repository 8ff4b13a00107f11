"""The worker's consumer commits only over acknowledged offsets, and delivers every fetched message."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from streams.transport import Consumer, ForgetfulOffsets


def bookkeeping(committed: int | None, acked: list[int]) -> SimpleNamespace:
    return SimpleNamespace(
        _acked=defaultdict(list, {"tp": list(acked)}),
        _acked_index=defaultdict(set, {"tp": set(acked)}),
        _committed_offset=defaultdict(lambda: None, {"tp": committed}),
    )


class TestNewOffset:
    def test_a_run_from_the_committed_offset_is_committed(self) -> None:
        state = bookkeeping(10, [12, 10, 11, 14])
        assert Consumer._new_offset(state, "tp") == 13  # type: ignore[arg-type]
        assert state._acked["tp"] == [14]

    def test_a_single_unacknowledged_offset_at_the_head_holds_the_commit(self) -> None:
        # faust 0.15.3 commits 13 here, over offset 10 that never reached the agent.
        assert Consumer._new_offset(bookkeeping(10, [11, 12]), "tp") is None  # type: ignore[arg-type]

    def test_nothing_acknowledged_commits_nothing(self) -> None:
        assert Consumer._new_offset(bookkeeping(10, []), "tp") is None  # type: ignore[arg-type]


class TestForgetfulOffsets:
    def test_it_never_reports_a_read_offset(self) -> None:
        offsets = ForgetfulOffsets()
        offsets["tp"] = 5
        offsets.update({"tp": 7})
        assert offsets["tp"] is None and offsets.pop("tp", None) is None and not offsets
