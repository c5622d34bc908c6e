"""Where a simulated day goes: an office store (SQLite or PostgreSQL, through ``EventStore.import_events``) or
a JSON Lines file that ``motcua events import`` accepts, so every report, dashboard and export reads it.

Event ids are drawn from the seed too: the same seed writes the very same file, and importing it twice adds
nothing (import is idempotent by event id).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from typing import IO

from queue_server.engine.events import Event
from queue_server.store.event_store import EventStore, StoredEvent
from queue_server.store.jsonl import record_to_dict


def stored_events(events: Sequence[Event], office_id: str, seed: int | str) -> list[StoredEvent]:
    ids = random.Random(f"{seed}:event-ids")
    return [
        StoredEvent(
            seq=n,
            event_id=str(uuid.UUID(int=ids.getrandbits(128), version=4)),
            office_id=office_id,
            device_id=None,
            request_id=None,
            event=event,
        )
        for n, event in enumerate(events, start=1)
    ]


def write_jsonl(records: Sequence[StoredEvent], fp: IO[str]) -> int:
    for record in records:
        fp.write(json.dumps(record_to_dict(record), ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(records)


def write_store(url: str, records: Sequence[StoredEvent], office_id: str) -> int:
    """Add the records to the store at ``url`` (tables made or upgraded first); returns how many were new."""
    store = EventStore(url, office_id)
    try:
        store.migrate()
        return store.import_events(records)
    finally:
        store.close()
