"""Composition root of the office server: config -> store -> broker -> service -> MQTT link -> web pages.

Nothing connects at import time; ``OfficeServer.start`` wires everything, ``stop`` undoes it in reverse.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queue_server.admission import AdmissionGate, limits_from
from queue_server.analytics.current import ProjectionKeeper
from queue_server.brokers.credentials import hash_password
from queue_server.config import Settings
from queue_server.contract.topics import MONITOR_USERNAME, REPLAYER_USERNAME, SERVER_USERNAME
from queue_server.mqtt.event_replayer import EventReplayer
from queue_server.mqtt.server_link import ServerLink
from queue_server.office_marker import check_store, write_marker
from queue_server.private_views import CounterDevices
from queue_server.service import DeviceInfo, OfficeService
from queue_server.stop_signals import stop_on_signals
from queue_server.store.db import sqlite_file
from queue_server.store.devices import DeviceRegistry
from queue_server.store.event_store import EventStore
from queue_server.store.health import StoreHealth
from queue_server.trusted_clock import TrustedClock, sync_probe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from queue_server.brokers.certs import OfficeCertificates
    from queue_server.remote.wiring import RemoteParts
    from queue_server.web.server import WebServer

logger = logging.getLogger(__name__)
DEVICE_CACHE_SECONDS = 5.0
REVOKED_DROP_DELAY_SECONDS = 1.0
REVOKE_CHECK_SECONDS = 2.0
"""How often the embedded broker re-reads the accounts and drops revoked devices (``motcua device revoke``
runs in another process)."""


def sqlite_parent(url: str) -> Path | None:
    """The folder a ``sqlite:///relative/or//absolute`` URL needs, so a fresh office starts without set-up."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url[len(prefix) :]).parent
    return None


def open_store(settings: Settings) -> EventStore:
    url = settings.store.url.get_secret_value()
    parent = sqlite_parent(url)
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
        private_sqlite_files(Path(url[len("sqlite:///") :]))
    store = EventStore(url, settings.office.id)
    store.migrate(in_subprocess=True)
    return store


def private_sqlite_files(path: Path) -> None:
    """Create the database file readable by the server's user only (0600): it holds password hashes and masked
    names. SQLite gives its -wal and -shm files the database file's mode; files made before are tightened."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(mode & 0o700)
                logger.warning("%s was readable by other users (mode %o); now %o", file, mode, mode & 0o700)
        except FileNotFoundError:
            continue


def store_health(settings: Settings, store: EventStore) -> StoreHealth:
    """The free-space floor watches the SQLite file's folder; PostgreSQL's disk is not visible from here."""
    database = sqlite_file(store.engine)
    return StoreHealth(None if database is None else database.parent, min_free_mb=settings.store.min_free_mb)


def server_password(settings: Settings) -> str:
    """The server's broker password: from config, or generated once and kept in data_dir (mode 0600)."""
    if settings.broker.server_password is not None:
        return settings.broker.server_password.get_secret_value()
    return data_dir_secret(settings, "server.secret")


def replayer_password(settings: Settings) -> str:
    """The event replayer's broker password (``motcua-replayer``): from config, or generated into data_dir."""
    if settings.broker.replayer_password is not None:
        return settings.broker.replayer_password.get_secret_value()
    return data_dir_secret(settings, "replayer.secret")


def office_certificates(settings: Settings) -> OfficeCertificates | None:
    """With ``[broker] tls``: the office CA and the broker's certificate in ``data_dir/tls``, made or renewed."""
    if not settings.broker.tls:
        return None
    from queue_server.brokers.certs import ensure_office_certificates

    hosts = [*settings.broker.cert_hosts]
    if settings.broker.tls_host not in ("0.0.0.0", "::", ""):
        hosts.append(settings.broker.tls_host)
    return ensure_office_certificates(settings.server.data_dir / "tls", settings.office.id, hosts)


def web_certificate(settings: Settings, names: Sequence[str] = ()) -> tuple[Path, Path]:
    """The web's HTTPS certificate and key from the office CA (``data_dir/tls/web.pem``), made or renewed.

    Its names: ``names`` (nginx's server names), ``[broker] cert_hosts`` (the server's LAN names and addresses),
    ``[web] host`` when it is one address, and this machine's name and loopback.
    """
    from queue_server.brokers.certs import ensure_web_certificate

    hosts = [n for n in names if n not in ("_", "")] + [*settings.broker.cert_hosts]
    if settings.web.host not in ("0.0.0.0", "::", ""):
        hosts.append(settings.web.host)
    return ensure_web_certificate(settings.server.data_dir / "tls", settings.office.id, hosts)


def web_secret_key(settings: Settings) -> str:
    """The key signing the web's session cookies: from config, or generated once and kept in data_dir.

    Kept across restarts, so restarting the server does not sign everybody out.
    """
    if settings.web.secret_key is not None:
        from queue_server.secret_files import check_secret

        return check_secret(settings.web.secret_key.get_secret_value(), "web.secret_key (configuration)")
    return data_dir_secret(settings, "web.secret")


