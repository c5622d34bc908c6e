"""paho-mqtt 2.x clients as motcua uses them: VERSION2 callbacks, credentials, a last will, reconnect with backoff."""

from __future__ import annotations

import json
import socket
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
    will_topic: str | None = None,
    clean_session: bool = True,
) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
    )
    client.username_pw_set(username, password)
    if will_topic is not None:
        client.will_set(will_topic, json.dumps({"v": 1, "online": False}), qos=1, retain=True)
    client.reconnect_delay_set(RECONNECT_MIN_DELAY, RECONNECT_MAX_DELAY)
    client.on_socket_open = _no_delay
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    return client


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Disable Nagle: small request/reply packets otherwise wait ~40 ms for a delayed ACK on every hop."""
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
