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

from queue_server.analytics.current import ProjectionKeeper
from queue_server.brokers.credentials import hash_password
from queue_server.config import Settings
from queue_server.contract.topics import SERVER_USERNAME
from queue_server.mqtt.server_link import ServerLink
from queue_server.office_marker import check_store, write_marker
from queue_server.province.office_replay import EventReplayer
from queue_server.service import DeviceInfo, OfficeService
from queue_server.stop_signals import stop_on_signals
from queue_server.store.devices import DeviceRegistry
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock, sync_probe

if TYPE_CHECKING:
    from queue_server.web.server import WebServer

logger = logging.getLogger(__name__)
DEVICE_CACHE_SECONDS = 5.0


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
    store = EventStore(url, settings.office.id)
    store.migrate(in_subprocess=True)
    return store


def server_password(settings: Settings) -> str:
    """The server's broker password: from config, or generated once and kept in data_dir (mode 0600)."""
    if settings.broker.server_password is not None:
        return settings.broker.server_password.get_secret_value()
    return data_dir_secret(settings, "server.secret")


def web_secret_key(settings: Settings) -> str:
    """The key signing the web's session cookies: from config, or generated once and kept in data_dir.

    Kept across restarts, so restarting the server does not sign everybody out.
    """
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value()
    return data_dir_secret(settings, "web.secret")


def data_dir_secret(settings: Settings, name: str) -> str:
    """A random secret generated on first use into ``data_dir/name``, readable only by the server's user."""
    return secret_file(settings.server.data_dir / name)


def secret_file(path: Path) -> str:
    """The secret kept in ``path``, generated on first use (mode 0600; the province server's web key too)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fp:
            fp.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


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
        self._devices: dict[str, tuple[DeviceInfo | None, float]] = {}
        self.web: WebServer | None = None
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
        return accounts

    def device_info(self, device_id: str) -> DeviceInfo | None:
        """Who a device is, cached briefly: read per request, while the broker already refuses revoked devices."""
        cached = self._devices.get(device_id)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        assert self.store is not None
        device = DeviceRegistry(self.store).get(device_id)
        info = (
            None
            if device is None or not device.active
            else DeviceInfo(device.device_id, device.kind.value, device.counter_id)
        )
        self._devices[device_id] = (info, now + DEVICE_CACHE_SECONDS)
        return info

    def start(self) -> OfficeServer:
        settings = self.settings
        settings.server.data_dir.mkdir(parents=True, exist_ok=True)
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
        if settings.broker.kind == "embedded":
            from queue_server.brokers.embedded import EmbeddedBroker

            self.broker = EmbeddedBroker(
                office_id=settings.office.id,
                port=settings.broker.port,
                host=settings.broker.host,
                accounts_provider=self.broker_accounts,
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
        )
        self.link.start(initial)
        # Answers the province's gap-fill requests (docs/province.md); idle when no bridge is configured.
        self.replayer = EventReplayer.connect(
            self.store,
            host=settings.broker.host,
            port=settings.broker.port,
            username=SERVER_USERNAME,
            password=password,
        )
        if settings.web.enabled:
            self.stats_keeper = ProjectionKeeper(self.store, lambda: service.state.setup or settings.office_setup())
            self.stats_keeper.start()
            try:
                self.web = self._web(service, self.link)
            except OSError as exc:
                # The queue (kiosks, counters, displays) matters more than the pages: keep it running.
                logger.error("web pages NOT started on %s:%s: %s", settings.web.host, settings.web.port, exc)
        return self

    def _web(self, service: OfficeService, link: ServerLink) -> WebServer:
        """The web pages on waitress threads: commands through the ingest thread, reads from the live view."""
        from queue_server.web.server import WebServer, build_app

        assert self.store is not None
        app = build_app(
            self.settings,
            web_secret_key(self.settings),
            store=self.store,
            live=service.live,
            execute=link.execute,
            clock=self.clock,
        )
        web = self.settings.web
        return WebServer(app, host=web.host, port=web.port, threads=web.threads).start()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.web is not None:
            self.web.stop()
        if self.stats_keeper is not None:
            self.stats_keeper.stop()
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
        done = stop_on_signals(logger)
        self.start()
        try:
            done.wait()
        finally:
            self.stop()
