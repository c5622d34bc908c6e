"""The web app served from inside the office server process, on waitress.

Why waitress rather than werkzeug's threaded server: werkzeug's ``make_server(threaded=True)`` starts one
unbounded thread per connection and calls itself a development server; waitress is a production WSGI server in
pure Python (nothing to compile on an office mini-PC), with a fixed pool of worker threads, a connection limit and
a clean shutdown, so the web can never take the threads and memory the queue service needs; its connections are
guarded (``web.guarded_server``: per-address caps and request deadlines, which waitress lacks). A server-sent-event
stream holds one worker while open, so streams are capped below the pool size (``web.max_streams`` <
``web.threads``, see ``web.live.StreamGate``) and each ends after a minute; the browser's EventSource reconnects
by itself. The public ticket page polls instead of streaming: a hall full of phones must not hold workers.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.adjustments import Adjustments  # type: ignore[import-untyped]
from waitress.task import ThreadedTaskDispatcher  # type: ignore[import-untyped]

from queue_server.config import Settings
from queue_server.live import LiveOffice
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock
from queue_server.web import Execute, context, create_app
from queue_server.web.guarded_server import GuardedServer
from queue_server.web_protection import WebProtection

if TYPE_CHECKING:
    from queue_server.remote.booking import RemoteDesk

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
        **protection_config(web),
    }


def protection_config(web: WebProtection) -> dict[str, Any]:
    """The Flask settings of the sign-in limiter and HTTPS (the office's and the province's ``[web]``)."""
    return {
        "LOGIN_MAX_FAILURES": web.login_failures_per_account,
        "LOGIN_FAILURES_PER_ADDRESS": web.login_failures_per_address,
        "LOGIN_FAILURES_PER_USERNAME": web.login_failures_per_username,
        "LOGIN_FAILURES_GLOBAL": web.login_failures_global,
        "LOGIN_FAILURE_WINDOW_SECONDS": web.login_window_minutes * 60,
        "SECURE_COOKIES": web.secure_cookies,
        "HSTS_SECONDS": web.hsts_seconds,
    }


def build_app(
    settings: Settings,
    secret_key: str,
    *,
    store: EventStore,
    live: LiveOffice,
    execute: Execute,
    clock: TrustedClock | None = None,
    remote: RemoteDesk | None = None,
) -> Flask:
    config = web_config(settings, secret_key)
    return create_app(
        config,
        store=store,
        setup=settings.office_setup(),
        execute=execute,
        live=live,
        clock=clock,
        settings=settings,
        remote=remote,
    )


def adjustments(protection: WebProtection, *, host: str, port: int, threads: int) -> Adjustments:
    """waitress's settings from the ``[web]`` limits: timeouts, sizes, and the proxy whose headers are believed
    (only from its address; from anybody else waitress removes X-Forwarded-* before the app sees them)."""
    proxy: dict[str, Any] = {}
    if protection.behind_proxy:
        proxy = {
            "trusted_proxy": protection.proxy_address,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        }
    return Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="motcua",
        connection_limit=protection.connection_limit,
        channel_timeout=protection.channel_timeout_seconds,
        cleanup_interval=2,
        max_request_body_size=protection.max_request_body_bytes,
        max_request_header_size=protection.max_request_header_bytes,
        asyncore_use_poll=True,  # select() cannot watch a descriptor above 1024
        clear_untrusted_proxy_headers=True,
        **proxy,
    )


class WebServer:
    """waitress on a thread of its own (``GuardedServer``: limits per address, request deadlines); ``stop``
    closes every connection and joins the workers."""

    def __init__(
        self, app: Flask, *, host: str, port: int, threads: int, protection: WebProtection | None = None
    ) -> None:
        self.app = app
        protection = protection or WebProtection()
        adj = adjustments(protection, host=host, port=port, threads=threads)
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        channels: dict[int, Any] = {}
        exempt = frozenset({protection.proxy_address}) if protection.behind_proxy else frozenset()
        servers = [
            GuardedServer(
                app,
                channels,
                dispatcher=dispatcher,
                adj=adj,
                sockinfo=sockinfo,
                per_address=protection.connections_per_address,
                request_timeout=protection.request_timeout_seconds,
                exempt=exempt,
            )
            for sockinfo in adj.listen
        ]
        self._server = servers[0]  # one loop serves every listening socket of the shared map
        if protection.behind_proxy and host not in ("127.0.0.1", "::1", "localhost"):
            logger.warning("web.behind_proxy is set but web.host=%s is not loopback: the proxy can be bypassed", host)
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
        live: LiveOffice | None = context.of(self.app).live
        if live is not None:
            live.close()  # ends the open streams, so the workers are free to stop
        self._server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self._server._map)
        self._thread.join(timeout=5)
