"""Council CSV exports of partner calls, whatever their columns: a mapping file says which is which.

Every export comes with a YAML mapping beside it, ``<export>.mapping.yaml`` (``calls.csv`` ->
``calls.mapping.yaml``; ``calls.csv.mapping.yaml`` is also accepted), for example::

    columns:
      id: case_enquiry_id        # required: the council's own reference, for the event id
      time: open_dt              # required
      latitude: latitude         # required
      longitude: longitude       # required
      category: type             # required: the council's category, kept as the service code
      description: case_title    # optional free text (redacted before publishing)
      partner: subject           # optional: the team or agency that logged the call
    time_format: "%Y-%m-%d %H:%M:%S"   # strptime format of the time column
    timezone: Europe/London            # optional, default UTC; used when the format has no %z
    partner: council                   # optional, default "council": when no partner column or it is empty
    themes:                            # category (any case) -> theme; the rest are "other"
      Graffiti Removal: criminal_damage

A record is placed by its point; one without coordinates is rejected as unplaced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from connectors.base import Context, SourceRecord, as_float, csv_header, new_event, read_csv
from connectors.rejections import Reason, RecordRejected
from engage.errors import ConfigurationError
from events import Envelope, PartnerCallLogged, Theme

SOURCE = "council-csv"
DEFAULT_PARTNER = "council"
_REQUIRED_COLUMNS = ("id", "time", "latitude", "longitude", "category")
_OPTIONAL_COLUMNS = ("description", "partner")
_LABEL_LIMIT = 80
_DESCRIPTION_LIMIT = 2000


@dataclass(frozen=True)
class CouncilMapping:
    """What one export's columns mean, and how its categories map to themes."""

    columns: Mapping[str, str]
    time_format: str
    timezone: tzinfo
    partner: str = DEFAULT_PARTNER
    themes: Mapping[str, Theme] = field(default_factory=dict)
    """Keyed by the category in lower case."""

    def theme_for(self, category: str) -> Theme:
        return self.themes.get(category.strip().lower(), Theme.OTHER)

    @classmethod
    def from_dict(cls, document: Any, where: str) -> CouncilMapping:
        if not isinstance(document, dict):
            raise ConfigurationError(f"{where} must hold a YAML mapping with 'columns' and 'time_format'")
        columns = document.get("columns")
        if not isinstance(columns, dict):
            raise ConfigurationError(f"{where}: 'columns' must map {', '.join(_REQUIRED_COLUMNS)} to columns")
        unknown = sorted(set(columns) - set(_REQUIRED_COLUMNS) - set(_OPTIONAL_COLUMNS))
        if unknown:
            raise ConfigurationError(f"{where}: 'columns' has unknown keys {unknown}")
        missing = [key for key in _REQUIRED_COLUMNS if not isinstance(columns.get(key), str)]
        if missing:
            raise ConfigurationError(f"{where}: 'columns' must name the column for {', '.join(missing)}")
        time_format = document.get("time_format")
        if not isinstance(time_format, str) or not time_format:
            raise ConfigurationError(
                f"{where}: 'time_format' must be a strptime format, e.g. '%d/%m/%Y %H:%M'"
            )
        timezone_name = str(document.get("timezone") or "UTC")
        try:
            timezone = ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"{where}: 'timezone' {timezone_name!r} is not an IANA time zone (e.g. Europe/London)"
            ) from None
        partner = str(document.get("partner") or DEFAULT_PARTNER).strip()[:_LABEL_LIMIT]
        table = document.get("themes") or {}
        if not isinstance(table, dict):
            raise ConfigurationError(f"{where}: 'themes' must map categories to themes")
        themes: dict[str, Theme] = {}
        for category, theme in table.items():
            try:
                themes[str(category).strip().lower()] = Theme(str(theme))
            except ValueError:
                known = ", ".join(t.value for t in Theme)
                raise ConfigurationError(
                    f"{where}: category {category!r} maps to {theme!r}, which is not a theme; "
                    f"choose from {known}"
                ) from None
        return cls(
            columns={key: str(value) for key, value in columns.items() if value},
            time_format=time_format,
            timezone=timezone,
            partner=partner or DEFAULT_PARTNER,
            themes=themes,
        )

    @classmethod
    def load(cls, path: Path) -> CouncilMapping:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read the council CSV mapping {path}: {exc}") from exc
        return cls.from_dict(document, str(path))


