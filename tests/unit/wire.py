"""What a run puts on the wire, as bytes, for tests that search it for personal data."""

from __future__ import annotations

from events.codec import encode
from tests.conftest import Ingested


def published_bytes(ran: Ingested) -> bytes:
    """Every event and every dead letter of a run, encoded as they are sent to the broker."""
    return b"\n".join([*(encode(e) for e in ran.events), *(encode(d) for d in ran.letters.values())])


def leaks(ran: Ingested, personal: list[str]) -> list[str]:
    """The pieces of ``personal`` that appear anywhere in what the run published (any case)."""
    wire = published_bytes(ran).lower()
    return [value for value in personal if value.lower().encode("utf-8") in wire]
