"""What the views depend on, in one typed place (the model is flaskr's ``db.py``: one accessor, nothing global).

``create_app`` builds one frozen ``WebContext`` (the store, the configured setup, the ``execute`` callable, the live
office, the trusted clock, the server's settings and the catalogue folder) and puts it on
``app.extensions["motcua"]``; a view asks ``current()`` for it. Everything is decided when the app is built, so no
view reads a config file or ``app.config`` to find a dependency at request time, and a test builds an app with
exactly the parts it wants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from queue_server.audited import Audited
from queue_server.engine.commands import Command
from queue_server.engine.setup import OfficeSetup
from queue_server.live import LiveOffice
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock

if TYPE_CHECKING:
    from queue_server.config import Settings
    from queue_server.notify.notifier import Notifier
    from queue_server.remote.booking import RemoteDesk

EXTENSION = "motcua"
Execute = Callable[[Command | Audited], Mapping[str, Any]]
"""Run one engine command in the server and return its reply (``ServerLink.execute``)."""


@dataclass(frozen=True)
class WebContext:
    """One web app's dependencies. The province's app has a store only (its pages read the province database)."""

    store: EventStore
    setup: OfficeSetup | None = None
    """The setup given at start; the one the queue runs on now is ``office_setup()``."""
    execute: Execute | None = None
    """``None`` in a web process beside the server (``flask run``): the pages read, they cannot command."""
    live: LiveOffice | None = None
    clock: TrustedClock | None = None
    settings: Settings | None = None
    """The server's settings (targets, the Mosquitto files to sync); ``None`` in tests that need neither."""
    catalogue_dir: Path | None = None
    notifier: Notifier | None = None
    remote: RemoteDesk | None = None
    """The public booking of remote numbers (``/r``); ``None``: the office does not take them."""

    def office_setup(self) -> OfficeSetup:
        """The setup the queue runs on now: the last ``OfficeConfigured`` event (admin changes included), or the
        configured one before anything is recorded."""
        if self.live is not None:
            recorded = self.live.snapshot().setup
            if recorded is not None:
                return recorded
        if self.setup is None:
            raise RuntimeError("this web app serves no office (the province's app has no setup)")
        return self.setup

    def live_office(self) -> LiveOffice:
        if self.live is None:
            raise RuntimeError("this web app has no live office (the province's app)")
        return self.live

    def catalogue_folder(self) -> Path:
        if self.catalogue_dir is None:
            raise RuntimeError("this web app has no catalogue folder")
        return self.catalogue_dir


def install(app: Flask, context: WebContext) -> None:
    app.extensions[EXTENSION] = context


def of(app: Flask) -> WebContext:
    """The context of ``app`` (outside a request: the server's shutdown, tests)."""
    context: WebContext = app.extensions[EXTENSION]
    return context


def current() -> WebContext:
    """The context of the app serving this request."""
    return of(current_app)
