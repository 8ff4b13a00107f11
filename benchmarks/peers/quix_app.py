"""The peer: the neighbourhood fold written as a Quix Streams application.

Run in its own virtualenv (``.venv-peer``: Quix Streams 3.28.1 pins confluent-kafka and pydantic
below what the pipeline uses)::

    .venv-peer/bin/python -m benchmarks.peers.quix_app --bootstrap 127.0.0.1:9092 --count 20000

It reads the events topic from its start with a consumer group of its own and, for every event,
does what Quix Streams applications do: the key's state from the state store (RocksDB, with its
changelog topic), the SAME pure fold the worker calls (``projections.neighbourhood.step``, which
evolves priority, tension, coverage and feedback), the state back, and each view of record the
event closes (``projections.neighbourhood.view``) to an output topic. It does less than our worker:
no de-duplication by event id, no activity rows, and no newest view per neighbourhood after each
batch, so "ours / peer" leans in the peer's favour. Its process runs the cycle collector as ours do
(``gc_young_threshold``), so the comparison is of the frameworks, not of that setting. It prints
one JSON line: events, seconds from the first event folded to the ``count``-th, events per second.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

from quixstreams import Application

from engage.settings import Settings, relax_cycle_collector
from events import topics
from events.codec import decode_envelope, encode
from projections import neighbourhood
from projections.neighbourhood import NeighbourhoodState

OUTPUT_TOPIC = "engage.bench.peer.views.v1"
STATE_KEY = "neighbourhood"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--group", default=f"engage-bench-peer-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    relax_cycle_collector(Settings())

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=args.state_dir,
        processing_guarantee="at-least-once",
        loglevel="WARNING",
    )
    events_topic = app.topic(topics.EVENTS, key_deserializer="bytes", value_deserializer="bytes")
    views_topic = app.topic(OUTPUT_TOPIC, key_serializer="bytes", value_serializer="bytes")
    progress: dict[str, float] = {"folded": 0, "first": 0.0, "last": 0.0}

    def fold(raw: bytes, state: Any) -> list[bytes]:
        if not progress["folded"]:
            progress["first"] = time.perf_counter()
        event = decode_envelope(raw)
        stored = state.get(STATE_KEY)
        before = NeighbourhoodState.model_validate(stored) if stored is not None else None
        after, closed = neighbourhood.step(before, event)
        state.set(STATE_KEY, after.model_dump(mode="json"))
        progress["folded"] += 1
        if progress["folded"] >= args.count:
            progress["last"] = time.perf_counter()
            app.stop()
        return [encode(closed)] if closed is not None else []

    frame = app.dataframe(events_topic)
    frame = frame.apply(fold, stateful=True, expand=True)
    frame.to_topic(views_topic)
    app.run()
    seconds = progress["last"] - progress["first"]
    folded = int(progress["folded"])
    print(
        json.dumps(
            {
                "events": folded,
                "seconds": round(seconds, 4),
                "events_per_second": round(folded / seconds, 1) if seconds > 0 else None,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
