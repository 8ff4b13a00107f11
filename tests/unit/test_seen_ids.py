"""The worker's seen-events table: a compact map of event id to first position, as a dict would be."""

from __future__ import annotations

import asyncio
import itertools
import tracemalloc
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from faust.types import TP
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import app, seen_ids
from streams.seen_ids import SeenIds

PARTITIONS = 4

ids = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=12)
positions = st.tuples(st.integers(0, PARTITIONS - 1), st.integers(0, 2**48 - 1)).map(list)
operations = st.lists(
    st.one_of(st.tuples(st.just("set"), ids, positions), st.tuples(st.just("del"), ids, st.none())),
    max_size=200,
)


class TestSeenIds:
    @settings(max_examples=200, deadline=None)
    @given(operations, st.integers(1, 7), st.booleans())
    def test_it_answers_as_a_dict_across_merges(
        self, ops: list[tuple[str, str, list[int] | None]], flush_at: int, few_high_halves: bool
    ) -> None:
        reference: dict[str, list[int]] = {}
        seen = SeenIds()
        real_digest = seen_ids._digest
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(seen_ids, "FLUSH_AT", flush_at)
            if few_high_halves:
                # Distinct ids sharing a high half, so merges must keep equal halves in write order.
                patch.setattr(seen_ids, "_digest", lambda key: (len(key) % 3, real_digest(key)[1]))
            for op, key, position in ops:
                if op == "set":
                    assert position is not None
                    seen[key] = position
                    reference[key] = position
                elif key in reference:
                    del seen[key]
                    del reference[key]
                else:
                    with pytest.raises(KeyError):
                        del seen[key]
                for probe in {key, *reference}:
                    assert seen.get(probe) == reference.get(probe)
                    assert (probe in seen) == (probe in reference)

    def test_ids_take_a_fifth_of_a_dicts_memory(self) -> None:
        count = 200_000

        def keys() -> list[str]:  # made inside each measurement: a dict keeps them, the digests do not
            return [f"event-{i:012d}" for i in range(count)]

        def allocated(build: Any) -> int:
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            held = build()
            after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            del held
            return after - before

        def as_dict() -> dict[str, list[int]]:
            return {key: [1, i] for i, key in enumerate(keys())}

        def as_seen() -> SeenIds:
            seen = SeenIds()
            for i, key in enumerate(keys()):
                seen[key] = [1, i]
            seen.keep_partitions(range(PARTITIONS))  # merges what waits in the dict
            return seen

        per_dict = allocated(as_dict) / count
        per_seen = allocated(as_seen) / count
        assert per_seen <= 30, f"{per_seen:.1f} bytes an id"
        assert per_dict >= 5 * per_seen, f"a dict took {per_dict:.1f} bytes an id, this {per_seen:.1f}"

    def test_an_id_deleted_stays_deleted_when_partitions_are_kept(self) -> None:
        seen = SeenIds()
        seen["a"] = [0, 1]
        seen.keep_partitions([0])  # the write is merged into the arrays
        del seen["a"]
        seen["a2"] = [0, 2]
        seen.keep_partitions([0])
        assert "a" not in seen and seen.get("a2") == [0, 2]

    def test_it_cannot_list_its_ids(self) -> None:
        seen = SeenIds()
        seen["a"] = [0, 1]
        with pytest.raises(TypeError, match="digests"):
            list(seen)

    def test_a_position_it_cannot_hold_is_refused(self) -> None:
        with pytest.raises(ValueError, match="outside"):
            SeenIds()["a"] = [0, 2**48]


def changelog_record(partition: int, key: str, value: object) -> Any:
    return SimpleNamespace(key=key, value=value, message=SimpleNamespace(partition=partition, value=value))