def data_dir_secret(settings: Settings, name: str) -> str:
    """A random secret generated on first use into ``data_dir/name``, readable only by the server's user."""
    return secret_file(settings.server.data_dir / name)


def secret_file(path: Path) -> str:
    """The secret kept in ``path``, generated on first use, written atomically, mode 0600 (the province server's
    web key too); ``ConfigError`` naming the file when it is empty or too short (``queue_server.secret_files``)."""
    from queue_server.secret_files import secret_file as read_or_create

    return read_or_create(path)


class OfficeServer:
    def __init__(self, settings: Settings, *, accept_empty_store: bool = False) -> None:
        """``accept_empty_store``: start even if the store is empty while the data folder says it had events."""
        self.settings = settings
        self.accept_empty_store = accept_empty_store
        self.store: EventStore | None = None
        self.broker: Any = None
        self.link: ServerLink | None = None
        self.replayer: EventReplayer | None = None
        self.stats_keeper: ProjectionKeeper | None = None
        self._stopped = threading.Event()
        self._server_hash = ""
        self._replayer_hash = ""
        self._monitor_hash = ""
        self._devices: dict[str, tuple[DeviceInfo | None, float]] = {}
        self._counter_devices: tuple[CounterDevices, float] | None = None
        self.web: WebServer | None = None
        self.remote: RemoteParts | None = None
        self.service: OfficeService | None = None
        clock = settings.clock
        self.clock = TrustedClock(
            sync=sync_probe(clock.require_sync, clock.synced_file), jump_alarm_seconds=clock.jump_alarm_minutes * 60
        )
        """The service's clock, and the judge of whether it may issue numbers (docs/architecture.md)."""

    def broker_accounts(self) -> dict[str, str]:
        """Username -> password hash for every active device, plus the server itself."""
        assert self.store is not None
        accounts = {d.device_id: d.password_hash for d in DeviceRegistry(self.store).list(include_revoked=False)}
        accounts[SERVER_USERNAME] = self._server_hash
        accounts[REPLAYER_USERNAME] = self._replayer_hash
        if self._monitor_hash:
            accounts[MONITOR_USERNAME] = self._monitor_hash
        return accounts

    def device_info(self, device_id: str) -> DeviceInfo | None:
        """Who a device is, cached briefly: read per request, while the broker already refuses revoked devices."""
        cached = self._devices.get(device_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        assert self.store is not None
        try:
            device = DeviceRegistry(self.store).get(device_id)
        except Exception:
            if cached is not None:  # the database is down: who the device was a moment ago still holds
                return cached[0]
            raise
        info = (
            None
            if device is None or not device.active
            else DeviceInfo(device.device_id, device.kind.value, device.counter_id)
        )
        if len(self._devices) >= 10_000:  # ids come from the broker's usernames; bounded anyway
            self._devices.clear()
        self._devices[device_id] = (info, now + DEVICE_CACHE_SECONDS)
        if info is None and cached is not None and cached[0] is not None:
            self._revoked_while_connected(device_id)
        return info

    def _revoked_while_connected(self, device_id: str) -> None:
        """A device still sending was revoked: the embedded broker drops its connection now (it cannot log in
        again), as Mosquitto does on the SIGHUP of ``motcua device revoke``, instead of at its next re-check."""
        logger.info("device=%s revoked while connected; answered unknown_device, then dropped", device_id)
        broker = self.broker
        if broker is not None and hasattr(broker, "disconnect_revoked"):
            # A moment later, so the unknown_device reply of this request reaches it first.
            timer = threading.Timer(REVOKED_DROP_DELAY_SECONDS, broker.disconnect_revoked)
            timer.daemon = True
            timer.start()

    def counter_devices(self) -> CounterDevices:
        """The registry's counter units (active ones by counter, revoked ones), cached like ``device_info``."""
        now = time.monotonic()
        if self._counter_devices is not None and self._counter_devices[1] > now:
            return self._counter_devices[0]
        assert self.store is not None
        units = [d for d in DeviceRegistry(self.store).list() if d.kind.value == "counter"]
        found = CounterDevices(
            {d.device_id: d.counter_id for d in units if d.active and d.counter_id},
            frozenset(d.device_id for d in units if not d.active),
        )
        self._counter_devices = (found, now + DEVICE_CACHE_SECONDS)
        return found

    def start(self) -> OfficeServer:
        settings = self.settings
        settings.server.data_dir.mkdir(parents=True, exist_ok=True)
        # An unusable web key stops the start here, with the file named, before anything runs.
        web_key = web_secret_key(settings) if settings.web.enabled else ""
        self.store = open_store(settings)
        url = settings.store.url.get_secret_value()
        check_store(
            settings.server.data_dir,
            settings.office.id,
            url,
            self.store.last_seq(),
            accept_empty=self.accept_empty_store,
        )
        password = server_password(settings)
        self._server_hash = hash_password(password)
        replayer = replayer_password(settings)
        self._replayer_hash = hash_password(replayer)
        if settings.broker.monitor_password is not None:
            self._monitor_hash = hash_password(settings.broker.monitor_password.get_secret_value())
        certificates = office_certificates(settings)
        if settings.broker.kind == "embedded":
            from queue_server.brokers.embedded import EmbeddedBroker, TlsListener

            tls = None
            if certificates is not None:
                tls = TlsListener(
                    settings.broker.tls_host,
                    settings.broker.tls_port,
                    certificates.server_cert,
                    certificates.server_key,
                )
            self.broker = EmbeddedBroker(
                office_id=settings.office.id,
                port=settings.broker.port,
                host=settings.broker.host,
                accounts_provider=self.broker_accounts,
                # re-checks compare hashes only (cheap): a revoked device is dropped within seconds
                recheck_interval=REVOKE_CHECK_SECONDS,
                tls=tls,
            )
            self.broker.start()
            logger.info("embedded broker listening on %s:%s", settings.broker.host, settings.broker.port)
        service = OfficeService(
            setup=settings.office_setup(),
            store=self.store,
            devices=self.device_info,
            clock=self.clock,
            new_id=lambda: secrets.token_urlsafe(12),
            max_payload_bytes=settings.server.max_payload_bytes,
            counter_devices=self.counter_devices,
            health=store_health(settings, self.store),
            wal_checkpoint_seconds=settings.store.wal_checkpoint_minutes * 60.0,
            forecast=settings.forecast.policy(),
            check_in_before_minutes=settings.remote.check_in_before_minutes if settings.remote.enabled else None,
        )
        initial = service.start()
        self.service = service
        write_marker(settings.server.data_dir, settings.office.id, url, self.store.last_seq())
        self.link = ServerLink(
            service,
            host=settings.broker.host,
            port=settings.broker.port,
            username=SERVER_USERNAME,
            password=password,
            max_batch=settings.server.max_batch,
            gate=AdmissionGate(
                settings.office.id,
                limits=limits_from(settings.limits),
                devices=self.device_info,
                earlier_reply=service.earlier_reply,
                live=service.live,
                refusals_per_minute=settings.limits.refusals_per_minute,
            ),
        )
        self.link.start(initial)
        # Answers the province's gap-fill requests (docs/province.md); idle when no bridge is configured.
        self.replayer = EventReplayer.connect(
            self.store,
            host=settings.broker.host,
            port=settings.broker.port,
            username=REPLAYER_USERNAME,
            password=replayer,
        )
        if settings.remote.enabled:
            from queue_server.notify.notifier import LogNotifier
            from queue_server.remote.wiring import start_remote

            # Until an SMS backend is configured, the log-only notifier (the demo's) stands behind the codes.
            self.remote = start_remote(settings, self.store, service.live, self.link.execute, LogNotifier())
        if settings.web.enabled:
            self.stats_keeper = ProjectionKeeper(self.store, lambda: service.state.setup or settings.office_setup())
            self.stats_keeper.start()
            try:
                self.web = self._web(service, self.link, web_key)
            except OSError as exc:
                # The queue (kiosks, counters, displays) matters more than the pages: keep it running.
                logger.error("web pages NOT started on %s:%s: %s", settings.web.host, settings.web.port, exc)
        return self

    def _web(self, service: OfficeService, link: ServerLink, secret_key: str) -> WebServer:
        """The web pages on waitress threads: commands through the ingest thread, reads from the live view."""
        from queue_server.web.server import WebServer, build_app

        assert self.store is not None
        app = build_app(
            self.settings,
            secret_key,
            store=self.store,
            live=service.live,
            execute=link.execute,
            clock=self.clock,
            remote=self.remote.desk if self.remote is not None else None,
        )
        web = self.settings.web
        return WebServer(app, host=web.host, port=web.port, threads=web.threads, protection=web).start()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.web is not None:
            self.web.stop()
        if self.stats_keeper is not None:
            self.stats_keeper.stop()
        if self.remote is not None:
            self.remote.stop()
        if self.link is not None:
            self.link.stop()
        if self.replayer is not None:
            self.replayer.stop()
        if self.broker is not None:
            self.broker.stop()
        if self.store is not None:
            if self.service is not None:
                settings = self.settings
                url = settings.store.url.get_secret_value()
                try:
                    write_marker(settings.server.data_dir, settings.office.id, url, self.store.last_seq())
                except Exception:
                    logger.exception("the office marker could not be updated at stop")
            self.store.close()

    def run_forever(self) -> None:
        """Run until SIGINT/SIGTERM (systemd stops us with SIGTERM)."""
        from queue_server.contract.systemd_notify import Watchdog

        done = stop_on_signals(logger)
        self.start()
        watchdog = Watchdog()  # systemd (Type=notify, WatchdogSec): ready now, then pinged while the ingest runs
        watchdog.ready(f"office {self.settings.office.id} serving")
        try:
            while not done.wait(1.0):
                watchdog.tick(self.link is not None and self.link.worker_alive())
        finally:
            watchdog.stopping()
            self.stop()
