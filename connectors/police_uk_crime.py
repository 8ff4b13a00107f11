"""Recorded crime from police.uk street CSVs: context for what the community says.

Two real layouts are read:
- the data.police.uk bulk download (``Crime ID, Month, ..., Crime type, Last outcome category``);
- local re-publications that add ward columns, such as Camden's
  (``Category, ..., ID, Epoch, Ward Name, Longitude, Latitude``; Epoch is MM/DD/YYYY).

A record is placed by its ward name when it has one (the publisher's own placing), and by
point in polygon otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors import values
from connectors.base import Context, SourceRecord, as_float, content_keys, new_event, read_csv, required
from connectors.rejections import Reason, RecordRejected
from connectors.theme_maps import CRIME_TYPE_THEMES, theme_of
from events import CrimeRecorded, Envelope

__all__ = ["CRIME_TYPE_THEMES", "SOURCE", "PoliceUkCrimeConnector"]

SOURCE = "police-uk-crime"
_NATURAL_KEY = "\x00natural_key"


def _event_time(fields: Mapping[str, Any]) -> datetime:
    if fields.get("Month"):
        month = str(fields["Month"]).strip()
        try:
            return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise RecordRejected(Reason.INVALID_VALUE, f"Month must be YYYY-MM, got {month!r}") from None
    epoch = str(required(fields, "Epoch")).strip()
    try:
        return datetime.strptime(epoch, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=UTC)
    except ValueError:
        raise RecordRejected(
            Reason.INVALID_VALUE, f"Epoch must be MM/DD/YYYY hh:mm:ss AM, got {epoch!r}"
        ) from None


class PoliceUkCrimeConnector:
    name = SOURCE

    def records(self, path: Path) -> Iterator[SourceRecord]:
        for record, key in content_keys(read_csv(path)):
            if record.fields is None:
                yield record
            else:
                yield replace(record, fields={**record.fields, _NATURAL_KEY: key})

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        crime_type = str(record.get("Crime type") or record.get("Category") or "").strip()
        if not crime_type:
            raise RecordRejected(
                Reason.MISSING_FIELD, "field 'Crime type' (or 'Category') is missing or empty"
            )
        theme = theme_of(CRIME_TYPE_THEMES, crime_type)
        event_time = _event_time(record)
        longitude = as_float(record, "Longitude")
        latitude = as_float(record, "Latitude")
        ward = str(record.get("Ward Name") or "").strip()
        if ward:
            neighbourhood = context.neighbourhoods.by_name(ward)
        elif longitude is not None and latitude is not None:
            neighbourhood = context.neighbourhoods.by_point(longitude, latitude)
        else:
            raise RecordRejected(Reason.UNPLACED, "the record has neither a ward name nor coordinates")
        crime_id = str(record.get("Crime ID") or record.get("ID") or "").strip()
        natural_key = crime_id or str(record[_NATURAL_KEY])
        location = str(record.get("Location") or record.get("Street Name") or "").strip()
        outcome = str(record.get("Last outcome category") or record.get("Outcome Category") or "").strip()
        try:
            payload = CrimeRecorded(crime_type=crime_type, theme=theme, location=location, outcome=outcome)
        except ValidationError as error:
            # A crime type, location or outcome longer than an event holds is not police.uk's.
            raise values.invalid(error) from error
        return new_event(SOURCE, natural_key, event_time, neighbourhood, payload, context)
