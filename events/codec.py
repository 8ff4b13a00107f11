"""One codec for every pydantic model on the wire: UTF-8 JSON, with explicit upcasting.

faust ``Record`` types decode nested records only at the top level, so the worker registers
this codec instead and every producer (connectors, worker) uses the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from events.envelope import Envelope, EventType

Model = TypeVar("Model", bound=BaseModel)

CURRENT_VERSION: dict[EventType, int] = dict.fromkeys(EventType, 1)
"""The schema version each event type is written at today."""

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[EventType, int], Upcaster] = {}
"""``(type, v) -> f`` turns a version-``v`` envelope dict into version ``v + 1``.

Register one beside any change to a payload, so that the retained log still decodes.
"""


class UndecodableEvent(ValueError):
    """Bytes on an event topic that are not a valid envelope of a known type and version."""


def encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode("utf-8")


def upcast(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an envelope dict written at any older version up to the current one."""
    try:
        event_type = EventType(data["event_type"])
        version = int(data.get("schema_version", 1))
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        # OverflowError: a schema_version of infinity, which JSON readers accept.
        raise UndecodableEvent(f"not an envelope with a known event_type: {exc}") from exc
    current = CURRENT_VERSION[event_type]
    if version < 1:
        raise UndecodableEvent(f"schema_version must be 1 or more, got {version}")
    if version > current:
        raise UndecodableEvent(
            f"{event_type.value} v{version} is newer than this build knows (v{current}); "
            "upgrade the worker before the connectors"
        )
    while version < current:
        data = UPCASTERS[(event_type, version)](data)
        version += 1
        data["schema_version"] = version
    return data


def decode_envelope(raw: bytes | str) -> Envelope:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UndecodableEvent(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UndecodableEvent("an envelope must be a JSON object")
    try:
        return Envelope.model_validate(upcast(data))
    except ValidationError as exc:
        raise UndecodableEvent(str(exc)) from exc


def decode(model: type[Model], raw: bytes | str) -> Model:
    return model.model_validate_json(raw)
