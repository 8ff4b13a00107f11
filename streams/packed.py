"""How the worker stores a neighbourhood's state: its JSON, packed with zstd.

A state is the largest value the worker holds and writes (tens of KB for a busy neighbourhood, MB
for the busiest), and it sits in the worker's table as bytes for every neighbourhood it owns. Packed,
it takes about a quarter of the memory and of the changelog's record size: at 200,000 benchmark
events a state's 13,280 bytes of JSON pack to 3,269 on average, for about 80 µs an event of packing
(``.venv/bin/python -m benchmarks.state_growth 200000 40000 5000 1048576``, its ``pack`` column;
docs/performance.md). Records written before states were packed are plain JSON and are still read.
"""

from __future__ import annotations

import threading

import zstandard
from pydantic import BaseModel

from events.codec import encode

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 3
"""zstd's default level."""

_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstandard's (de)compressor objects are not safe to share between threads.
    found: zstandard.ZstdCompressor | None = getattr(_local, "compressor", None)
    if found is None:
        found = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return found


def _decompressor() -> zstandard.ZstdDecompressor:
    found: zstandard.ZstdDecompressor | None = getattr(_local, "decompressor", None)
    if found is None:
        found = _local.decompressor = zstandard.ZstdDecompressor()
    return found


def pack(model: BaseModel) -> bytes:
    """The model's JSON (``events.codec.encode``), as one zstd frame."""
    return _compressor().compress(encode(model))


def unpack(blob: bytes) -> bytes:
    """The JSON a stored value holds, packed or not."""
    if blob[:4] == ZSTD_MAGIC:
        return _decompressor().decompress(blob)
    return blob
