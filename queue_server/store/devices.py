"""Registered devices (kiosks, counter keypads, displays) and their credentials.

Only the password *hash* is stored, as given: hashing and checking passwords belong to the authentication
code. A device is revoked rather than deleted, so the log's ``device_id`` values keep a known owner and an id
is never silently reused by another device.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.contract.permissions import DeviceKind
from queue_server.store.audit_rows import AuditRow, store_audit
from queue_server.store.event_store import EventStore, StoreError
from queue_server.store.schema import devices as devices_table

log = logging.getLogger(__name__)


class DeviceExistsError(StoreError):
    """The device id is already registered (possibly revoked: ids are not reused)."""


class UnknownDeviceError(StoreError, LookupError):
    """No device has this id."""


@dataclass(frozen=True)
class Device:
    device_id: str
    kind: DeviceKind
    counter_id: str | None
    """The counter a counter keypad belongs to; None for other kinds."""
    password_hash: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class DeviceRegistry:
    """The devices table of an ``EventStore``'s database (run ``store.migrate()`` first)."""

    def __init__(self, store: EventStore) -> None:
        self._engine = store.engine

    def add(
        self,
        device_id: str,
        kind: DeviceKind | str,
        password_hash: str,
        counter_id: str | None = None,
        *,
        now: datetime | None = None,
        audit_row: AuditRow = None,
    ) -> Device:
        """Register a device (with ``audit_row`` in the same transaction); ``DeviceExistsError`` if the id was
        ever registered."""
        device = Device(
            device_id=device_id,
            kind=DeviceKind(kind),
            counter_id=counter_id,
            password_hash=password_hash,
            created_at=now or datetime.now(UTC),
            revoked_at=None,
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(devices_table),
                    {
                        "device_id": device.device_id,
                        "kind": device.kind.value,
                        "counter_id": device.counter_id,
                        "password_hash": device.password_hash,
                        "created_at": device.created_at,
                        "revoked_at": None,
                    },
                )
                store_audit(conn, audit_row)
        except IntegrityError as exc:
            if self.get(device_id) is not None:
                raise DeviceExistsError(f"device {device_id!r} is already registered") from exc
            raise StoreError(f"device {device_id!r} not registered: {exc.orig}") from exc
        log.info("device %s (%s) registered", device_id, device.kind.value)
        return device

    def get(self, device_id: str) -> Device | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(devices_table).where(devices_table.c.device_id == device_id)).first()
        return _device(row) if row is not None else None

    def list(self, *, include_revoked: bool = True) -> builtins.list[Device]:
        """All devices ordered by id; only active ones if ``include_revoked`` is False."""
        stmt = select(devices_table).order_by(devices_table.c.device_id)
        if not include_revoked:
            stmt = stmt.where(devices_table.c.revoked_at.is_(None))
        with self._engine.connect() as conn:
            return [_device(row) for row in conn.execute(stmt)]

    def revoke(self, device_id: str, *, now: datetime | None = None, audit_row: AuditRow = None) -> Device:
        """Revoke a device (its credentials stop working); revoking twice keeps the first time."""
        with self._engine.begin() as conn:
            if conn.execute(select(devices_table.c.device_id).where(devices_table.c.device_id == device_id)).first():
                store_audit(conn, audit_row)
            conn.execute(
                update(devices_table)
                .where(devices_table.c.device_id == device_id, devices_table.c.revoked_at.is_(None))
                .values(revoked_at=now or datetime.now(UTC))
            )
            row = conn.execute(select(devices_table).where(devices_table.c.device_id == device_id)).first()
        if row is None:
            raise UnknownDeviceError(f"no device {device_id!r}")
        log.info("device %s revoked", device_id)
        return _device(row)

    def set_password_hash(self, device_id: str, password_hash: str) -> None:
        """Replace a device's credentials (e.g. after a password reset)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(devices_table).where(devices_table.c.device_id == device_id).values(password_hash=password_hash)
            )
            if result.rowcount == 0:
                raise UnknownDeviceError(f"no device {device_id!r}")


def _device(row: Row[Any]) -> Device:
    return Device(
        device_id=row.device_id,
        kind=DeviceKind(row.kind),
        counter_id=row.counter_id,
        password_hash=row.password_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
