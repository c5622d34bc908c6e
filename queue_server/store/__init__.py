"""The durable store: the office's event log, replies to devices' requests, and registered devices.

One code path for SQLite (default, embedded) and PostgreSQL: SQLAlchemy Core plus Alembic migrations.
Nothing connects at import time; ``EventStore(url, office_id).migrate()`` prepares a database.
"""

from queue_server.contract.permissions import DeviceKind
from queue_server.store.devices import Device, DeviceExistsError, DeviceRegistry, UnknownDeviceError
from queue_server.store.event_store import Commit, DuplicateRequestError, EventStore, StoredEvent, StoreError
from queue_server.store.jsonl import JsonlError, export_jsonl, import_jsonl

__all__ = [
    "Commit",
    "Device",
    "DeviceExistsError",
    "DeviceKind",
    "DeviceRegistry",
    "DuplicateRequestError",
    "EventStore",
    "JsonlError",
    "StoreError",
    "StoredEvent",
    "UnknownDeviceError",
    "export_jsonl",
    "import_jsonl",
]
