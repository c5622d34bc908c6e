"""Events to and from plain JSON-ready dicts: the one encoding used by the store, JSON Lines and MQTT.

Generic over the dataclasses in this package, so a new event or setup field needs no codec change.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime, time
from enum import Enum
from functools import cache
from typing import Any

from queue_server.engine.events import EVENT_TYPES, Event


class DecodeError(ValueError):
    """A stored or received event does not match the schema of its type."""


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        # "07:30", the shape opening hours are written in by people (config, admin page, hours_to_json)
        return value.isoformat(timespec="minutes" if not value.second and not value.microsecond else "auto")
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def event_to_dict(event: Event) -> dict[str, Any]:
    """``{"type": "TicketIssued", "at": "...", ...fields}``."""
    body = to_jsonable(event)
    return {"type": type(event).__name__, **body}


def event_from_dict(data: dict[str, Any]) -> Event:
    try:
        cls = EVENT_TYPES[data["type"]]
    except (KeyError, TypeError) as exc:
        raise DecodeError(f"unknown event type: {data.get('type') if isinstance(data, dict) else data!r}") from exc
    fields = {k: v for k, v in data.items() if k != "type"}
    event = from_jsonable(cls, fields)
    assert isinstance(event, Event)
    return event


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_jsonable(inner[0], value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise DecodeError(f"expected a list for {tp}, got {value!r}")
        item_type = typing.get_args(tp)[0]
        return tuple(from_jsonable(item_type, v) for v in value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise DecodeError(f"expected an object for {tp.__name__}, got {value!r}")
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        unknown = set(value) - known
        if unknown:
            raise DecodeError(f"{tp.__name__}: unknown fields {sorted(unknown)}")
        kwargs = {name: from_jsonable(hints[name], v) for name, v in value.items()}
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise DecodeError(f"{tp.__name__}: {exc}") from exc
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError as exc:
            raise DecodeError(str(exc)) from exc
    if tp is datetime:
        return _parse(datetime.fromisoformat, value)
    if tp is date:
        return _parse(date.fromisoformat, value)
    if tp is time:
        return _parse(time.fromisoformat, value)
    if tp is bool:
        if not isinstance(value, bool):
            raise DecodeError(f"expected true/false, got {value!r}")
        return value
    if tp in (int, str):
        if not isinstance(value, tp) or isinstance(value, bool):
            raise DecodeError(f"expected {tp.__name__}, got {value!r}")
        return value
    raise DecodeError(f"unsupported type {tp!r}")


def _parse(parser: Any, value: Any) -> Any:
    if not isinstance(value, str):
        raise DecodeError(f"expected an ISO date/time string, got {value!r}")
    try:
        return parser(value)
    except ValueError as exc:
        raise DecodeError(str(exc)) from exc
