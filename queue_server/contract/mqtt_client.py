"""paho-mqtt 2.x clients as motcua uses them: VERSION2 callbacks, credentials, a last will, reconnect with backoff."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

RECONNECT_MIN_DELAY = 1
RECONNECT_MAX_DELAY = 5
"""Short delays: offices run on a LAN, and a reconnect is what ends a broker restart for every device."""


def make_client(
    client_id: str,
    username: str,
    password: str,
    *,
    will: tuple[str, bytes] | None = None,
    clean_session: bool = True,
    ca_file: Path | str | None = None,
) -> mqtt.Client:
    """``client_id`` is only a hint: motcua's brokers replace it by the username (identity is the username).

    ``will``: the topic and payload the broker publishes (retained) when the connection is lost, the client's own
    "offline" status (``DeviceStatus`` or ``ServerStatus`` with ``online`` false).

    With ``ca_file`` the connection is TLS (1.2 or later) and the broker must show a certificate signed by that
    CA for the host name connected to (the office CA, ``motcua tls ca``).
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
    )
    client.username_pw_set(username, password)
    if ca_file is not None:
        client.tls_set_context(tls_context(ca_file))
    if will is not None:
        client.will_set(*will, qos=1, retain=True)
    client.reconnect_delay_set(RECONNECT_MIN_DELAY, RECONNECT_MAX_DELAY)
    client.on_socket_open = _no_delay
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    return client


def tls_context(ca_file: Path | str) -> ssl.SSLContext:
    """A client context trusting only ``ca_file``, checking the broker's host name, TLS 1.2 at least."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Disable Nagle: small request/reply packets otherwise wait ~40 ms for a delayed ACK on every hop."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
