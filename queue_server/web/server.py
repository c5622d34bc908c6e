"""The web app served from inside the office server process, on waitress.

Why waitress rather than werkzeug's threaded server: werkzeug's ``make_server(threaded=True)`` starts one
unbounded thread per connection and calls itself a development server; waitress is a production WSGI server in
pure Python (nothing to compile on an office mini-PC), with a fixed pool of worker threads, a connection limit and
a clean shutdown, so the web can never take the threads and memory the queue service needs. A server-sent-event
stream holds one worker while open, so streams are capped below the pool size (``web.max_streams`` <
``web.threads``, see ``web.live.StreamGate``) and each ends after a minute; the browser's EventSource reconnects
by itself. The public ticket page polls instead of streaming: a hall full of phones must not hold workers.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]

from queue_server.config import Settings
from queue_server.live import LiveOffice
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock
from queue_server.web import Execute, create_app

logger = logging.getLogger(__name__)


def web_config(settings: Settings, secret_key: str) -> dict[str, Any]:
    """The Flask settings the office's ``[web]`` section gives."""
    web = settings.web
    return {
        "SECRET_KEY": secret_key,
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=web.session_minutes),
        "WAIT_ALERT_SECONDS": web.wait_alert_minutes * 60,
        "LIVE_MAX_STREAMS": web.max_streams,
        "TICKET_PAGE_PER_MINUTE": web.ticket_page_per_minute,
        "CATALOGUE_DIR": settings.server.data_dir / "catalogue",
        "MOTCUA_SETTINGS": settings,
    }


def build_app(
    settings: Settings,
    secret_key: str,
    *,
    store: EventStore,
    live: LiveOffice,
    execute: Execute,
    clock: TrustedClock | None = None,
) -> Flask:
    config = web_config(settings, secret_key)
    return create_app(config, store=store, setup=settings.office_setup(), execute=execute, live=live, clock=clock)


class WebServer:
    """waitress on a thread of its own; ``stop`` closes every connection and joins the workers."""

    def __init__(self, app: Flask, *, host: str, port: int, threads: int) -> None:
        self.app = app
        self._server = create_server(app, host=host, port=port, threads=threads, ident="motcua")
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="motcua-web", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = str(self._server.effective_host)
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}/"

    def start(self) -> WebServer:
        self._thread.start()
        logger.info("web pages on %s", self.url)
        return self

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            # ``stop`` closes the sockets under waitress's select() (it has no other way to end its loop): the
            # resulting "bad file descriptor" is the end of serving, not an error.
            if not self._stopping.is_set():
                raise

    def stop(self) -> None:
        self._stopping.set()
        live: LiveOffice | None = self.app.extensions["motcua"].get("live")
        if live is not None:
            live.close()  # ends the open streams, so the workers are free to stop
        self._server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self._server._map)
        self._thread.join(timeout=5)
