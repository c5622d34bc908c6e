"""The MQTT topic tree, and who may publish or read what. The one place topics are spelled.

::

    motcua/v1/{office}/dev/{device}/req     device -> server   request             QoS 1, not retained
    motcua/v1/{office}/dev/{device}/res     server -> device   reply               QoS 1, not retained
    motcua/v1/{office}/dev/{device}/status  device             online/alarms, LWT  QoS 1, retained
    motcua/v1/{office}/state/counters/{id}  server             now serving         QoS 1, retained
    motcua/v1/{office}/state/board          server             hall board          QoS 1, retained
    motcua/v1/{office}/state/waiting        server             waiting per field   QoS 1, retained
    motcua/v1/{office}/server/status        server             online, LWT         QoS 1, retained
    motcua/v1/{office}/events               server -> province committed events    QoS 1, not retained
"""

from __future__ import annotations

import re

ROOT = "motcua/v1"
SERVER_USERNAME = "motcua-server"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""Office, device and counter ids: safe in topics, file names and Mosquitto's ``%u`` substitution."""


def valid_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))


def request(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/req"


def reply(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/res"


def device_status(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/status"


def counter_state(office: str, counter: str) -> str:
    return f"{ROOT}/{office}/state/counters/{counter}"


def board_state(office: str) -> str:
    return f"{ROOT}/{office}/state/board"


def waiting_state(office: str) -> str:
    return f"{ROOT}/{office}/state/waiting"


def server_status(office: str) -> str:
    return f"{ROOT}/{office}/server/status"


def event_stream(office: str) -> str:
    return f"{ROOT}/{office}/events"


def all_requests(office: str) -> str:
    """The server's subscription: every device's requests in its office."""
    return f"{ROOT}/{office}/dev/+/req"


def parse_request_topic(topic: str) -> tuple[str, str] | None:
    """``(office, device)`` for a request topic, else None."""
    parts = topic.split("/")
    if len(parts) != 6 or f"{parts[0]}/{parts[1]}" != ROOT or parts[3] != "dev" or parts[5] != "req":
        return None
    return parts[2], parts[4]


# -- access control: the same rules feed Mosquitto's acl_file and the embedded broker's plugin ---------------
def device_publish_patterns(office: str) -> list[str]:
    """Topics a device may publish, with ``%u`` for its own username (Mosquitto ``pattern`` syntax)."""
    return [f"{ROOT}/{office}/dev/%u/req", f"{ROOT}/{office}/dev/%u/status"]


def device_read_patterns(office: str) -> list[str]:
    """Topic filters a device may subscribe to and receive."""
    return [
        f"{ROOT}/{office}/dev/%u/res",
        f"{ROOT}/{office}/state/#",
        f"{ROOT}/{office}/server/status",
    ]


def server_patterns(office: str) -> list[str]:
    return [f"{ROOT}/{office}/#"]


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT wildcard match (``+`` one level, ``#`` the rest)."""
    f_parts, t_parts = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts) or (part != "+" and part != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def may_publish(office: str, username: str, topic: str) -> bool:
    if username == SERVER_USERNAME:
        return any(topic_matches(p, topic) for p in server_patterns(office))
    return any(topic == p.replace("%u", username) for p in device_publish_patterns(office))


def may_subscribe(office: str, username: str, topic_filter: str) -> bool:
    """A filter is allowed only if it is one of the allowed filters or narrower (no widening wildcards)."""
    if username == SERVER_USERNAME:
        return any(topic_matches(p, topic_filter) for p in server_patterns(office))
    for pattern in device_read_patterns(office):
        allowed = pattern.replace("%u", username)
        if allowed == topic_filter or (
            allowed.endswith("/#") and topic_filter.startswith(allowed[:-1]) and "+" not in topic_filter
        ):
            return True
    return False
