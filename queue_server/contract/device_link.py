"""A device's link to the office server: requests through the outbox, replies and retained state back.

Used by kiosks, counter units, displays and the simulators alike. Every request is resent (same id) until the
server's reply arrives; ``request`` blocks for a reply, ``submit`` returns at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from queue_server.contract import topics
from queue_server.contract.messages import TRANSIENT_CODES, AlarmCode, ContractError, encode_request
from queue_server.contract.mqtt_client import make_client
from queue_server.contract.outbox import Outbox
from queue_server.contract.payloads import EXPIRED, DeviceStatus, Reply

logger = logging.getLogger(__name__)
ReplyObject = dict[str, Any]
MAX_RESEND_WHILE_ANSWERED = 10
"""While replies keep coming the server is working through a backlog: resend only this many due requests per
interval (the oldest), not all of them, or every device doubles the load exactly when the server is busiest."""
MAX_REQUEST_BYTES = 4096
"""The server's default ``max_payload_bytes``; a device refuses to queue anything larger."""
EXPIRED_REMEMBERED = 256
"""How many expired request ids a link remembers, to recognise a reply that comes after the deadline."""


class DeviceLink:
    def __init__(
        self,
        *,
        office_id: str,
        device_id: str,
        password: str,
        host: str,
        port: int,
        outbox_path: Path | str,
        resend_interval: float = 2.0,
        on_reply: Callable[[ReplyObject], None] | None = None,
        on_state: Callable[[str, dict[str, Any]], None] | None = None,
        state_topics: tuple[str, ...] = (),
        durable_outbox: bool = True,
        ca_file: Path | str | None = None,
    ) -> None:
        """``ca_file``: connect with TLS and verify the broker's certificate (and host name) against that CA."""
        self.office_id, self.device_id = office_id, device_id
        self.resend_interval = resend_interval
        self.on_reply, self.on_state = on_reply, on_state
        self._state_topics = state_topics
        self._outbox = Outbox(outbox_path, durable=durable_outbox)
        self._waiters: dict[str, tuple[threading.Event, list[ReplyObject]]] = {}
        self._sent_at: dict[str, float] = {}
        self._last_reply_at = 0.0
        self._volatile: dict[str, tuple[bytes, float]] = {}
        """Requests with a time to live: in memory only, resent until their deadline, then dropped."""
        self._expired: dict[str, None] = {}
        self.on_transient: Callable[[ReplyObject], None] | None = None
        """Called with a ``store_unavailable`` / ``read_only`` reply: the server decided nothing, the request is
        kept and resent (same id) until a real reply comes or its ttl ends."""
        self.last_transient: ReplyObject | None = None
        self.on_late_reply: Callable[[ReplyObject], None] | None = None
        """Called with the server's reply to a request that had already expired (the server still applied it:
        it reached the server before the deadline, or paho resent it after a reconnect)."""
        self._lock = threading.Lock()
        self._alarms: frozenset[AlarmCode] = frozenset()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._reply_topic = topics.reply(office_id, device_id)
        self._host, self._port = host, port
        self._client = make_client(
            device_id,  # the brokers use the username as client id anyway: say so
            device_id,
            password,
            will=(topics.device_status(office_id, device_id), DeviceStatus.of(False).encode()),
            ca_file=ca_file,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._resender = threading.Thread(target=self._resend_loop, name=f"{device_id}-resend", daemon=True)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> DeviceLink:
        self._client.connect_async(self._host, self._port, keepalive=15)
        self._client.loop_start()
        self._resender.start()
        return self

    def __enter__(self) -> DeviceLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._connected.is_set():
            self._client.publish(
                topics.device_status(self.office_id, self.device_id),
                DeviceStatus.of(False, self._alarms).encode(),
                qos=1,
                retain=True,
            )
        self._client.disconnect()
        self._client.loop_stop()
        if self._resender.is_alive():
            self._resender.join(timeout=5)
        self._outbox.close()

    def set_alarms(self, alarms: Iterable[AlarmCode | str]) -> None:
        """Report what is wrong with this device now (empty: nothing), retained on its status topic.

        Kept in memory and republished at every reconnect, so the server learns of a paper-out that began
        while the link was down.
        """
        codes = frozenset(AlarmCode(a) for a in alarms)
        with self._lock:
            changed = codes != self._alarms
            self._alarms = codes
        if changed and self._connected.is_set():
            self._publish_status(self._client)

    def _publish_status(self, client: mqtt.Client) -> None:
        client.publish(
            topics.device_status(self.office_id, self.device_id),
            DeviceStatus.of(True, self._alarms).encode(),
            qos=1,
            retain=True,
        )

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def pending(self) -> int:
        return self._outbox.count() + len(self._volatile)

    # -- requests ---------------------------------------------------------------------------------------------
    def submit(
        self, request_type: str, body: dict[str, Any], request_id: str | None = None, *, ttl: float | None = None
    ) -> str:
        """Store the request durably, send it if connected; the resender keeps trying until it is answered.

        With ``ttl`` (seconds) the request is *not* durable: it is kept in memory and resent only until its
        deadline, then dropped with a local ``expired`` reply. For staff commands: a "next" pressed just before
        the link fell must not call somebody minutes later. Tickets and ratings have no ttl: they are never lost.
        """
        request_id = request_id or f"{self.device_id}-{uuid.uuid4().hex[:20]}"
        payload = encode_request(request_id, request_type, body, datetime.now(UTC).isoformat(timespec="seconds"))
        if len(payload) > MAX_REQUEST_BYTES:
            # The server would answer "too_large" without an id, and the outbox would resend it forever.
            raise ValueError(f"request of {len(payload)} bytes is over the {MAX_REQUEST_BYTES}-byte limit")
        if ttl is not None:
            with self._lock:
                self._volatile[request_id] = (payload, time.monotonic() + ttl)
        else:
            self._outbox.add(request_id, payload)
        if self._connected.is_set():
            self._send(request_id, payload)
        return request_id

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = 10.0, *, ttl: float | None = None
    ) -> ReplyObject | None:
        """Submit and wait for the reply; None on timeout (the request stays in the outbox and will be sent,
        or, with ``ttl``, until its deadline: see :meth:`submit`)."""
        request_id = f"{self.device_id}-{uuid.uuid4().hex[:20]}"
        done = threading.Event()
        box: list[ReplyObject] = []
        with self._lock:
            self._waiters[request_id] = (done, box)
        try:
            self.submit(request_type, body, request_id, ttl=ttl)
            done.wait(timeout)
            return box[0] if box else None
        finally:
            with self._lock:
                self._waiters.pop(request_id, None)

    # -- paho callbacks ---------------------------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("device=%s broker refused connection: %s", self.device_id, reason)
            return
        client.subscribe([(self._reply_topic, 1), *[(t, 1) for t in self._state_topics]])
        self._publish_status(client)
        self._connected.set()
        self._flush(force=True)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            logger.warning("device=%s lost the broker (%s); reconnecting", self.device_id, reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if not message.payload and message.topic != self._reply_topic:
            data: Any = {}  # a retained topic cleared (e.g. a revoked unit's private view): nothing to show
        else:
            try:
                data = json.loads(message.payload)
            except ValueError:
                logger.error("device=%s unreadable message on %s", self.device_id, message.topic)
                return
        if message.topic == self._reply_topic:
            self._handle_reply(data)
        elif self.on_state is not None:
            try:
                self.on_state(message.topic, data)
            except Exception:
                logger.exception("device=%s state handler failed", self.device_id)

    def _handle_reply(self, reply: ReplyObject) -> None:
        try:
            parsed = Reply.parse(reply)
        except ContractError as exc:
            logger.error("device=%s unreadable reply: %s", self.device_id, exc.message)
            return
        request_id = parsed.id
        if request_id is None:
            logger.error("device=%s server error without request id: %s", self.device_id, parsed.error)
            return
        if parsed.code in TRANSIENT_CODES:
            self._transient(reply, parsed)  # kept in the outbox; resent after the interval like an unanswered one
            return
        self._sent_at.pop(request_id, None)
        self._last_reply_at = time.monotonic()
        self.last_transient = None
        with self._lock:
            volatile = self._volatile.pop(request_id, None) is not None
        if not volatile and not self._outbox.remove(request_id):
            with self._lock:
                late = request_id in self._expired
                self._expired.pop(request_id, None)
            if late and self.on_late_reply is not None:
                try:
                    self.on_late_reply(reply)
                except Exception:
                    logger.exception("device=%s late-reply handler failed", self.device_id)
            return  # a reply to a resend that was already answered, or to a request that expired
        self._deliver(request_id, reply)

    def _transient(self, reply: ReplyObject, parsed: Reply) -> None:
        first = self.last_transient is None
        self.last_transient = reply
        if first:
            logger.warning("device=%s server cannot store now (%s); requests kept and resent", self.device_id,
                           parsed.error.message if parsed.error else "")  # fmt: skip
        if self.on_transient is not None:
            try:
                self.on_transient(reply)
            except Exception:
                logger.exception("device=%s transient-reply handler failed", self.device_id)

    def _deliver(self, request_id: str, reply: ReplyObject) -> None:
        """Hand a reply (the server's, or a local ``expired``) to whoever waits for it and to ``on_reply``."""
        with self._lock:
            waiter = self._waiters.get(request_id)
        if waiter is not None:
            waiter[1].append(reply)
            waiter[0].set()
        if self.on_reply is not None:
            try:
                self.on_reply(reply)
            except Exception:
                logger.exception("device=%s reply handler failed", self.device_id)

    def _send(self, request_id: str, payload: bytes) -> None:
        self._sent_at[request_id] = time.monotonic()
        self._client.publish(topics.request(self.office_id, self.device_id), payload, qos=1)

    def _flush(self, force: bool = False) -> None:
        """Send what is unanswered: everything after a reconnect; else what has waited a full interval, but only
        the oldest few while replies are still arriving (see ``MAX_RESEND_WHILE_ANSWERED``)."""
        now = time.monotonic()
        due = now - self.resend_interval
        answered_lately = now - self._last_reply_at < self.resend_interval
        budget = MAX_RESEND_WHILE_ANSWERED if answered_lately and not force else None
        with self._lock:
            volatile = [(rid, payload) for rid, (payload, _) in self._volatile.items()]
        for request_id, payload in [*self._outbox.pending(), *volatile]:
            if force or self._sent_at.get(request_id, 0.0) <= due:
                self._send(request_id, payload)
                if budget is not None:
                    budget -= 1
                    if budget == 0:
                        return

    def _expire(self) -> None:
        """Drop volatile requests past their deadline, answering them locally as ``expired``."""
        now = time.monotonic()
        with self._lock:
            expired = [rid for rid, (_, deadline) in self._volatile.items() if deadline <= now]
            for request_id in expired:
                del self._volatile[request_id]
                self._expired[request_id] = None
            while len(self._expired) > EXPIRED_REMEMBERED:
                del self._expired[next(iter(self._expired))]
        for request_id in expired:
            self._sent_at.pop(request_id, None)
            logger.warning("device=%s request %s expired unanswered; not sent again", self.device_id, request_id)
            message = "no reply in time; dropped, never sent again"
            reply = Reply.refused(request_id, EXPIRED, message, at=None).payload()
            self._deliver(request_id, reply)

    def _resend_loop(self) -> None:
        while not self._stopping.wait(min(self.resend_interval, 0.5)):
            self._expire()
            if self._connected.is_set():
                try:
                    self._flush()
                except Exception:
                    logger.exception("device=%s resend failed", self.device_id)
