"""Open311 GeoReport v2 service requests: what residents report to the council.

Reads the JSON array that ``GET /requests.json`` returns, one record per element (its line is its
1-based index in the array). A request is placed by its ``lat``/``long`` point; one without
coordinates is rejected as unplaced. Service codes differ between councils, so the theme comes
from keywords in the service code and name (``connectors.theme_maps.OPEN311_KEYWORDS``); anything
else is ``other``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.base import Context, SourceRecord, finite, new_event, read_json_array, required
from connectors.rejections import Reason, RecordRejected
from connectors.theme_maps import OPEN311_KEYWORDS, theme_by_keywords
from events import Envelope, PartnerCallLogged, Theme

SOURCE = "open311"
DEFAULT_PARTNER = "council"
_LABEL_LIMIT = 80
_DESCRIPTION_LIMIT = 2000
THEME_KEYWORDS = OPEN311_KEYWORDS
"""Kept under the name it had before every table moved to ``connectors.theme_maps``."""


def theme_for(service_code: str, service_name: str) -> Theme:
    return theme_by_keywords(THEME_KEYWORDS, f"{service_code} {service_name}")


def _label(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value).strip()[:_LABEL_LIMIT]


def _coordinate(fields: Mapping[str, Any], name: str) -> float | None:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, int | float | str):
        raise RecordRejected(
            Reason.INVALID_VALUE, f"field {name!r} must be a number, got {type(value).__name__}"
        )
    return finite(value, name)


def _requested_time(fields: Mapping[str, Any]) -> datetime:
    value = required(fields, "requested_datetime")
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RecordRejected(
            Reason.INVALID_VALUE,
            f"requested_datetime must be ISO 8601 with an offset (2024-05-01T09:30:00+01:00), got {value!r}",
        )
    return moment


def _description(fields: Mapping[str, Any]) -> str:
    text = str(fields.get("description") or "").strip()
    if len(text) > _DESCRIPTION_LIMIT:
        # Cut between words, so that redaction still sees whole e-mails and numbers.
        text = text[:_DESCRIPTION_LIMIT].rsplit(None, 1)[0]
    return text


class Open311Connector:
    name = SOURCE

    def records(self, path: Path) -> Iterator[SourceRecord]:
        return read_json_array(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        raw_id = record.get("service_request_id")
        request_id = "" if raw_id is None else str(raw_id).strip()
        if not request_id:
            raise RecordRejected(Reason.MISSING_FIELD, "field 'service_request_id' is missing or empty")
        event_time = _requested_time(record)
        longitude = _coordinate(record, "long")
        latitude = _coordinate(record, "lat")
        if longitude is None or latitude is None:
            raise RecordRejected(Reason.UNPLACED, "the request has no 'lat' and 'long'")
        neighbourhood = context.neighbourhoods.by_point(longitude, latitude)
        service_code = _label(record, "service_code")
        service_name = _label(record, "service_name")
        return new_event(
            SOURCE,
            request_id,
            event_time,
            neighbourhood,
            PartnerCallLogged(
                partner=_label(record, "agency_responsible") or DEFAULT_PARTNER,
                service_code=service_code or service_name,
                theme=theme_for(service_code, service_name),
                description=_description(record),
            ),
            context,
        )