def mapping_path(csv_path: Path) -> Path:
    """The mapping beside an export: ``calls.mapping.yaml``, else ``calls.csv.mapping.yaml``."""
    candidates = [csv_path.with_suffix(".mapping.yaml"), csv_path.with_name(csv_path.name + ".mapping.yaml")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigurationError(
        f"no mapping for {csv_path}: write {candidates[0].name} beside it (see connectors/council_csv.py)"
    )


def _text(fields: Mapping[str, Any], column: str | None) -> str:
    if column is None:
        return ""
    value = fields.get(column)
    return "" if value is None else str(value).strip()


class CouncilCsvConnector:
    name = SOURCE

    def __init__(self, mapping: CouncilMapping | None = None) -> None:
        """Without a mapping, each file's own mapping file is read when the file is."""
        self._given = mapping
        self._mapping = mapping
        self.mapping_file: Path | None = None

    def with_mapping(self, path: Path) -> CouncilCsvConnector:
        connector = CouncilCsvConnector(CouncilMapping.load(path))
        connector.mapping_file = path
        return connector

    def records(self, path: Path) -> Iterator[SourceRecord]:
        if self._given is None:
            self.mapping_file = mapping_path(path)
            mapping = CouncilMapping.load(self.mapping_file)
        else:
            mapping = self._given
        absent = [column for column in mapping.columns.values() if column not in csv_header(path)]
        if absent:
            raise ConfigurationError(
                f"{path.name} has no column {', '.join(map(repr, absent))}; fix the mapping"
            )
        self._mapping = mapping
        return read_csv(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        mapping = self._mapping
        if mapping is None:
            raise ConfigurationError("the council CSV connector has no mapping; read the file with records()")
        columns = mapping.columns
        natural_key = _text(record, columns["id"])
        if not natural_key:
            raise RecordRejected(Reason.MISSING_FIELD, f"field {columns['id']!r} is missing or empty")
        category = _text(record, columns["category"])
        if not category:
            raise RecordRejected(Reason.MISSING_FIELD, f"field {columns['category']!r} is missing or empty")
        event_time = self._event_time(record, mapping)
        longitude = as_float(record, columns["longitude"])
        latitude = as_float(record, columns["latitude"])
        if longitude is None or latitude is None:
            raise RecordRejected(
                Reason.UNPLACED, f"the record has no {columns['latitude']!r} and {columns['longitude']!r}"
            )
        neighbourhood = context.neighbourhoods.by_point(longitude, latitude)
        description = _text(record, columns.get("description"))
        if len(description) > _DESCRIPTION_LIMIT:
            # Cut between words, so that redaction still sees whole e-mails and numbers.
            description = description[:_DESCRIPTION_LIMIT].rsplit(None, 1)[0]
        partner = _text(record, columns.get("partner"))[:_LABEL_LIMIT] or mapping.partner
        return new_event(
            SOURCE,
            natural_key,
            event_time,
            neighbourhood,
            PartnerCallLogged(
                partner=partner,
                service_code=category[:_LABEL_LIMIT],
                theme=mapping.theme_for(category),
                description=description,
            ),
            context,
        )

    @staticmethod
    def _event_time(record: Mapping[str, Any], mapping: CouncilMapping) -> datetime:
        column = mapping.columns["time"]
        value = _text(record, column)
        if not value:
            raise RecordRejected(Reason.MISSING_FIELD, f"field {column!r} is missing or empty")
        try:
            moment = datetime.strptime(value, mapping.time_format)
        except ValueError:
            raise RecordRejected(
                Reason.INVALID_VALUE, f"field {column!r} must match {mapping.time_format!r}, got {value!r}"
            ) from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=mapping.timezone)
