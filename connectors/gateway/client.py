"""Signing a request to the gateway: the whole protocol in a few lines of the standard library.

A partner may copy this file. Each request carries three headers: its key id, the time it was signed
(Unix seconds) and an HMAC-SHA256, under the partner's secret, of::

    timestamp + "\\n" + METHOD + "\\n" + path + "\\n" + hex(sha256(body))

where ``path`` is the request's path exactly as sent, without the query string. The gateway refuses a
timestamp too far from its clock, and the same signature twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

KEY_ID_HEADER = "X-Engage-Key-Id"
TIMESTAMP_HEADER = "X-Engage-Timestamp"
SIGNATURE_HEADER = "X-Engage-Signature"


def string_to_sign(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    """What the signature covers: when, which request, and (through its hash) every byte of the body."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{timestamp}\n{method.upper()}\n{path}\n{digest}".encode()


def signature(secret: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the string to sign."""
    return hmac.new(secret, string_to_sign(timestamp, method, path, body), hashlib.sha256).hexdigest()


def sign(
    key_id: str, secret: bytes, method: str, path: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three headers that authenticate one request; ``timestamp`` defaults to now."""
    moment = str(int(time.time()) if timestamp is None else timestamp)
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: moment,
        SIGNATURE_HEADER: signature(secret, moment, method, path, body),
    }


def records_path(source: str) -> str:
    return f"/v1/sources/{source}/records"


def encode_records(records: Sequence[Mapping[str, Any]]) -> bytes:
    """The request body: sign exactly these bytes and send exactly these bytes."""
    return json.dumps({"records": list(records)}, ensure_ascii=False).encode("utf-8")


def post_records(
    base_url: str,
    source: str,
    records: Sequence[Mapping[str, Any]],
    key_id: str,
    secret: bytes,
    timeout: float = 30.0,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """Send records, return the gateway's receipt (one answer per record).

    Raises urllib.error.HTTPError on a refusal: its JSON body says why (``error``, ``detail``). After a
    503 send the same records again, signed anew: those already accepted come back as ``duplicate``.
    The same body signed twice in one second has the same signature, and the second is refused as a
    replay (409): a retry must carry a later timestamp.
    """
    path = records_path(source)
    body = encode_records(records)
    headers = {"Content-Type": "application/json", **sign(key_id, secret, "POST", path, body, timestamp)}
    request = urllib.request.Request(base_url.rstrip("/") + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        receipt: dict[str, Any] = json.loads(response.read())
    return receipt
