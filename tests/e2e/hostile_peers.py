"""What the hostile-device suite attacks with: a paho client with queues, raw MQTT packets, a TCP relay, RSS.

The attacker is plain paho (as ``mosquitto_pub`` would be) or raw bytes on a socket when paho would refuse
(or would build a 100 MB packet in this process's memory). Nothing here sleeps to wait: queues and events.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from queue_server.contract.mqtt_client import tls_context

TIMEOUT = 10.0


@dataclass
class Endpoint:
    """Where a client connects: host, port and, over TLS, the office CA to verify the broker with."""

    host: str
    port: int
    ca_file: Path | None = None


@dataclass
class Peer:
    """A paho 2.x client whose callbacks feed queues. ``stay_down``: no automatic reconnect once dropped."""

    endpoint: Endpoint
    username: str
    password: str
    client_id: str = ""
    clean: bool = True
    stay_down: bool = False
    connack: queue.Queue[ReasonCode] = field(default_factory=queue.Queue)
    subacks: queue.Queue[list[ReasonCode]] = field(default_factory=queue.Queue)
    messages: queue.Queue[tuple[str, bytes, bool]] = field(default_factory=queue.Queue)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.paho = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=self.clean)
        self.paho.username_pw_set(self.username, self.password)
        if self.endpoint.ca_file is not None:
            self.paho.tls_set_context(tls_context(self.endpoint.ca_file))
        self.paho.on_connect = lambda _c, _u, _f, rc, _p: self.connack.put(rc)
        self.paho.on_subscribe = lambda _c, _u, _mid, rcs, _p: self.subacks.put(list(rcs))
        self.paho.on_message = lambda _c, _u, m: self.messages.put((m.topic, bytes(m.payload), bool(m.retain)))
        self.paho.on_disconnect = self._on_disconnect

    def _on_disconnect(self, client: mqtt.Client, *_args: Any) -> None:
        self.disconnected.set()
        if self.stay_down:
            client.disconnect()  # stops paho's reconnect loop

    def connect(self) -> Peer:
        self.paho.connect(self.endpoint.host, self.endpoint.port, keepalive=30)
        self.paho.loop_start()
        rc = self.connack.get(timeout=TIMEOUT)
        assert not rc.is_failure, f"{self.username} refused: {rc}"
        return self

    def subscribe(self, *filters: str) -> list[ReasonCode]:
        granted = []
        for topic_filter in filters:
            self.paho.subscribe(topic_filter, qos=1)
            granted += self.subacks.get(timeout=TIMEOUT)
        return granted

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self.paho.publish(topic, payload, qos=1, retain=retain).wait_for_publish(TIMEOUT)

    def until(self, topic: str, payload: bytes | None = None) -> list[tuple[str, bytes, bool]]:
        """Everything received up to and including a message on ``topic`` (with ``payload`` if given)."""
        seen = []
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            seen.append(message)
            if message[0] == topic and (payload is None or message[1] == payload):
                return seen

    def close(self) -> None:
        self.stay_down = True
        self.paho.disconnect()
        self.paho.loop_stop()


# -- raw MQTT 3.1.1 packets ------------------------------------------------------------------------------------
def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def connect_packet(client_id: str, username: str, password: str) -> bytes:
    body = _utf8("MQTT") + bytes([4, 0b1100_0010]) + (30).to_bytes(2, "big")
    body += _utf8(client_id) + _utf8(username) + _utf8(password)
    return b"\x10" + remaining_length(len(body)) + body


def publish_header(topic: str, payload_length: int, *, retain: bool = False) -> bytes:
    """A QoS 0 PUBLISH's header and topic; ``payload_length`` bytes of payload must follow."""
    topic_bytes = _utf8(topic)
    return bytes([0x30 | (1 if retain else 0)]) + remaining_length(len(topic_bytes) + payload_length) + topic_bytes


def open_socket(endpoint: Endpoint) -> socket.socket:
    sock = socket.create_connection((endpoint.host, endpoint.port), timeout=TIMEOUT)
    if endpoint.ca_file is not None:
        return tls_context(endpoint.ca_file).wrap_socket(sock, server_hostname=endpoint.host)
    return sock


def raw_login(endpoint: Endpoint, username: str, password: str) -> socket.socket:
    """A socket logged in (CONNACK 0) as ``username``."""
    sock = open_socket(endpoint)
    sock.sendall(connect_packet(username, username, password))
    connack = _read_exactly(sock, 4)
    assert connack[0] == 0x20 and connack[3] == 0, f"refused: {connack!r}"
    return sock


def send_oversized(sock: socket.socket, header: bytes, total: int) -> int:
    """Send ``header`` and then zeros up to ``total`` bytes of payload from one 1 MiB buffer (the attacker's
    own memory stays small); returns how many payload bytes went out before the broker closed the socket."""
    chunk = bytes(1024 * 1024)
    sent = 0
    try:
        sock.sendall(header)
        while sent < total:
            sock.sendall(chunk[: min(len(chunk), total - sent)])
            sent += min(len(chunk), total - sent)
    except OSError:  # reset or broken pipe: the broker closed the connection, which is what we want
        pass
    return sent


def closed_by_peer(sock: socket.socket, timeout: float = TIMEOUT) -> bool:
    """True once the other side closed (EOF or reset) within ``timeout``."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except (ConnectionError, ssl.SSLError, OSError) as exc:
        return not isinstance(exc, TimeoutError)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise ConnectionError(f"closed after {data!r}")
        data += more
    return data


# -- memory ----------------------------------------------------------------------------------------------------
def reset_peak_rss(pid: int | str) -> bool:
    """Reset a process's VmHWM (Linux: write 5 to clear_refs); False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_kib(pid: int | str, field_name: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field_name} for {pid}")


# -- a relay on the LAN ----------------------------------------------------------------------------------------
class Relay:
    """A loopback TCP relay between a device and the broker that records what the device sends."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.captured = bytearray()
        self.first_bytes = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._run, daemon=True)
        self._accept.start()

    def _run(self) -> None:
        try:
            client, _ = self.server.accept()
        except OSError:
            return
        upstream = socket.create_connection(self.target)
        for source, sink, record in ((client, upstream, True), (upstream, client, False)):
            thread = threading.Thread(target=self._pipe, args=(source, sink, record), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pipe(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while data := source.recv(65536):
                if record:
                    self.captured += data
                    if len(self.captured) >= 64:
                        self.first_bytes.set()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
