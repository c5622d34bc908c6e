"""The web app: staff console, manager dashboard and live page, public ticket page (Flask, server-rendered).

``create_app`` is the composition root of the web process: the event store, the office setup, the ``execute``
callable that sends engine commands (``ServerLink.execute`` in the running server, an ``OfficeService`` in tests),
the ``live`` view of the queue (``OfficeService.live``) and the server's settings are passed in and kept in one
``WebContext`` (``queue_server.web.context``); nothing connects at import time, and no view loads the settings.
``motcua server`` serves it with waitress (``queue_server.web.server``).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, request, session
from flask.cli import with_appcontext
from flask_babel import Babel  # type: ignore[import-untyped]
from flask_login import LoginManager  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

from queue_server.engine.setup import OfficeSetup
from queue_server.i18n import LANGUAGES, compile_catalogs
from queue_server.live import LiveOffice
from queue_server.store import web_users as users
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock
from queue_server.web import context, labels, security
from queue_server.web.context import Execute, WebContext
from queue_server.web.i18n import register_filters

if TYPE_CHECKING:
    from queue_server.config import Settings
    from queue_server.remote.booking import RemoteDesk

logger = logging.getLogger(__name__)
__all__ = ["Execute", "WebContext", "create_app", "get_execute", "get_live", "get_setup", "get_store"]


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    store: EventStore | None = None,
    setup: OfficeSetup | None = None,
    execute: Execute | None = None,
    live: LiveOffice | None = None,
    clock: TrustedClock | None = None,
    settings: Settings | None = None,
    catalogue_dir: Path | None = None,
    remote: RemoteDesk | None = None,
) -> Flask:
    """The office's web app. Without ``setup`` (``flask run``) the settings file gives it and the store's URL;
    without ``catalogue_dir`` it is ``catalogue`` in the settings' ``data_dir`` (the shipped defaults' when no
    settings are given), decided here once rather than per request."""
    app = new_app(test_config)
    if setup is None or (catalogue_dir is None and settings is None):
        from queue_server.config import load_settings

        settings = settings or load_settings()
    if setup is None:
        assert settings is not None
        setup = settings.office_setup()
        app.config["STORE_URL"] = app.config["STORE_URL"] or settings.store.url.get_secret_value()
    if catalogue_dir is None:
        assert settings is not None
        catalogue_dir = settings.server.data_dir / "catalogue"
    if store is None:
        store = EventStore(app.config["STORE_URL"], setup.office_id)
    if live is None:
        live = LiveOffice.following(store)  # a web process beside the server: catch up from the store
    context.install(
        app,
        WebContext(
            store=store,
            setup=setup,
            execute=execute,
            live=live,
            clock=clock,
            settings=settings,
            catalogue_dir=catalogue_dir,
            notifier=remote.notifier if remote is not None else None,
            remote=remote,
        ),
    )
    install_common(app, store)

    from queue_server.web import admin, auth, console, dashboard, hours_today, ticket
    from queue_server.web import clock as clock_page
    from queue_server.web import live as live_page
    from queue_server.web import plan as plan_page
    from queue_server.web import remote as remote_page

    for module in (dashboard, console, ticket, admin, live_page, clock_page, hours_today, plan_page, remote_page):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", endpoint="index", view_func=auth.home)
    app.cli.add_command(create_admin_command)
    return app


def new_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """A Flask app with the settings every motcua web app shares (the office's and the province's)."""
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("MOTCUA_WEB_SECRET_KEY") or secrets.token_hex(32),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        LOGIN_MAX_FAILURES=5,
        LOGIN_FAILURE_WINDOW_SECONDS=15 * 60,
        LOGIN_FAILURES_PER_ADDRESS=30,
        LOGIN_FAILURES_PER_USERNAME=100,
        LOGIN_FAILURES_GLOBAL=500,
        TICKET_PAGE_PER_MINUTE=30,
        WAIT_ALERT_SECONDS=15 * 60,
        LIVE_MAX_STREAMS=4,
        LIVE_STREAM_SECONDS=60,
        LIVE_REFRESH_SECONDS=20,
        LIVE_MIN_INTERVAL_SECONDS=0.5,
        STORE_URL=None,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    return app


def install_common(app: Flask, store: EventStore) -> None:
    """Languages, number filters, CSRF and sign-in against ``store``'s ``web_users`` (the auth blueprint)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compile_catalogs()))
    Babel(app, locale_selector=_locale)
    register_filters(app)
    app.context_processor(labels.context)
    CSRFProtect(app)
    security.install(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.session_protection = "strong"
    login.user_loader(lambda user_id: users.load_user(store.engine, user_id))

    from queue_server.web import auth, errors

    app.register_blueprint(auth.bp)
    errors.register(app)


def _locale() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    return session.get("lang") or request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def get_store() -> EventStore:
    return context.current().store


def get_setup() -> OfficeSetup:
    """The setup the queue runs on now (``WebContext.office_setup``)."""
    return context.current().office_setup()


def get_execute() -> Execute | None:
    return context.current().execute


def get_live() -> LiveOffice:
    """The office as the server holds it now (thread-safe snapshots; no replay per request)."""
    return context.current().live_office()


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.password_option()
def create_admin_command(username: str, password: str) -> None:
    """Create an admin web user (the office server's own command is ``motcua web create-admin``)."""
    users.create_user(get_store().engine, username, password, users.Role.ADMIN)
    click.echo(f"admin {username} created")
