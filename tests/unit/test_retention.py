"""Retention of social-media evidence: what the read side deletes, what it keeps, what it never stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from engage.kafka_admin import topic_configs
from engage.settings import Settings
from events import CrimeRecorded, Envelope, SocialSignalObserved, Theme, topics
from events.codec import encode
from projections import retention, store
from projections.evidence import row
from projections.service import Sink

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
DAY_MS = 24 * 60 * 60 * 1000


def event(event_id: str, days_ago: float, *, social: bool = True, now: datetime = NOW) -> Envelope:
    payload = (
        SocialSignalObserved(platform="synthetic", text=f"post {event_id}", theme=Theme.DRUGS)
        if social
        else CrimeRecorded(crime_type="Drugs", theme=Theme.DRUGS)
    )
    posted = now - timedelta(days=days_ago)
    return Envelope(
        event_id=event_id,
        event_type=payload.event_type,
        event_time=posted,
        recorded_time=posted,
        source="test",
        neighbourhood_id="N1",
        payload=payload,
    )


def stored_ids(path: Path) -> set[str]:
    con = store.connect(path, read_only=True)
    try:
        return {str(r[0]) for r in con.execute("select event_id from events").fetchall()}
    finally:
        con.close()


@dataclass(frozen=True)
class Message:
    offset: int
    value: bytes


class CommitsNothing:
    """The sink commits its positions to Kafka only for monitoring; DuckDB holds the real ones."""

    def commit(self, offsets: object) -> None:
        return None


class TestExpireSocial:
    def test_deletes_only_social_posts_older_than_the_cutoff_and_the_deletion_is_in_the_file(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "engage.duckdb"
        con = store.connect(path)
        events = [event("old-post", 40), event("new-post", 5), event("old-crime", 400, social=False)]
        rows = [row(e, 0, offset) for offset, e in enumerate(events)]
        store.write_events(con, rows, topics.EVENTS, {0: len(rows)})

        before = retention.cutoff(30, NOW)
        assert before is not None
        deleted = retention.expire_social(con, before)
        con.close()

        assert deleted == 1
        assert stored_ids(path) == {"new-post", "old-crime"}

    def test_a_second_sweep_finds_nothing_to_delete(self, tmp_path: Path) -> None:
        con = store.connect(tmp_path / "engage.duckdb")
        store.write_events(con, [row(event("old-post", 40), 0, 0)], topics.EVENTS, {0: 1})
        before = NOW - timedelta(days=30)
        assert retention.expire_social(con, before) == 1
        assert retention.expire_social(con, before) == 0


class TestCutoff:
    def test_off_when_unset(self) -> None:
        assert retention.cutoff(None, NOW) is None
        assert retention.kept(row(event("ancient", 10_000), 0, 0), None)

    def test_keeps_other_channels_and_recent_posts_only(self) -> None:
        before = retention.cutoff(30, NOW)
        assert not retention.kept(row(event("old-post", 31), 0, 0), before)
        assert retention.kept(row(event("new-post", 29), 0, 1), before)
        assert retention.kept(row(event("old-crime", 31, social=False), 0, 2), before)


class TestSinkWithRetention:
    def test_the_sink_never_stores_a_post_past_retention_yet_moves_past_it(self, tmp_path: Path) -> None:
        """A sink reading the log from its start (a new file) must not bring back what retention removed."""
        settings = Settings(var_dir=tmp_path, social_retention_days=30)
        con = store.connect(settings.database)
        sink = Sink(settings, con)
        # The sink takes its cutoff from the clock.
        now = datetime.now(UTC)
        old, new = event("old-post", 31, now=now), event("new-post", 1, now=now)
        messages = [Message(0, encode(old)), Message(1, encode(new))]
        sink._write(cast(KafkaConsumer, CommitsNothing()), {TopicPartition(topics.EVENTS, 0): messages})

        assert store.positions(con, topics.EVENTS) == {0: 2}
        con.close()
        assert stored_ids(settings.database) == {"new-post"}


class TestSettings:
    def test_retention_is_off_by_default_and_empty_means_off(self) -> None:
        assert Settings().social_retention_days is None
        assert Settings(social_retention_days="").social_retention_days is None

    def test_a_retention_of_zero_days_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Settings(social_retention_days=0)

    def test_dead_letters_do_not_outlive_social_retention(self) -> None:
        def deadletter_ms(settings: Settings) -> int:
            return int(topic_configs(settings)[topics.DEADLETTER]["retention.ms"])

        assert deadletter_ms(Settings(deadletter_retention_days=30)) == 30 * DAY_MS
        assert deadletter_ms(Settings(deadletter_retention_days=30, social_retention_days=7)) == 7 * DAY_MS
        assert deadletter_ms(Settings(deadletter_retention_days=30, social_retention_days=90)) == 30 * DAY_MS

    def test_the_events_topic_is_kept_whatever_social_retention_is(self) -> None:
        configs = topic_configs(Settings(social_retention_days=7))
        assert configs[topics.EVENTS]["retention.ms"] == "-1"
