"""The office server's MQTT adapter: requests from the broker into the service, its publishes back out.

paho's network thread only enqueues; one worker thread drains the queue in batches so that a burst of requests
shares one durable commit (group commit), and publishes replies only after that commit. Before a request is
enqueued, the admission gate (``queue_server.admission``) counts it against its device's budget on paho's thread:
a flooding device's excess never reaches the queue, so it cannot make the other devices' requests wait.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from queue_server.admission import AdmissionGate
from queue_server.audited import Audited
from queue_server.contract import topics
from queue_server.contract.messages import encode
from queue_server.contract.mqtt_client import make_client
from queue_server.contract.payloads import ServerStatus
from queue_server.engine.commands import Command
from queue_server.mqtt.queued_client import STOP, QueuedClient
from queue_server.service import OfficeService, Publish
from queue_server.store.health import ServerReadOnly, StoreUnavailable

logger = logging.getLogger(__name__)
TICK_SECONDS = 1.0
"""The worker looks after the store (free space, a failed database tried again, WAL checkpoint) at least this
often, between batches (``OfficeService.tick``)."""
CHORES_SECONDS = 5.0
"""How often the worker does its other periodic chores (alarms cleared, summaries logged, revoked views cleared)."""


class ServerLink(QueuedClient):
    def __init__(
        self,
        service: OfficeService,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        max_batch: int = 256,
        gate: AdmissionGate | None = None,
        ca_file: Path | None = None,
    ) -> None:
        """``ca_file``: connect with TLS, verifying the broker against that CA (a broker on another machine)."""
        self.service, self.max_batch, self.gate = service, max_batch, gate
        if gate is not None:
            service.on_retry = gate.give_back
        self.office_id = service.office_id
        client = make_client(
            username,  # the brokers use the username as client id anyway: say so
            username,
            password,
            will=(topics.server_status(self.office_id), ServerStatus(online=False).encode()),
            # A clean session on purpose: a persistent one would make the broker hold requests while the server
            # is down and deliver them late, so a staff "next" could call somebody minutes after it was pressed.
            # Durable requests are resent from the devices' outboxes anyway.
            clean_session=True,
            ca_file=ca_file,
        )
        super().__init__(client, host=host, port=port, worker_name="motcua-ingest", log=logger)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self._unknown_status = _SeenOnce()

    def start(self, initial: list[Publish]) -> None:
        self._initial = initial
        self._run(keepalive=15)

    def stop(self) -> None:
        if not self._stop_worker(timeout=10):
            return
        # A clean disconnect discards the last will, so say "offline" ourselves: displays must not trust us.
        info = self._client.publish(
            topics.server_status(self.office_id), encode({"v": 1, "online": False}), qos=1, retain=True
        )
        if self._connected.is_set():
            info.wait_for_publish(timeout=2)
        self._disconnect()

    def execute(self, command: Command | Audited, timeout: float = 10.0) -> dict[str, Any]:
        """Run one command from inside the server (e.g. the web console) on the ingest thread; its reply."""
        done: Future[dict[str, Any]] = Future()
        self._inbox.put(("execute", (command, done)))
        return done.result(timeout)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("broker refused the server: %s", reason)
            return
        client.subscribe([(topics.all_requests(self.office_id), 1), (topics.all_device_statuses(self.office_id), 1)])
        # Retained state is re-sent on every connect: a broker that restarted without persistence is right again.
        self._inbox.put(("republish", None))
        self._connected.set()
        logger.info("connected to broker %s:%s", self._host, self._port)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        status = topics.parse_status_topic(message.topic)
        if status is None:
            payload = bytes(message.payload)
            if self.gate is not None:
                admitted, publishes = self.gate.screen(message.topic, payload)
                for publish in publishes:
                    self._client.publish(publish.topic, publish.payload, qos=publish.qos, retain=publish.retain)
                if not admitted:
                    return
            self._inbox.put((message.topic, payload))
            return
        # Device health is not queue state: kept here on paho's thread, off the ingest queue and its commits.
        if self.gate is not None and not self.gate.screen_status(status[1]):
            return
        try:
            self._device_status(status, bytes(message.payload))
        except Exception:
            logger.exception("status on %r could not be kept", message.topic[:200])

    def _device_status(self, where: tuple[str, str], payload: bytes) -> None:
        office, device_id = where
        if office != self.office_id:
            return
        info = self.service.devices(device_id)
        if info is None:
            if self._unknown_status.add(device_id):
                logger.warning("device=%s status ignored: not registered or revoked", device_id)
            return
        live = self.service.live
        live.device_status(device_id, info.kind, payload, live.now())

    def _work(self) -> None:
        next_chores = time.monotonic() + CHORES_SECONDS
        while True:
            try:
                first = self._inbox.get(timeout=TICK_SECONDS)
            except queue.Empty:
                first = None
            if time.monotonic() >= next_chores:
                next_chores = time.monotonic() + CHORES_SECONDS
                self._publish(self._chores())
            if first is None:
                self._publish(self._tick())
                continue
            if first is STOP:
                return
            items = [first]
            while len(items) < self.max_batch:
                try:
                    items.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            stop = STOP in items
            items = [item for item in items if item is not STOP]
            requests = [item for item in items if item[0] not in ("republish", "execute")]
            try:
                publishes = self.service.handle(requests) if requests else []
                if any(item[0] == "republish" for item in items):
                    publishes = [
                        *self._initial,
                        self.service.status_publish(),  # the store's health now, not at start
                        *self.service.retained_state(only_changed=False),
                        *publishes,
                    ]
            except Exception:
                logger.exception("batch of %d messages failed; devices will resend", len(requests))
                publishes = []
            for _, (command, done) in (item for item in items if item[0] == "execute"):
                publishes += self._execute(command, done)
            self._publish(publishes + self._tick())
            if stop:
                return

    def _chores(self) -> list[Publish]:
        try:
            if self.gate is not None:
                self.gate.tick()
            return self.service.chores()
        except Exception:
            logger.exception("periodic chores failed; tried again in %ss", CHORES_SECONDS)
            return []

    def _tick(self) -> list[Publish]:
        try:
            return self.service.tick(quiet=self._inbox.empty())
        except Exception:
            logger.exception("store upkeep failed")
            return []

    def _publish(self, publishes: list[Publish]) -> None:
        for publish in publishes:
            self._client.publish(publish.topic, publish.payload, qos=publish.qos, retain=publish.retain)

    def _execute(self, command: Command | Audited, done: Future[dict[str, Any]]) -> list[Publish]:
        try:
            reply, publishes = self.service.execute(command)
        except (StoreUnavailable, ServerReadOnly) as exc:
            logger.warning("internal command %s not run: %s", type(command).__name__, exc)  # health logs the rest
            done.set_exception(exc)
            return []
        except Exception as exc:
            logger.exception("internal command %s failed", type(command).__name__)
            done.set_exception(exc)
            return []
        done.set_result(reply)
        return publishes


class _SeenOnce:
    """Remembers (a bounded number of) keys, so a repeated problem is logged once."""

    def __init__(self, limit: int = 1000) -> None:
        self._seen: set[str] = set()
        self._limit = limit

    def add(self, key: str) -> bool:
        if key in self._seen or len(self._seen) >= self._limit:
            return False
        self._seen.add(key)
        return True
