"""``motcua province``: run the province ingest, and the province dashboard on its web port, until SIGTERM/SIGINT;
``add_province_user``: a web user of the province database (``motcua province add-user``)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server import logs
from queue_server.province.config import ProvinceSettings, load_province_settings
from queue_server.province.cursors import migrate as migrate_cursors
from queue_server.province.ingest import IngestOptions, ProvinceIngest
from queue_server.stop_signals import stop_on_signals
from queue_server.store import db
from queue_server.store.event_store import EventStore

if TYPE_CHECKING:
    from queue_server.analytics.current import ProjectionKeeper
    from queue_server.web.server import WebServer

logger = logging.getLogger(__name__)
PROVINCE_FILE = Path("/etc/motcua/province.toml")


def make_ingest(settings: ProvinceSettings) -> ProvinceIngest:
    options = IngestOptions(
        offices=frozenset(settings.offices),
        resend_timeout=settings.ingest.resend_timeout_seconds,
        heartbeat=settings.ingest.heartbeat_seconds,
        client_id=settings.broker.client_id,
        max_batch=settings.ingest.max_batch,
    )
    return ProvinceIngest(
        settings.store.url.get_secret_value(),
        host=settings.broker.host,
        port=settings.broker.port,
        password=settings.broker.password.get_secret_value(),
        options=options,
    )


def province_main(settings_path: Path | None = None) -> int:
    """Load the settings (default /etc/motcua/province.toml), run the ingest until a stop signal; exit status.

    Raises ``ConfigError`` for a missing or invalid file (``motcua``'s main prints it and exits with 2).
    """
    settings = load_province_settings(settings_path or PROVINCE_FILE)
    logs.configure(settings.ingest.log_level)
    done = stop_on_signals(logger)
    dashboard = ProvinceDashboard(settings) if settings.web.enabled else None  # a taken port fails here, first
    ingest = make_ingest(settings).start()
    logger.info("province ingest running for %d offices", len(settings.offices))
    if dashboard is not None:
        dashboard.start()
    from queue_server.contract.systemd_notify import Watchdog

    watchdog = Watchdog()  # systemd's Type=notify and WatchdogSec (systemd/motcua-province.service)
    watchdog.ready(f"province ingest for {len(settings.offices)} offices")
    try:
        while not done.wait(1.0):
            watchdog.tick()
    finally:
        watchdog.stopping()
        if dashboard is not None:
            dashboard.stop()
        ingest.stop()
    return 0


def web_secret_key(settings: ProvinceSettings) -> str:
    """From the settings, or generated once into ``data_dir/province-web.secret`` (0600): kept across restarts,
    so a restart signs nobody out."""
    from queue_server.app import secret_file
    from queue_server.secret_files import check_secret

    if settings.web.secret_key is not None:
        return check_secret(settings.web.secret_key.get_secret_value(), "web.secret_key (province settings)")
    return secret_file(settings.data_dir / "province-web.secret")


class ProvinceDashboard:
    """The province web app on waitress (``web.server.WebServer``) and the thread keeping its statistics current,
    on an engine of their own (the ingest's pool stays the ingest's)."""

    def __init__(self, settings: ProvinceSettings) -> None:
        from queue_server.web.province import create_province_app
        from queue_server.web.province_offices import province_keeper
        from queue_server.web.server import WebServer, protection_config

        self.engine = db.make_engine(settings.store.url.get_secret_value())
        EventStore("", "-", engine=self.engine).migrate()  # at head already when the ingest started: a no-op
        migrate_cursors(self.engine)  # the watermarks the statistics fold up to (province.office_order)
        web = settings.web
        config = {
            "SECRET_KEY": web_secret_key(settings),
            "PERMANENT_SESSION_LIFETIME": timedelta(minutes=web.session_minutes),
            **protection_config(web),
        }
        app = create_province_app(config, engine=self.engine)
        self.server: WebServer = WebServer(app, host=web.host, port=web.port, threads=web.threads, protection=web)
        self.keeper: ProjectionKeeper = province_keeper(self.engine)

    def start(self) -> ProvinceDashboard:
        self.keeper.start()
        self.server.start()
        logger.info("province dashboard on %sprovince", self.server.url)
        return self

    def stop(self) -> None:
        self.server.stop()
        self.keeper.stop()
        self.engine.dispose()


def add_province_user(
    settings_path: Path | None, username: str, password: str, role: str, office_id: str | None = None
) -> str:
    """Create a web user in the province database (the first one: ``--role province_manager`` or ``admin``);
    raises ``ValueError`` (``users.UserError``) for a bad name, password or role, ``ConfigError`` for bad settings."""
    from queue_server.store.web_users import Role, create_user

    settings = load_province_settings(settings_path or PROVINCE_FILE)
    store = EventStore(settings.store.url.get_secret_value(), "-")
    try:
        store.migrate()
        user = create_user(store.engine, username, password, Role(role), office_id=office_id)
    finally:
        store.close()
    return f"web user {user.username} ({user.role.value}) created in the province database."
