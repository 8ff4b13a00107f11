"""Public social media posts about a neighbourhood, as JSON Lines: one post per line.

A line holds at least ``id``, ``created_at`` (ISO 8601 with an offset, or the Twitter API's
``Wed Oct 10 20:19:24 +0000 2018``), ``text`` and ``platform``, and a place: ``neighbourhood_id``,
or ``place`` (a neighbourhood's name), or ``lat`` and ``lon``, tried in that order. ``author`` (a
handle) is optional. Example: ``data/social/camden_posts_synthetic.jsonl`` (synthetic).

Each post becomes a ``SocialSignalObserved`` with its theme (``connectors.classify``), sentiment,
hostility and rumour (``connectors.signals``), scored on the text as written. The author is replaced by
a salted pseudonym here, so distinct voices can be counted and no handle is kept. The text is
redacted, and what was removed counted, by ``connectors.privacy.scrub``, which the ingest run applies
to every event before it is published; redacting here too would hide those counts.

Rejected: a line that is not a JSON object, a missing or blank id, text or platform, a time without an
offset, text longer than an event holds (``TEXT_LIMIT``), and a post that cannot be placed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors import signals
from connectors.base import Context, SourceRecord, finite, new_event, read_jsonl
from connectors.classify import classify
from connectors.placing import Neighbourhood
from connectors.privacy import pseudonym
from connectors.rejections import Reason, RecordRejected
from events import Envelope, SocialSignalObserved

SOURCE = "social"
TEXT_LIMIT = 2000
"""The most characters a post's text may have: what ``SocialSignalObserved.text`` holds."""
PLATFORM_LIMIT = 40
_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"


def _text_field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and name == "id":
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordRejected(Reason.MISSING_FIELD, f"field {name!r} is missing or empty")
    if not isinstance(value, str):
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be a string, got {type(value).__name__}"
        )
    return value.strip()


def _created_at(record: Mapping[str, Any]) -> datetime:
    value = _text_field(record, "created_at")
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.strptime(value, _TWITTER_TIME)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise RecordRejected(
            Reason.INVALID_VALUE,
            "created_at must be ISO 8601 with an offset (2024-05-01T21:15:00+01:00) or "
            f"the Twitter API's form (Wed May 01 20:15:00 +0000 2024), got {value!r}",
        )
    return moment


def _coordinate(record: Mapping[str, Any], name: str) -> float | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, int | float | str):
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be a number, got {type(value).__name__}"
        )
    return finite(value, name)


def _neighbourhood(record: Mapping[str, Any], context: Context) -> Neighbourhood:
    for name, look_up in (
        ("neighbourhood_id", context.neighbourhoods.by_id),
        ("place", context.neighbourhoods.by_name),
    ):
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return look_up(value.strip())
        if value is not None and not isinstance(value, str):
            raise RecordRejected(Reason.INVALID_VALUE, f"field {name!r} must be a string, got {value!r}")
    latitude, longitude = _coordinate(record, "lat"), _coordinate(record, "lon")
    if latitude is None and longitude is None:
        raise RecordRejected(
            Reason.UNPLACED, "the post has no 'neighbourhood_id', 'place', or 'lat' and 'lon'"
        )
    if latitude is None or longitude is None:
        raise RecordRejected(Reason.UNPLACED, "the post has only one of 'lat' and 'lon'; give both")
    return context.neighbourhoods.by_point(longitude, latitude)


def _author(record: Mapping[str, Any], salt: bytes) -> str | None:
    value = record.get("author")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        # The value is not echoed: it is a handle, and details are published unredacted.
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field 'author' must be a string, got {type(value).__name__}"
        )
    return pseudonym(value, salt)


class SocialConnector:
    name = SOURCE

    def records(self, path: Path) -> Iterator[SourceRecord]:
        return read_jsonl(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        post_id = _text_field(record, "id")
        platform = _text_field(record, "platform")
        if len(platform) > PLATFORM_LIMIT:
            raise RecordRejected(
                Reason.INVALID_VALUE, f"platform is {len(platform)} characters; at most {PLATFORM_LIMIT}"
            )
        event_time = _created_at(record)
        text = _text_field(record, "text")
        if len(text) > TEXT_LIMIT:
            raise RecordRejected(
                Reason.INVALID_VALUE,
                f"text is {len(text)} characters; a post may have at most {TEXT_LIMIT}",
            )
        neighbourhood = _neighbourhood(record, context)
        compound = signals.sentiment(text)
        return new_event(
            SOURCE,
            f"{platform.lower()}:{post_id}",
            event_time,
            neighbourhood,
            SocialSignalObserved(
                platform=platform,
                author=_author(record, context.salt),
                text=text,
                theme=classify(text),
                sentiment=compound,
                hostility=signals.hostility(text, compound),
                rumour=signals.rumour(text),
            ),
            context,
        )
