"""Records of engagement meetings (PACT and beat meetings, surgeries, street and online meetings).

No public source publishes these, so the format is ours: JSON Lines, one meeting a line (see
``data/meetings/README.md`` and the synthetic example that ``connectors/synthetic_meetings.py``
writes)::

    {"id": "CAM-PACT-0042", "when": "2026-01-14T19:00:00+00:00", "kind": "pact",
     "where": {"ward": "Kilburn"}, "attendance": 23,
     "attendee_groups": {"older_people": 6, "young_people": 2},
     "issues_raised": [{"theme": "drugs", "votes": 9}, {"text": "Cars racing on the high road", "votes": 4}],
     "priorities_agreed": ["drugs"],
     "actions_reported": [{"theme": "burglary", "action": "Crime prevention stall", "outcome": "completed",
                           "issue_date": "2025-11-12"}]}

``where`` is ``{"ward": NAME}``, ``{"neighbourhood_id": ID}``, ``{"lat": .., "lon": ..}`` or a bare id
or name. A time without an offset is London time. An issue without a theme is classified from its
text. Attendee groups are counts for the room, never people.

One record is one ``MeetingHeld`` event and one ``ActionRecorded`` per action reported back
(``reported_back`` is true: the meeting is where the community was told).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args

from pydantic import ValidationError

from connectors import values
from connectors.base import Context, SourceRecord, as_float, new_event, read_jsonl
from connectors.classify import classify
from connectors.placing import Neighbourhood
from connectors.rejections import Reason, RecordRejected
from events import ActionRecorded, Envelope, GroupCount, IssueRaised, MeetingHeld, Theme

SOURCE = "meetings"
MeetingKind = Literal["pact", "beat", "surgery", "street", "online"]
Outcome = Literal["completed", "in_progress", "no_action"]
KINDS: tuple[str, ...] = get_args(MeetingKind)
OUTCOMES: tuple[str, ...] = get_args(Outcome)


def _list(record: Mapping[str, Any], name: str) -> list[Any]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordRejected(Reason.INVALID_VALUE, f"field {name!r} must be a JSON array")
    return value


def _object(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RecordRejected(Reason.INVALID_VALUE, f"{name} must be a JSON object, got {value!r}")
    return value


def place(where: object, context: Context) -> Neighbourhood:
    """The meeting's neighbourhood: by ward name, by id, or by point."""
    if where is None or (isinstance(where, str) and not where.strip()):
        raise RecordRejected(
            Reason.UNPLACED, "field 'where' is missing: give a ward, a neighbourhood_id or lat/lon"
        )
    neighbourhoods = context.neighbourhoods
    if isinstance(where, str):
        return neighbourhoods.by_id_or_name(where)
    fields = _object(where, "field 'where'")
    if values.text(fields, "neighbourhood_id"):
        return neighbourhoods.by_id(values.text(fields, "neighbourhood_id"))
    if values.text(fields, "ward"):
        return neighbourhoods.by_name(values.text(fields, "ward"))
    latitude, longitude = as_float(fields, "lat"), as_float(fields, "lon")
    if latitude is None or longitude is None:
        raise RecordRejected(
            Reason.UNPLACED, "field 'where' holds no ward, neighbourhood_id, or both 'lat' and 'lon'"
        )
    return neighbourhoods.by_point(longitude, latitude)


def _groups(record: Mapping[str, Any], attendance: int | None) -> tuple[GroupCount, ...]:
    raw = record.get("attendee_groups")
    if raw is None:
        return ()
    counts: dict[str, int] = {}
    for label, value in _object(raw, "field 'attendee_groups'").items():
        group = values.group_label(label, "an attendee group")
        number = values.count(value, f"attendee_groups.{group}")
        if attendance is not None and number > attendance:
            raise RecordRejected(
                Reason.INVALID_VALUE,
                f"attendee_groups.{group} counts {number}, more than the attendance of {attendance}",
            )
        counts[group] = counts.get(group, 0) + number
    return tuple(GroupCount(group=group, count=number) for group, number in counts.items())


