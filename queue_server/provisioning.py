"""Device credentials: register, list, revoke; keep an external Mosquitto's password and ACL files in step.

The embedded broker reads the registry on every connect, so nothing more is needed there.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Collection
from pathlib import Path

from queue_server.app import open_store, server_password
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.config import ConfigError, Settings
from queue_server.contract.topics import SERVER_USERNAME, valid_id
from queue_server.store.audit_rows import AuditRow
from queue_server.store.devices import Device, DeviceRegistry
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)


def add_device(settings: Settings, device_id: str, kind: str, counter_id: str | None) -> str:
    """Register a device; returns its new password (shown once, only its hash is kept)."""
    store = open_store(settings)
    try:
        password = register_device(store, device_id, kind, counter_id, {c.id for c in settings.counters})
        sync_mosquitto(settings, DeviceRegistry(store).list(include_revoked=False))
    finally:
        store.close()
    return password


def register_device(
    store: EventStore,
    device_id: str,
    kind: str,
    counter_id: str | None,
    known_counters: Collection[str],
    *,
    audit_row: AuditRow = None,
) -> str:
    """Register a device in an open store (the CLI and the admin pages); returns its password, never kept."""
    if not valid_id(device_id) or device_id == SERVER_USERNAME:
        raise ConfigError(f"device id {device_id!r}: use lowercase letters, digits and '-' (max 40)")
    if kind == "counter" and counter_id not in known_counters:
        raise ConfigError(f"a counter unit needs --counter, one of {sorted(known_counters)}")
    password = new_password()
    DeviceRegistry(store).add(device_id, kind, hash_password(password), counter_id, audit_row=audit_row)
    return password


def list_devices(settings: Settings) -> list[Device]:
    store = open_store(settings)
    try:
        return DeviceRegistry(store).list()
    finally:
        store.close()


def revoke_device(settings: Settings, device_id: str) -> None:
    store = open_store(settings)
    try:
        DeviceRegistry(store).revoke(device_id)
        sync_mosquitto(settings, DeviceRegistry(store).list(include_revoked=False))
    finally:
        store.close()


def sync_mosquitto(settings: Settings, devices: list[Device]) -> Path | None:
    """Rewrite Mosquitto's passwd and acl files and make it re-read them (SIGHUP), for ``broker.kind = mosquitto``."""
    if settings.broker.kind != "mosquitto" or settings.broker.mosquitto_dir is None:
        return None
    from queue_server.brokers.mosquitto import BrokerAccount, write_mosquitto_config

    accounts = [BrokerAccount(d.device_id, d.password_hash) for d in devices]
    accounts.append(BrokerAccount(SERVER_USERNAME, hash_password(server_password(settings))))
    conf = write_mosquitto_config(
        settings.broker.mosquitto_dir,
        office_id=settings.office.id,
        port=settings.broker.port,
        accounts=accounts,
        bind=settings.broker.host,
        run_as_root=os.geteuid() == 0,
    )
    pid_file = settings.broker.mosquitto_pid_file
    if pid_file is not None and pid_file.exists():
        os.kill(int(pid_file.read_text().strip()), signal.SIGHUP)
        logger.info("mosquitto reloaded its password and ACL files")
    return conf
