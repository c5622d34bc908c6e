"""The web app: staff console, manager dashboard and live page, public ticket page (Flask, server-rendered).

``create_app`` is the composition root of the web process: the event store, the office setup, the ``execute``
callable that sends engine commands (``ServerLink.execute`` in the running server, an ``OfficeService`` in tests)
and the ``live`` view of the queue (``OfficeService.live``) are passed in; nothing connects at import time.
``motcua server`` serves it with waitress (``queue_server.web.server``).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app, request, session
from flask.cli import with_appcontext
from flask_babel import Babel  # type: ignore[import-untyped]
from flask_login import LoginManager  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]

from queue_server.audited import Audited
from queue_server.engine.commands import Command
from queue_server.engine.setup import OfficeSetup
from queue_server.live import LiveOffice
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock
from queue_server.web import labels, security, users
from queue_server.web.i18n import LANGUAGES, compile_catalogs, register_filters

logger = logging.getLogger(__name__)
Execute = Callable[[Command | Audited], Mapping[str, Any]]
"""Run one engine command in the server and return its reply (``ServerLink.execute``)."""


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    store: EventStore | None = None,
    setup: OfficeSetup | None = None,
    execute: Execute | None = None,
    live: LiveOffice | None = None,
    clock: TrustedClock | None = None,
) -> Flask:
    app = new_app(test_config)
    if setup is None:
        from queue_server.config import load_settings

        settings = load_settings()
        setup = settings.office_setup()
        app.config["STORE_URL"] = app.config["STORE_URL"] or settings.store.url.get_secret_value()
    if store is None:
        store = EventStore(app.config["STORE_URL"], setup.office_id)
    if live is None:
        live = LiveOffice.following(store)  # a web process beside the server: catch up from the store
    app.extensions["motcua"] = {"store": store, "setup": setup, "execute": execute, "live": live, "clock": clock}
    install_common(app, store)

    from queue_server.web import admin, auth, console, dashboard, hours_today, ticket
    from queue_server.web import clock as clock_page
    from queue_server.web import live as live_page
    from queue_server.web import plan as plan_page

    for module in (dashboard, console, ticket, admin, live_page, clock_page, hours_today, plan_page):
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
    store: EventStore = current_app.extensions["motcua"]["store"]
    return store


def get_setup() -> OfficeSetup:
    """The setup the queue runs on now: the last ``OfficeConfigured`` event (admin changes included), or the
    configured one before anything is recorded."""
    live: LiveOffice = current_app.extensions["motcua"]["live"]
    current = live.snapshot().setup
    if current is not None:
        return current
    configured: OfficeSetup = current_app.extensions["motcua"]["setup"]
    return configured


def get_execute() -> Execute | None:
    execute: Execute | None = current_app.extensions["motcua"]["execute"]
    return execute


def get_live() -> LiveOffice:
    """The office as the server holds it now (thread-safe snapshots; no replay per request)."""
    live: LiveOffice = current_app.extensions["motcua"]["live"]
    return live


@click.command("create-admin")
@with_appcontext
@click.argument("username")
@click.password_option()
def create_admin_command(username: str, password: str) -> None:
    """Create an admin web user (the office server's own command is ``motcua web create-admin``)."""
    users.create_user(get_store().engine, username, password, users.Role.ADMIN)
    click.echo(f"admin {username} created")