class TestStore:
    apps = itertools.count()

    @pytest.fixture(name="store")
    def a_store(self) -> seen_ids.Store:
        return self.store()

    def store(self) -> seen_ids.Store:
        app = faust.App(f"unit-seen-ids-{next(self.apps)}", broker="kafka://127.0.0.1:1", web_enabled=False)
        table = app.Table("seen-events", default=None, partitions=PARTITIONS, store=seen_ids.URL)
        return cast(seen_ids.Store, table.data)

    def recover(self, store: seen_ids.Store, partitions: list[int], *records: Any) -> None:
        changelog = store.table.changelog_topic.get_topic_name()
        actives = {TP(changelog, p) for p in partitions}
        store.app.assignor.assigned_actives = lambda: actives  # type: ignore[method-assign]
        asyncio.run(store.on_rebalance(actives, set(), set()))
        store.apply_changelog_batch(list(records), to_key=lambda k: k, to_value=lambda v: v)
        asyncio.run(store.on_recovery_completed(actives, set()))

    def test_a_recovery_reads_ids_and_tombstones_back(self, store: seen_ids.Store) -> None:
        self.recover(
            store,
            [0, 1],
            changelog_record(0, "a", [0, 5]),
            changelog_record(1, "b", [1, 9]),
            changelog_record(1, "b", None),
        )
        assert store.data.get("a") == [0, 5]
        assert "b" not in store.data

    def test_ids_of_a_partition_given_up_are_forgotten(self, store: seen_ids.Store) -> None:
        self.recover(store, [0, 1, 2, 3], changelog_record(0, "a", [0, 5]), changelog_record(2, "c", [2, 7]))
        store.data["d"] = [3, 1]  # written live
        self.recover(store, [0, 1])  # another worker took 2 and 3
        assert store.data.get("a") == [0, 5]
        assert store.data.get("c") is None and store.data.get("d") is None

    def test_claims_taken_as_one_record_a_partition_are_read_back(self, store: seen_ids.Store) -> None:
        store.claim("a", 1, 10)
        store.claim("b", 1, 11)
        store.claim("c", 3, 4)
        assert store.claimed_by("b") == [1, 11]  # looked up before it is sent
        assert store.claimed_by("z") is None
        sent = store.take_claims()
        assert store.take_claims() == []  # nothing new: nothing to send
        assert [(p, k) for p, k, _ in sent] == [(1, [seen_ids.CLAIMS, 1, 10]), (3, [seen_ids.CLAIMS, 3, 4])]
        # Encoded as the worker sends them, decoded as faust's recovery reads the changelog.
        serializers = store.app.serializers
        records = []
        for partition, key, ids in sent:
            _, key_bytes, value_bytes, sent_to = app.changelog_record(store.table, partition, key, ids)
            assert sent_to == partition
            records.append(
                changelog_record(
                    partition,
                    serializers.loads_key(None, key_bytes, serializer="json"),
                    serializers.loads_value(None, value_bytes, serializer="json"),
                )
            )
        fresh = self.store()
        self.recover(fresh, [0, 1, 2, 3], changelog_record(0, "old", [0, 2]), *records)
        assert fresh.data.get("a") == [1, 10]
        assert fresh.data.get("b") == [1, 11]
        assert fresh.data.get("c") == [3, 4]
        assert fresh.data.get("old") == [0, 2]  # a record of one id, as written before

    def test_a_record_of_claims_it_cannot_read_is_refused(self, store: seen_ids.Store) -> None:
        with pytest.raises(ValueError, match="claims"):
            self.recover(store, [0], changelog_record(0, [seen_ids.CLAIMS, "0", 1], [["a", 1]]))


def test_a_table_write_goes_to_its_changelog_as_faust_writes_it() -> None:
    """Keys as faust's own table writes encoded them, so compaction keeps a key's newest record across
    changelogs written before the worker sent its table writes itself."""
    worker = faust.App("unit-changelog-record", broker="kafka://127.0.0.1:1", web_enabled=False)
    states = worker.Table("neighbourhood-state", default=None, value_type=bytes)
    assert app.changelog_record(states, 2, "BENCH00001", b"\x28\xb5packed") == (
        "unit-changelog-record-neighbourhood-state-changelog",
        b'"BENCH00001"',
        b"\x28\xb5packed",
        2,
    )
