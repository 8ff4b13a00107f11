"""Questionnaire exports (StreetSafe-style, doorstep, postcard) as CSV: a mapping file says which is which.

Every export has a YAML mapping beside it, ``<export>.yaml`` (``<export>.mapping.yaml`` is also
accepted), so a new survey needs no code::

    survey_id: camden-streetsafe-2026    # required: names the survey in every event
    columns:
      id: response_id          # required: the survey tool's own response id, for the event id
      time: submitted_at       # required
      respondent: email        # optional: id or e-mail, published only as a salted pseudonym
      ward: ward               # a ward name places the response ...
      latitude: lat            # ... or a point (both columns)
      longitude: lon
      postcode: postcode       # optional: only to say why a response could not be placed
      concern: [concern_1, concern_2]   # one column or a list; answers mapped by 'themes'
      feels_safe: feel_safe    # optional, mapped by 'likert'
      confidence: confidence_in_police  # optional, mapped by 'likert'
      comment: comment         # optional free text: classified into a concern, never published
    time_format: "%d/%m/%Y %H:%M"   # strptime format; absent: ISO 8601
    timezone: Europe/London          # used when the time has no offset; default Europe/London
    separator: ";"                   # between several answers in one cell; default ";"
    themes:                          # concern answer (any case) -> theme; an answer not listed is refused
      Drug dealing or drug use: drugs
    likert:                          # answer (any case) -> 1..5; the digits 1 to 5 need no entry
      Very unsafe: 1
    groups:                          # column -> answer (any case) -> group label; other answers: no group
      age_band: {"16-24": young_people, "65+": older_people}

A response is placed by ward name, else by point. A postcode alone places nothing: its district
covers several wards and this system holds no postcode look-up, so such a response is rejected as
unplaced with that reason. A rejected response's dead letter names the mapping file and keeps the
respondent only as the pseudonym, so that ``engage dlq replay`` can map it again after a fix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from connectors import values
from connectors.base import Context, SourceRecord, as_float, csv_header, new_event, read_csv
from connectors.classify import classify
from connectors.placing import Neighbourhood
from connectors.privacy import pseudonym, redact
from connectors.rejections import Reason, RecordRejected
from engage.errors import ConfigurationError
from events import Envelope, SurveyResponseReceived, Theme

SOURCE = "surveys"
_REQUIRED_COLUMNS = ("id", "time")
_OPTIONAL_COLUMNS = (
    "respondent",
    "ward",
    "latitude",
    "longitude",
    "postcode",
    "concern",
    "feels_safe",
    "confidence",
    "comment",
)
_RESPONDENT_PSEUDONYM = "\x00respondent_pseudonym"
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$", re.IGNORECASE)


def _lower_keys(table: object, where: str, what: str) -> dict[str, Any]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: {what!r} must map answers to values")
    return {str(answer).strip().lower(): value for answer, value in table.items()}


@dataclass(frozen=True)
class SurveyMapping:
    """What one export's columns mean, and how its answers map to themes, scores and groups."""

    survey_id: str
    columns: Mapping[str, str]
    concern_columns: tuple[str, ...]
    timezone: tzinfo
    time_format: str | None = None
    separator: str = ";"
    themes: Mapping[str, Theme] = field(default_factory=dict)
    likert: Mapping[str, int] = field(default_factory=dict)
    groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Column -> answer in lower case -> group label."""

    @property
    def all_columns(self) -> tuple[str, ...]:
        return (*self.columns.values(), *self.concern_columns, *self.groups)

    @classmethod
    def from_dict(cls, document: Any, where: str) -> SurveyMapping:
        if not isinstance(document, dict):
            raise ConfigurationError(f"{where} must hold a YAML mapping with 'survey_id' and 'columns'")
        survey_id = str(document.get("survey_id") or "").strip()
        if not survey_id or len(survey_id) > values.LABEL_LIMIT:
            raise ConfigurationError(f"{where}: 'survey_id' must name the survey in 1 to 80 characters")
        raw_columns = document.get("columns")
        if not isinstance(raw_columns, dict):
            raise ConfigurationError(f"{where}: 'columns' must map id, time and the answers to columns")
        unknown = sorted(set(raw_columns) - set(_REQUIRED_COLUMNS) - set(_OPTIONAL_COLUMNS))
        if unknown:
            raise ConfigurationError(
                f"{where}: 'columns' has unknown keys {unknown}; "
                f"use {', '.join(_REQUIRED_COLUMNS + _OPTIONAL_COLUMNS)}"
            )
        concern = raw_columns.get("concern")
        concern_columns = tuple(
            str(c) for c in (concern if isinstance(concern, list) else [concern] if concern else [])
        )
        columns = {key: str(value) for key, value in raw_columns.items() if key != "concern" and value}
        missing = [key for key in _REQUIRED_COLUMNS if key not in columns]
        if missing:
            raise ConfigurationError(f"{where}: 'columns' must name the column for {', '.join(missing)}")
        if "ward" not in columns and not {"latitude", "longitude"} <= set(columns):
            raise ConfigurationError(f"{where}: 'columns' must name 'ward', or 'latitude' and 'longitude'")
        zone_name = str(document.get("timezone") or "Europe/London")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"{where}: 'timezone' {zone_name!r} is not an IANA time zone") from None
        time_format = document.get("time_format")
        if time_format is not None and (not isinstance(time_format, str) or not time_format):
            raise ConfigurationError(
                f"{where}: 'time_format' must be a strptime format, e.g. '%d/%m/%Y %H:%M'"
            )
        separator = str(document.get("separator") or ";")
        themes: dict[str, Theme] = {}
        for answer, theme in _lower_keys(document.get("themes"), where, "themes").items():
            try:
                themes[answer] = Theme(str(theme))
            except ValueError:
                known = ", ".join(t.value for t in Theme)
                raise ConfigurationError(
                    f"{where}: answer {answer!r} maps to {theme!r}, which is not a theme; choose from {known}"
                ) from None
        likert: dict[str, int] = {}
        for answer, score in _lower_keys(document.get("likert"), where, "likert").items():
            if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
                raise ConfigurationError(f"{where}: likert answer {answer!r} must map to 1..5, got {score!r}")
            likert[answer] = score
        groups: dict[str, dict[str, str]] = {}
        raw_groups = document.get("groups") or {}
        if not isinstance(raw_groups, dict):
            raise ConfigurationError(f"{where}: 'groups' must map columns to answer -> group tables")
        for column, table in raw_groups.items():
            labels = _lower_keys(table, where, f"groups.{column}")
            for label in labels.values():
                if not str(label).strip() or len(str(label)) > values.LABEL_LIMIT:
                    raise ConfigurationError(f"{where}: groups.{column} has an empty or overlong label")
            groups[str(column)] = {answer: str(label).strip().lower() for answer, label in labels.items()}
        return cls(
            survey_id=survey_id,
            columns=columns,
            concern_columns=concern_columns,
            timezone=zone,
            time_format=time_format,
            separator=separator,
            themes=themes,
            likert=likert,
            groups=groups,
        )

    @classmethod
    def load(cls, path: Path) -> SurveyMapping:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read the survey mapping {path}: {exc}") from exc
        return cls.from_dict(document, str(path))


def mapping_path(csv_path: Path) -> Path:
    """The mapping beside an export: ``survey.yaml``, else ``survey.mapping.yaml``."""
    candidates = [csv_path.with_suffix(".yaml"), csv_path.with_suffix(".mapping.yaml")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ConfigurationError(
        f"no mapping for {csv_path}: write {candidates[0].name} beside it (see connectors/surveys.py)"
    )


def _answers(cell: str, separator: str) -> list[str]:
    return [part.strip() for part in cell.split(separator) if part.strip()]


class SurveysConnector:
    name = SOURCE

    def __init__(self, mapping: SurveyMapping | None = None) -> None:
        """Without a mapping, each file's own mapping file is read when the file is."""
        self._given = mapping
        self._mapping = mapping
        self.mapping_file: Path | None = None

    def with_mapping(self, path: Path) -> SurveysConnector:
        """For a replay: the connector that maps records with the mapping at ``path``, as it is now."""
        connector = SurveysConnector(SurveyMapping.load(path))
        connector.mapping_file = path
        return connector

    def records(self, path: Path) -> Iterator[SourceRecord]:
        if self._given is None:
            self.mapping_file = mapping_path(path)
            mapping = SurveyMapping.load(self.mapping_file)
        else:
            mapping = self._given
        header = csv_header(path)
        absent = [column for column in mapping.all_columns if column not in header]
        if absent:
            raise ConfigurationError(
                f"{path.name} has no column {', '.join(map(repr, absent))}; fix the mapping"
            )
        self._mapping = mapping
        return self._without_respondents(read_csv(path), mapping)

    @staticmethod
    def _without_respondents(rows: Iterator[SourceRecord], mapping: SurveyMapping) -> Iterator[SourceRecord]:
        """Each row with its respondent left out of its text, which a dead letter would carry as read.

        The fields keep it, for the pseudonym; redaction alone would miss a survey tool's own ids.
        """
        column = mapping.columns.get("respondent")
        for row in rows:
            if column is None or row.fields is None or not values.text(row.fields, column):
                yield row
                continue
            shown = {**row.fields, column: "[respondent]"}
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(shown.values())
            yield replace(row, text=buffer.getvalue())

    def letter_fields(self, record: Mapping[str, Any], context: Context) -> Mapping[str, Any]:
        """What a dead letter keeps of a response: its respondent only as the pseudonym ``to_event``
        would publish, which a replay publishes as it is."""
        column = self._mapping.columns.get("respondent") if self._mapping is not None else None
        if column is None or not values.text(record, column):
            return record
        kept = {key: value for key, value in record.items() if key != column}
        return {**kept, _RESPONDENT_PSEUDONYM: pseudonym(values.text(record, column), context.salt)}

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        mapping = self._mapping
        if mapping is None:
            raise ConfigurationError("the surveys connector has no mapping; read the file with records()")
        columns = mapping.columns
        response_id = values.text(record, columns["id"])
        if not response_id:
            raise RecordRejected(Reason.MISSING_FIELD, f"field {columns['id']!r} is missing or empty")
        answered = self._time(record, mapping)
        neighbourhood = self._place(record, mapping, context)
        raw_respondent = values.text(record, columns["respondent"]) if "respondent" in columns else ""
        respondent = pseudonym(raw_respondent, context.salt) if raw_respondent else None
        # A dead letter's fields, replayed, hold the pseudonym in place of the respondent.
        respondent = respondent or values.text(record, _RESPONDENT_PSEUDONYM) or None
        try:
            payload = SurveyResponseReceived(
                survey_id=mapping.survey_id,
                respondent=respondent,
                feels_safe=self._score(record, mapping, "feels_safe"),
                confidence_in_police=self._score(record, mapping, "confidence"),
                concerns=self._concerns(record, mapping),
                respondent_groups=self._groups(record, mapping),
            )
        except ValidationError as error:
            raise values.invalid(error) from error
        return new_event(
            SOURCE, f"{mapping.survey_id}\x1f{response_id}", answered, neighbourhood, payload, context
        )

    @staticmethod
    def _time(record: Mapping[str, Any], mapping: SurveyMapping) -> datetime:
        column = mapping.columns["time"]
        value = values.text(record, column)
        if not value:
            raise RecordRejected(Reason.MISSING_FIELD, f"field {column!r} is missing or empty")
        if mapping.time_format is None:
            return values.timestamp(value, column, mapping.timezone)
        try:
            moment = datetime.strptime(value, mapping.time_format)
        except ValueError:
            raise RecordRejected(
                Reason.INVALID_VALUE, f"field {column!r} must match {mapping.time_format!r}, got {value!r}"
            ) from None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=mapping.timezone)

    @staticmethod
    def _place(record: Mapping[str, Any], mapping: SurveyMapping, context: Context) -> Neighbourhood:
        columns = mapping.columns
        ward = values.text(record, columns["ward"]) if "ward" in columns else ""
        if ward:
            return context.neighbourhoods.by_name(ward)
        if "latitude" in columns and "longitude" in columns:
            latitude, longitude = (
                as_float(record, columns["latitude"]),
                as_float(record, columns["longitude"]),
            )
            if latitude is not None and longitude is not None:
                return context.neighbourhoods.by_point(longitude, latitude)
        postcode = values.text(record, columns["postcode"]) if "postcode" in columns else ""
        # The postcode itself stays out of the reason: a full one is personal data.
        if postcode and _DISTRICT.match(postcode.replace(" ", "")):
            raise RecordRejected(
                Reason.UNPLACED,
                "only a postcode district was given, which spans several wards: ask for the ward or a point",
            )
        if postcode:
            raise RecordRejected(
                Reason.UNPLACED,
                "only a postcode was given, and no postcode look-up is configured: ask for the ward",
            )
        raise RecordRejected(Reason.UNPLACED, "the response has no ward and no point")

    @staticmethod
    def _score(record: Mapping[str, Any], mapping: SurveyMapping, key: str) -> int | None:
        column = mapping.columns.get(key)
        answer = values.text(record, column) if column else ""
        if not answer or column is None:
            return None
        score = mapping.likert.get(answer.lower())
        if score is None and answer in ("1", "2", "3", "4", "5"):
            score = int(answer)
        if score is None:
            raise RecordRejected(
                Reason.INVALID_VALUE,
                f"field {column!r} holds {answer!r}, which is neither 1 to 5 nor in the mapping's 'likert'",
            )
        return score

    @staticmethod
    def _concerns(record: Mapping[str, Any], mapping: SurveyMapping) -> tuple[Theme, ...]:
        concerns: list[Theme] = []
        for column in mapping.concern_columns:
            for answer in _answers(values.text(record, column), mapping.separator):
                theme = mapping.themes.get(answer.lower())
                if theme is None:
                    raise RecordRejected(
                        Reason.UNMAPPED_CATEGORY,
                        f"field {column!r} holds {redact(answer)[0]!r}, "
                        "which the mapping's 'themes' does not list; add it",
                    )
                concerns.append(theme)
        comment_column = mapping.columns.get("comment")
        comment = values.text(record, comment_column) if comment_column else ""
        if comment:
            # The comment is never published; only the theme it is about is kept.
            heard = classify(comment)
            if heard is not Theme.OTHER:
                concerns.append(heard)
        return tuple(dict.fromkeys(concerns))

    @staticmethod
    def _groups(record: Mapping[str, Any], mapping: SurveyMapping) -> tuple[str, ...]:
        groups: list[str] = []
        for column, table in mapping.groups.items():
            for answer in _answers(values.text(record, column), mapping.separator):
                label = table.get(answer.lower())
                if label:
                    groups.append(label)
        return tuple(dict.fromkeys(groups))
