"""The embedded default broker: amqtt in-process, enforcing the same rules as the Mosquitto ACL.

An office without Mosquitto (the demo, a one-PC office) still needs devices to log in and stay in their own
topics. amqtt runs on its own thread and event loop so the rest of motcua stays synchronous. Two plugins, loaded
by class path from the config's ``plugins`` section (amqtt 0.12's way; entry points are deprecated), apply the
contract: :class:`MotcuaAuthPlugin` checks every CONNECT against ``accounts_provider()`` (so revocation is
immediate) and :class:`MotcuaTopicPlugin` answers every PUBLISH, SUBSCRIBE and delivery with
``topics.may_publish`` / ``topics.may_subscribe``. No amqtt persistence: the server republishes retained state
when it reconnects. With ``tls`` a second listener speaks MQTT over TLS (the office's certificate,
:mod:`queue_server.brokers.certs`). This and :mod:`.amqtt_rules` are the only modules that import amqtt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from queue_server.brokers import amqtt_rules
from queue_server.brokers.amqtt_rules import (
    SUMMARIES,
    VERIFIED_HASH,
    AccountsProvider,
    AuthFirstBroker,
    MotcuaAuthPlugin,
    MotcuaTopicPlugin,
)
from queue_server.brokers.credentials import verify_password
from queue_server.contract import topics

__all__ = ["AccountsProvider", "EmbeddedBroker", "MotcuaAuthPlugin", "MotcuaTopicPlugin", "TlsListener"]

logger = logging.getLogger(__name__)
_NOISY_LOGGERS = ("amqtt", "transitions")


@dataclass(frozen=True)
class TlsListener:
    """A second listener, MQTT over TLS: where it binds and the server certificate it shows."""

    host: str
    port: int
    certfile: Path
    keyfile: Path


class EmbeddedBroker:
    """amqtt on a background thread with its own event loop; ``start()``/``stop()`` from any thread."""

    def __init__(
        self,
        *,
        office_id: str,
        port: int,
        accounts_provider: AccountsProvider,
        host: str = "127.0.0.1",
        recheck_interval: float | None = 60.0,
        tls: TlsListener | None = None,
    ) -> None:
        """``recheck_interval``: how often (s) connected clients are re-checked against ``accounts_provider``
        and dropped if revoked (Mosquitto does the same on SIGHUP); None to check only at CONNECT. A re-check
        only compares password hashes (no key derivation), so a short interval is cheap."""
        if not topics.valid_id(office_id):
            raise ValueError(f"invalid office id {office_id!r}")
        if not 0 <= port < 65536:
            raise ValueError(f"invalid port {port}")
        self.office_id = office_id
        self.host = host
        self._requested_port = port
        self._bound_port: int | None = None
        self._accounts_provider = accounts_provider
        self._recheck_interval = recheck_interval
        self.tls = tls
        self._tls_port: int | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def port(self) -> int:
        """The listening port (the real one when constructed with ``port=0``)."""
        return self._bound_port if self._bound_port is not None else self._requested_port

    @property
    def tls_port(self) -> int | None:
        """The TLS listener's port (the real one when asked for port 0), or None without TLS."""
        if self.tls is None:
            return None
        return self._tls_port if self._tls_port is not None else self.tls.port

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker; return once its listener accepts connections. Raises if it cannot listen."""
        if self._thread is not None:
            raise RuntimeError("embedded broker already started")
        _quiet_amqtt_logging()
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._run, name=f"motcua-broker-{self.office_id}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"embedded broker did not start within {timeout}s")
        if self._startup_error is not None:
            error = self._startup_error
            self.stop()
            raise RuntimeError(f"embedded broker could not start on {self.host}:{self.port}") from error
        logger.info("embedded broker for office %s listening on %s:%d", self.office_id, self.host, self.port)
        if self.tls is not None:
            logger.info("embedded broker TLS listener on %s:%s", self.tls.host, self.tls_port)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect everyone and stop the broker. Safe to call twice, or before start()."""
        thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and stop_event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                loop.call_soon_threadsafe(stop_event.set)
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("embedded broker thread did not stop within %ss", timeout)
        self._thread = self._loop = self._stop_event = None
        self._bound_port = None

    def disconnect_revoked(self, timeout: float = 10.0) -> int:
        """Drop connected clients whose account is gone or whose password changed; return how many.

        What Mosquitto does on SIGHUP: call it after ``motcua device revoke`` instead of waiting for the
        periodic re-check.
        """
        loop = self._loop
        if not self.running or loop is None:
            return 0
        return asyncio.run_coroutine_threadsafe(self._drop_revoked(), loop).result(timeout)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- broker thread -------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # never let the thread die silently
            logger.exception("embedded broker thread crashed")
            self._startup_error = self._startup_error or exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            broker = AuthFirstBroker(self._config(), loop=self._loop)
            await broker.start()
        except Exception as exc:
            self._startup_error = exc
            return
        self._broker = broker
        self._bound_port = _listening_port(broker) or self._requested_port
        if self.tls is not None:
            self._tls_port = _listening_port(broker, "tls") or self.tls.port
        self._ready.set()
        try:
            while True:
                try:
                    await asyncio.wait_for(self._stop_event.wait(), self._recheck_interval)
                    break
                except TimeoutError:
                    try:
                        await self._drop_revoked()
                        for summary in SUMMARIES:
                            summary.flush()
                    except Exception:  # a failed re-check must not take the broker down
                        logger.exception("re-checking connected clients failed")
        finally:
            try:
                await broker.shutdown()
            except Exception:
                logger.exception("embedded broker did not shut down cleanly")
            logger.info("embedded broker for office %s stopped", self.office_id)

    async def _drop_revoked(self) -> int:
        if self._broker is None:
            return 0
        try:
            accounts = await asyncio.to_thread(self._accounts_provider)
        except Exception:
            logger.exception("accounts provider failed; connected clients left as they are")
            return 0
        dropped = 0
        for session, handler in list(self._broker.sessions.values()):
            if not session.transitions.is_connected() or session.username is None:
                continue
            hashed = accounts.get(session.username)
            verified = getattr(session, VERIFIED_HASH, None)
            if hashed is None or (hashed != verified and not verify_password(session.password or "", hashed)):
                logger.info("dropping %r (%s): account revoked", session.username, session.client_id)
                await handler.handle_connection_closed()  # as if the socket closed: the will is sent
                dropped += 1
        return dropped

    def _config(self) -> dict[str, Any]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return {
            "listeners": self._listeners(host),
            # Exactly these plugins: the defaults would add anonymous auth and $SYS topics.
            "plugins": {
                f"{amqtt_rules.__name__}.MotcuaAuthPlugin": {
                    "office_id": self.office_id,
                    "accounts_provider": self._accounts_provider,
                },
                f"{amqtt_rules.__name__}.MotcuaTopicPlugin": {"office_id": self.office_id},
            },
        }

    def _listeners(self, host: str) -> dict[str, Any]:
        listeners: dict[str, Any] = {"default": {"type": "tcp", "bind": f"{host}:{self._requested_port}"}}
        if self.tls is not None:
            tls_host = f"[{self.tls.host}]" if ":" in self.tls.host else self.tls.host
            listeners["tls"] = {
                "type": "tcp",
                "bind": f"{tls_host}:{self.tls.port}",
                "ssl": True,
                "certfile": str(self.tls.certfile),
                "keyfile": str(self.tls.keyfile),
            }
        return listeners


def _listening_port(broker: Any, listener: str = "default") -> int | None:
    """The port amqtt's listener actually bound (amqtt has no public accessor for it)."""
    try:
        return int(broker._servers[listener].instance.sockets[0].getsockname()[1])
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _quiet_amqtt_logging() -> None:
    """amqtt logs every connection at INFO; keep it to warnings unless the operator chose a level."""
    for name in _NOISY_LOGGERS:
        log = logging.getLogger(name)
        if log.level == logging.NOTSET:
            log.setLevel(logging.WARNING)
