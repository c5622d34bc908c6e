"""Export and import of an office's event log as JSON Lines (format: docs/events.md).

The file is the portable form of the log: backups, moving an office to another database, feeding tools. Import
is all-or-nothing and idempotent by ``event_id``, so the same file can be imported again without harm.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import IO, Any

from queue_server.engine.codec import event_from_dict, event_to_dict
from queue_server.store.event_store import CorruptEventError, EventStore, StoredEvent, StoreError
from queue_server.store.schema import EVENT_ID_LENGTH, ID_LENGTH

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_FIELDS = frozenset({"schema", "seq", "event_id", "office_id", "device_id", "request_id", "event"})


class JsonlError(StoreError, ValueError):
    """A line of a JSON Lines file is not a valid event record; nothing was imported."""

    def __init__(self, line_number: int, problem: str) -> None:
        super().__init__(f"line {line_number}: {problem}")
        self.line_number = line_number
        self.problem = problem


def record_to_dict(stored: StoredEvent) -> dict[str, Any]:
    """The JSON Lines record of one stored event."""
    return {
        "schema": SCHEMA_VERSION,
        "seq": stored.seq,
        "event_id": stored.event_id,
        "office_id": stored.office_id,
        "device_id": stored.device_id,
        "request_id": stored.request_id,
        "event": event_to_dict(stored.event),
    }


def province_record(stored: StoredEvent) -> dict[str, Any]:
    """The record as published to the province: without the citizen's masked name, which only the office's
    counter screens use (statistics never read it; the province decodes its absence as null)."""
    record = record_to_dict(stored)
    record["event"].pop("display_name", None)
    return record


def record_from_dict(data: Any) -> StoredEvent:
    """Validate one parsed record; raises ``ValueError`` (or the codec's ``DecodeError``) saying why."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if data.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"unsupported schema {data.get('schema')!r} (expected {SCHEMA_VERSION})")
    unknown = set(data) - _FIELDS
    missing = _FIELDS - set(data)
    if unknown or missing:
        raise ValueError(f"unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ValueError(f"seq must be a positive integer, got {seq!r}")
    event_id = _text(data, "event_id", EVENT_ID_LENGTH, optional=False)
    office_id = _text(data, "office_id", ID_LENGTH, optional=False)
    if not isinstance(data["event"], dict):
        raise ValueError("event must be a JSON object")
    event = event_from_dict(data["event"])
    if event.at.tzinfo is None or event.at.utcoffset() is None:
        raise ValueError(f"event time {data['event'].get('at')!r} has no UTC offset")
    return StoredEvent(
        seq=seq,
        event_id=str(event_id),
        office_id=str(office_id),
        device_id=_text(data, "device_id", ID_LENGTH, optional=True),
        request_id=_text(data, "request_id", ID_LENGTH, optional=True),
        event=event,
    )


def _text(data: dict[str, Any], name: str, max_length: int, *, optional: bool) -> str | None:
    value = data[name]
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise ValueError(f"{name} must be a non-empty string of at most {max_length} chars, got {value!r}")
    if not value.isprintable():
        # PostgreSQL refuses NUL in text, and no id motcua makes has control characters: refuse the one record
        # here, rather than a whole import failing in the database.
        raise ValueError(f"{name} must not contain control characters, got {value!r}")
    return value


def export_jsonl(store: EventStore, fp: IO[str], skipped: list[CorruptEventError] | None = None) -> int:
    """Write the store's events, in seq order, one JSON object per line; returns how many were written.

    An export is the backup of last resort, so it always finishes: a stored event that cannot be decoded is
    logged (seq and id, never its payload), appended to ``skipped`` and left out; the rest is written.
    """
    count = 0

    def corrupt(error: CorruptEventError) -> None:
        log.error("export: event seq=%d id=%s skipped: %s", error.seq, error.event_id, error.reason)
        if skipped is not None:
            skipped.append(error)

    for stored in store.events(on_corrupt=corrupt):
        fp.write(json.dumps(record_to_dict(stored), ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    log.info("exported %d events of office %s", count, store.office_id)
    return count


def import_jsonl(store: EventStore, fp: Iterable[str]) -> int:
    """Import a JSON Lines export into ``store``; returns how many events were new.

    Raises ``JsonlError`` naming the first bad line; then nothing at all is imported (one transaction).
    Events of another office are refused: a store holds one office's log.
    """
    return store.import_events(_records(fp, store.office_id))


def _records(lines: Iterable[str], office_id: str) -> Iterator[StoredEvent]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = record_from_dict(json.loads(line))
        except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError and DecodeError are ValueErrors
            raise JsonlError(number, str(exc)) from exc
        if record.office_id != office_id:
            raise JsonlError(number, f"event of office {record.office_id!r}, this store is {office_id!r}")
        yield record