def _issue(raw: object, index: int) -> IssueRaised:
    where = f"issues_raised[{index}]"
    fields = _object(raw, where)
    summary = values.clip(values.text(fields, "text"))
    if values.text(fields, "theme"):
        theme = values.theme(fields["theme"], f"{where}.theme")
    elif summary:
        theme = classify(summary)
    else:
        raise RecordRejected(Reason.MISSING_FIELD, f"{where} has neither a 'theme' nor a 'text'")
    votes = values.count(fields.get("votes", 0), f"{where}.votes")
    return IssueRaised(theme=theme, summary=summary, votes=votes)


def _priorities(record: Mapping[str, Any]) -> tuple[Theme, ...]:
    agreed = [
        values.theme(value, f"priorities_agreed[{index}]")
        for index, value in enumerate(_list(record, "priorities_agreed"))
    ]
    return tuple(dict.fromkeys(agreed))


def _action(raw: object, index: int, held: datetime) -> ActionRecorded:
    where = f"actions_reported[{index}]"
    fields = _object(raw, where)
    action = values.clip(values.text(fields, "action"))
    reason = values.clip(values.text(fields, "reason"))
    outcome = values.text(fields, "outcome").lower()
    if not outcome:
        raise RecordRejected(Reason.MISSING_FIELD, f"{where}.outcome is missing: say {', '.join(OUTCOMES)}")
    if outcome not in OUTCOMES:
        raise RecordRejected(
            Reason.INVALID_VALUE, f"{where}.outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
        )
    if outcome == "no_action" and not reason:
        raise RecordRejected(Reason.MISSING_FIELD, f"{where} reports no action: give the 'reason'")
    if values.text(fields, "theme"):
        theme = values.theme(fields["theme"], f"{where}.theme")
    elif action:
        theme = classify(action)
    else:
        raise RecordRejected(Reason.MISSING_FIELD, f"{where} has neither a 'theme' nor an 'action'")
    issue_time = None
    if values.text(fields, "issue_date"):
        issue_time = values.day_or_time(fields["issue_date"], f"{where}.issue_date", values.LONDON)
        if issue_time > held:
            raise RecordRejected(
                Reason.INVALID_VALUE, f"{where}.issue_date is after the meeting that reported on it"
            )
    return ActionRecorded(
        theme=theme,
        action=action,
        outcome=cast(Outcome, outcome),
        reason=reason,
        issue_time=issue_time,
        reported_back=True,
        priority_ref=values.text(fields, "priority_ref")[: values.LABEL_LIMIT],
    )


class MeetingsConnector:
    name = SOURCE

    def records(self, path: Path) -> Iterator[SourceRecord]:
        return read_jsonl(path)

    def to_event(self, record: Mapping[str, Any], context: Context) -> Envelope:
        """The meeting alone, for callers that take one event a record; ingest takes ``to_events``."""
        return self.to_events(record, context)[0]

    def to_events(self, record: Mapping[str, Any], context: Context) -> tuple[Envelope, ...]:
        meeting_id = values.text(record, "id")
        if not meeting_id:
            raise RecordRejected(Reason.MISSING_FIELD, "field 'id' is missing or empty")
        if not values.text(record, "when"):
            raise RecordRejected(Reason.MISSING_FIELD, "field 'when' is missing or empty")
        held = values.timestamp(record["when"], "when", values.LONDON)
        kind = values.text(record, "kind").lower()
        if not kind:
            raise RecordRejected(Reason.MISSING_FIELD, "field 'kind' is missing or empty")
        if kind not in KINDS:
            raise RecordRejected(
                Reason.INVALID_VALUE, f"field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}"
            )
        neighbourhood = place(record.get("where"), context)
        attendance = record.get("attendance")
        present = None if attendance is None else values.count(attendance, "attendance")
        try:
            meeting = MeetingHeld(
                meeting_kind=cast(MeetingKind, kind),
                attendance=present,
                attendee_groups=_groups(record, present),
                issues_raised=tuple(
                    _issue(raw, index) for index, raw in enumerate(_list(record, "issues_raised"))
                ),
                priorities_agreed=_priorities(record),
            )
            actions = [
                _action(raw, index, held) for index, raw in enumerate(_list(record, "actions_reported"))
            ]
        except ValidationError as error:
            raise values.invalid(error) from error
        return (
            new_event(SOURCE, meeting_id, held, neighbourhood, meeting, context),
            *(
                # Reported back at the meeting: the action's time is the meeting's.
                new_event(SOURCE, f"{meeting_id}\x1faction\x1f{index}", held, neighbourhood, action, context)
                for index, action in enumerate(actions)
            ),
        )
