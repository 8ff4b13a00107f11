"""Who is asking: a request's key, timestamp and signature checked against the grants.

Every refusal is a ``Refused`` with its HTTP status and a machine-readable code. Nothing here
touches a record: a refused request is never read further.
"""

from __future__ import annotations

import heapq
import hmac
import re
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum

from connectors.gateway.client import KEY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from connectors.gateway.grants import Grant, Grants

REPLAY_MEMORY = 100_000
"""Most signatures remembered at once; past that, requests are refused (429) until old ones expire."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class RefusalCode(StrEnum):
    """Why a whole request was refused; each comes with one HTTP status."""

    MISSING_CREDENTIALS = "missing_credentials"
    """401: a key id, timestamp or signature header is absent or empty."""
    UNKNOWN_KEY = "unknown_key"
    """401: no grant has this key id."""
    BAD_TIMESTAMP = "bad_timestamp"
    """401: the timestamp is not whole Unix seconds."""
    STALE_TIMESTAMP = "stale_timestamp"
    """401: the timestamp is further from the gateway's clock than the allowed skew."""
    BAD_SIGNATURE = "bad_signature"
    """401: the signature does not match the request under the key's secret."""
    REPLAYED = "replayed"
    """409: this exact signature was already received; sign the request again with a new timestamp."""
    SOURCE_NOT_GRANTED = "source_not_granted"
    """403: the key may not send records to this source (or no such source is served)."""
    BODY_TOO_LARGE = "body_too_large"
    """413: the body is longer than the gateway reads."""
    TOO_MANY_RECORDS = "too_many_records"
    """413: more records than one request may hold; split them."""
    MALFORMED_JSON = "malformed_json"
    """400: the body is not UTF-8 JSON (or nests too deep, or holds a non-finite number)."""
    INVALID_BODY = "invalid_body"
    """422: the JSON is not an object whose only key is ``records``, holding an array."""
    BUSY = "busy"
    """429: too many requests in the replay window; retry after the Retry-After header's seconds."""
    UNAVAILABLE = "unavailable"
    """503: the broker did not take the records; send them again, signed anew."""
    NOT_FOUND = "not_found"
    """404 or 405: no such endpoint or method."""


class Refused(Exception):
    """A request refused as a whole: nothing of it is published."""

    def __init__(self, status: int, code: RefusalCode, detail: str, retry_after_s: int | None = None) -> None:
        super().__init__(f"{status} {code.value}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after_s = retry_after_s


class ReplayGuard:
    """The signatures seen while they could still be accepted, to refuse a second use of one.

    Kept in memory: after a restart, a replay within the skew window gets through authentication, but
    its records are then answered ``duplicate`` and not published again.
    """

    def __init__(self, capacity: int = REPLAY_MEMORY) -> None:
        self._capacity = capacity
        self._until: dict[str, float] = {}
        self._expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def first_use(self, key: str, now: float, until: float) -> bool:
        """Remember ``key`` until ``until``; False if it is already remembered. Raises Refused when full."""
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                _, old = heapq.heappop(self._expiry)
                self._until.pop(old, None)
            if key in self._until:
                return False
            if len(self._until) >= self._capacity:
                retry = max(1, int(self._expiry[0][0] - now) + 1)
                raise Refused(
                    429, RefusalCode.BUSY, "too many requests within the replay window", retry_after_s=retry
                )
            self._until[key] = until
            heapq.heappush(self._expiry, (until, key))
            return True


class Authenticator:
    def __init__(
        self,
        grants: Grants,
        skew_s: int,
        clock: Callable[[], float],
        replays: ReplayGuard | None = None,
    ) -> None:
        self._grants = grants
        self._skew_s = skew_s
        self._clock = clock
        self._replays = replays or ReplayGuard()

    def authenticate(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> Grant:
        """The grant whose key signed this request, or Refused (401 or 409)."""
        key_id = headers.get(KEY_ID_HEADER, "").strip()
        timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
        given = headers.get(SIGNATURE_HEADER, "").strip()
        if not (key_id and timestamp and given):
            absent = [
                name
                for name, value in (
                    (KEY_ID_HEADER, key_id),
                    (TIMESTAMP_HEADER, timestamp),
                    (SIGNATURE_HEADER, given),
                )
                if not value
            ]
            raise Refused(
                401,
                RefusalCode.MISSING_CREDENTIALS,
                f"headers {', '.join(absent)} are required; see docs/gateway.md for signing",
            )
        grant = self._grants.for_key(key_id)
        if grant is None:
            raise Refused(401, RefusalCode.UNKNOWN_KEY, "no grant has this key id; check X-Engage-Key-Id")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Refused(
                401, RefusalCode.BAD_TIMESTAMP, "X-Engage-Timestamp must be whole seconds since 1970 (UTC)"
            )
        now = self._clock()
        signed_at = int(timestamp)
        if abs(now - signed_at) > self._skew_s:
            raise Refused(
                401,
                RefusalCode.STALE_TIMESTAMP,
                f"the timestamp is {int(signed_at - now)} s from the gateway's clock, more than the "
                f"{self._skew_s} s allowed; sign with the current time and check the sender's clock",
            )
        expected = signature(grant.secret.get_secret_value(), timestamp, method, path, body)
        # Compared as bytes: header values are Latin-1, and compare_digest refuses non-ASCII text.
        if not (
            _SIGNATURE.fullmatch(given)
            and hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii"))
        ):
            raise Refused(
                401,
                RefusalCode.BAD_SIGNATURE,
                "the signature does not match: sign timestamp, method, path and the body's SHA-256 "
                "with this key's secret (docs/gateway.md)",
            )
        if not self._replays.first_use(f"{key_id}\n{expected}", now, signed_at + self._skew_s):
            raise Refused(
                409,
                RefusalCode.REPLAYED,
                "this signature was already used; sign the request again with a new timestamp "
                "(records already accepted come back as duplicate)",
            )
        return grant
