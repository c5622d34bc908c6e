"""A paho client whose network thread only enqueues while one worker thread does the work.

The office server's link to its devices (``server_link.ServerLink``) and the province ingest
(``province.ingest.ProvinceIngest``) both work this way, so that a burst of messages shares one durable commit and
nothing slow ever runs on paho's thread. This is their common start and stop order: connect in the background,
start the worker; on stop let the worker finish its inbox first, then disconnect.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import paho.mqtt.client as mqtt

STOP = object()
"""Put on the inbox by ``_stop_worker``: the worker handles what it holds, then returns."""


class QueuedClient:
    lost_broker_message = "lost the broker (%s); reconnecting"
    """Logged (with the reason) when the connection drops while running; paho reconnects by itself."""

    def __init__(self, client: mqtt.Client, *, host: str, port: int, worker_name: str, log: logging.Logger) -> None:
        self._client = client
        self._host, self._port = host, port
        self._log = log
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._connected = threading.Event()
        self._worker = threading.Thread(target=self._work, name=worker_name, daemon=True)
        self._started = False
        client.on_disconnect = self._on_disconnect

    def _work(self) -> None:
        """The worker thread: take from ``_inbox`` until ``STOP``."""
        raise NotImplementedError

    def _run(self, keepalive: int) -> None:
        """Connect in the background (paho retries until the broker answers) and start the worker."""
        self._client.connect_async(self._host, self._port, keepalive=keepalive)
        self._client.loop_start()
        self._worker.start()
        self._started = True

    def worker_alive(self) -> bool:
        """The worker thread runs (the systemd watchdog stops pinging when it died)."""
        return self._worker.is_alive()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _stop_worker(self, timeout: float) -> bool:
        """Let the worker finish what is queued; False when not running (never started, or stopped already)."""
        if not self._started:
            return False
        self._started = False
        self._inbox.put(STOP)
        self._worker.join(timeout=timeout)
        return True

    def _disconnect(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()
        if self._started:
            self._log.warning(self.lost_broker_message, reason)
