"""Device credentials: register, list, revoke; keep an external Mosquitto's password and ACL files in step.

The embedded broker re-reads the registry every couple of seconds (and on every connect), so nothing more is
needed there. With ``[broker] tls`` the office CA is what a device needs to verify the broker:
``device add`` writes a copy beside the config (``<device>.ca.pem`` in ``data_dir/devices``) and says where.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Collection
from pathlib import Path

from queue_server.app import office_certificates, open_store, replayer_password, server_password
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.config import ConfigError, Settings
from queue_server.contract.permissions import BOUND_TO_A_COUNTER
from queue_server.contract.topics import (
    MONITOR_USERNAME,
    REPLAYER_USERNAME,
    RESERVED_PREFIX,
    SERVER_USERNAME,
    valid_id,
)
from queue_server.engine import events as ev
from queue_server.store.audit_rows import AuditRow
from queue_server.store.devices import Device, DeviceRegistry
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)


def add_device(settings: Settings, device_id: str, kind: str, counter_id: str | None) -> str:
    """Register a device; returns its new password (shown once, only its hash is kept).

    A counter unit's counter is checked against the setup in force, the event log's last ``OfficeConfigured``
    (a counter added in the admin pages counts, one removed there does not), not the TOML file; before the
    server ever started, the file's setup is what it will record, so that is used."""
    store = open_store(settings)
    try:
        password = register_device(store, device_id, kind, counter_id, recorded_counters(store, settings))
        sync_mosquitto(settings, DeviceRegistry(store).list(include_revoked=False))
    finally:
        store.close()
    return password


def recorded_counters(store: EventStore, settings: Settings) -> set[str]:
    """The counter ids of the setup in force (the event log's), else of the config file (nothing recorded yet)."""
    last = store.last_of_type(ev.OfficeConfigured)
    if last is not None and isinstance(last.event, ev.OfficeConfigured):
        return {c.id for c in last.event.setup.counters}
    return {c.id for c in settings.counters}


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
    check_device_id(device_id, store.office_id)
    bound = kind in BOUND_TO_A_COUNTER
    if bound and counter_id not in known_counters:
        raise ConfigError(f"a counter unit needs --counter, one of {sorted(known_counters)}")
    if not bound and counter_id is not None:
        raise ConfigError(f"--counter is only for a counter unit, not a {kind}")
    password = new_password()
    DeviceRegistry(store).add(device_id, kind, hash_password(password), counter_id, audit_row=audit_row)
    return password


def check_device_id(device_id: str, office_id: str) -> None:
    """Refuse ids that are not safe in topics, or that name one of motcua's own accounts or the office."""
    if not valid_id(device_id):
        raise ConfigError(f"device id {device_id!r}: use lowercase letters, digits and '-' (max 40)")
    if device_id.startswith(RESERVED_PREFIX) or device_id == office_id:
        raise ConfigError(
            f"device id {device_id!r} is reserved (motcua's own accounts start with {RESERVED_PREFIX!r}; the office "
            f"id {office_id!r} is the office's account at the province): choose another, e.g. 'kiosk-01'"
        )


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


def device_ca_file(settings: Settings, device_id: str) -> Path | None:
    """With TLS on: a copy of the office CA for ``device_id`` (``data_dir/devices/<id>.ca.pem``), else None."""
    certificates = office_certificates(settings)
    if certificates is None:
        return None
    folder = settings.server.data_dir / "devices"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{device_id}.ca.pem"
    target.write_bytes(certificates.ca_cert.read_bytes())  # public: the CA's certificate, never its key
    return target


def sync_mosquitto(settings: Settings, devices: list[Device]) -> Path | None:
    """Rewrite Mosquitto's passwd and acl files and make it re-read them (SIGHUP), for ``broker.kind = mosquitto``."""
    if settings.broker.kind != "mosquitto" or settings.broker.mosquitto_dir is None:
        return None
    from queue_server.brokers.mosquitto import BrokerAccount, MosquittoTls, write_mosquitto_config

    accounts = [BrokerAccount(d.device_id, d.password_hash) for d in devices]
    accounts.append(BrokerAccount(SERVER_USERNAME, hash_password(server_password(settings))))
    accounts.append(BrokerAccount(REPLAYER_USERNAME, hash_password(replayer_password(settings))))
    if settings.broker.monitor_password is not None:
        monitor = settings.broker.monitor_password.get_secret_value()
        accounts.append(BrokerAccount(MONITOR_USERNAME, hash_password(monitor)))
    certificates = office_certificates(settings)
    tls = None
    if certificates is not None:
        broker = settings.broker
        tls = MosquittoTls(
            broker.tls_port, broker.tls_host, certificates.ca_cert, certificates.server_cert, certificates.server_key
        )
    pid_file = settings.broker.mosquitto_pid_file
    conf = write_mosquitto_config(
        settings.broker.mosquitto_dir,
        office_id=settings.office.id,
        port=settings.broker.port,
        accounts=accounts,
        bind=settings.broker.host,
        run_as_root=os.geteuid() == 0 and not settings.broker.mosquitto_include,
        tls=tls,
        include_mode=settings.broker.mosquitto_include,
        pid_file=pid_file,
        # Debian's broker drops root before reading passwd and acl: they must be readable by its group
        group="mosquitto" if settings.broker.mosquitto_include else None,
    )
    if pid_file is not None and pid_file.exists():
        os.kill(int(pid_file.read_text().strip()), signal.SIGHUP)
        logger.info("mosquitto reloaded its password and ACL files")
    return conf
