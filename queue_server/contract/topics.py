"""The MQTT topic tree, and who may publish or read what. The one place topics are spelled.

::

    motcua/v1/{office}/dev/{device}/req     device -> server   request             QoS 1, not retained
    motcua/v1/{office}/dev/{device}/res     server -> device   reply               QoS 1, not retained
    motcua/v1/{office}/dev/{device}/status  device             online/alarms, LWT  QoS 1, retained
    motcua/v1/{office}/dev/{device}/view    server -> counter  its masked name     QoS 1, retained
    motcua/v1/{office}/state/counters/{id}  server             now serving         QoS 1, retained
    motcua/v1/{office}/state/board          server             hall board          QoS 1, retained
    motcua/v1/{office}/state/waiting        server             waiting per field   QoS 1, retained
    motcua/v1/{office}/state/office         server             the office setup    QoS 1, retained
    motcua/v1/{office}/server/status        server             online, LWT         QoS 1, retained
    motcua/v1/{office}/events               server -> province committed events    QoS 1, not retained
    motcua/v1/{office}/events/resend        province -> server resend after seq N  QoS 1, not retained
    motcua/v1/{office}/events/replayed      server -> province seqs a resend had   QoS 1, not retained
    motcua/v1/{office}/bridge/state         office's bridge    up 1 / down 0, LWT  retained

The last three (and ``events``) cross the Mosquitto bridge to the province broker, so the office broker's bridge
section and the province broker's ACL are generated from these functions (``queue_server.brokers.bridge``).
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

ROOT = "motcua/v1"
SERVER_USERNAME = "motcua-server"
REPLAYER_USERNAME = "motcua-replayer"
"""The office server's second connection, answering the province's gap-fill requests: only ``events*`` rights.

A separate account because the client id is the username on every broker: two connections of one account
would take each other over."""
MONITOR_USERNAME = "motcua-monitor"
"""Optional read-only account on the office's whole tree (``[broker] monitor_password``): for an operator's
``mosquitto_sub`` and for tests. Read-only, so it cannot disturb anyone; with the server's own account instead,
a debugging session would take the server's connection over."""
RESERVED_PREFIX = "motcua-"
"""Usernames motcua keeps for itself (server, replayer, province ingest, bridges): never a device id."""
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""Office, device and counter ids: safe in topics, file names and Mosquitto's ``%u`` substitution."""


def valid_id(value: str) -> bool:
    # fullmatch: with match(), "$" also accepts a trailing newline ("kiosk-01\n"), which would end up in
    # Mosquitto's passwd file as a broken line.
    return bool(ID_PATTERN.fullmatch(value))


def request(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/req"


def reply(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/res"


def device_status(office: str, device: str) -> str:
    return f"{ROOT}/{office}/dev/{device}/status"


def device_view(office: str, device: str) -> str:
    """A counter unit's private retained view: only that device (and the server) may read it."""
    return f"{ROOT}/{office}/dev/{device}/view"


def counter_state(office: str, counter: str) -> str:
    return f"{ROOT}/{office}/state/counters/{counter}"


def board_state(office: str) -> str:
    return f"{ROOT}/{office}/state/board"


def waiting_state(office: str) -> str:
    return f"{ROOT}/{office}/state/waiting"


def office_state(office: str) -> str:
    """The office as devices need it (``contract.office``): services, counters, catalogue. Every device reads
    it (``state/#``), only the server writes it."""
    return f"{ROOT}/{office}/state/office"


def server_status(office: str) -> str:
    return f"{ROOT}/{office}/server/status"


def event_stream(office: str) -> str:
    return f"{ROOT}/{office}/events"


def resend_request(office: str) -> str:
    """The province asks the office server to republish its events after a seq (``events/resend``)."""
    return f"{event_stream(office)}/resend"


def replay_report(office: str) -> str:
    """The office server says which seqs a resend covered (``events/replayed``)."""
    return f"{event_stream(office)}/replayed"


def bridge_state(office: str) -> str:
    """The office broker's bridge notification: retained "1" connected, "0" disconnected (its last will)."""
    return f"{ROOT}/{office}/bridge/state"


def office_of(topic: str, leaf: str) -> str | None:
    """The office id in ``motcua/v1/{office}/{leaf}``, or None for any other topic."""
    prefix = f"{ROOT}/"
    if not topic.startswith(prefix) or not topic.endswith(f"/{leaf}"):
        return None
    office = topic[len(prefix) : -len(leaf) - 1]
    return office if valid_id(office) else None


def all_requests(office: str) -> str:
    """The server's subscription: every device's requests in its office."""
    return f"{ROOT}/{office}/dev/+/req"


def all_device_statuses(office: str) -> str:
    """The server's other subscription: every device's retained status (online, alarms) in its office."""
    return f"{ROOT}/{office}/dev/+/status"


def parse_request_topic(topic: str) -> tuple[str, str] | None:
    """``(office, device)`` for a request topic, else None."""
    return _parse_device_topic(topic, "req")


def parse_status_topic(topic: str) -> tuple[str, str] | None:
    """``(office, device)`` for a device status topic, else None."""
    return _parse_device_topic(topic, "status")


def _parse_device_topic(topic: str, leaf: str) -> tuple[str, str] | None:
    parts = topic.split("/")
    if len(parts) != 6 or f"{parts[0]}/{parts[1]}" != ROOT or parts[3] != "dev" or parts[5] != leaf:
        return None
    return parts[2], parts[4]


TopicKind = Literal[
    "request", "reply", "device_status", "device_view", "counter_state", "board_state", "waiting_state",
    "server_status",
]  # fmt: skip
_DEVICE_LEAVES: dict[str, TopicKind] = {
    "req": "request", "res": "reply", "status": "device_status", "view": "device_view",
}  # fmt: skip


class Topic(NamedTuple):
    """A device-facing topic read back: whose office, what it is, and the device or counter it names (if any)."""

    office: str
    kind: TopicKind
    id: str | None = None


def parse_topic(topic: str) -> Topic | None:
    """What a topic a device deals with is (the inverse of the builders above); None for any other topic.

    Devices match on this instead of the topic's spelling (``topic.endswith("/view")``), so that a counter
    called ``view`` or an office called ``state`` is never taken for something else.
    """
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != ROOT or not valid_id(parts[2]):
        return None
    office, rest = parts[2], parts[3:]
    match rest:
        case ["dev", device, leaf] if leaf in _DEVICE_LEAVES and valid_id(device):
            return Topic(office, _DEVICE_LEAVES[leaf], device)
        case ["state", "counters", counter] if valid_id(counter):
            return Topic(office, "counter_state", counter)
        case ["state", "board"]:
            return Topic(office, "board_state")
        case ["state", "waiting"]:
            return Topic(office, "waiting_state")
        case ["server", "status"]:
            return Topic(office, "server_status")
    return None


# -- access control: the same rules feed Mosquitto's acl_file and the embedded broker's plugin ---------------
def device_publish_patterns(office: str) -> list[str]:
    """Topics a device may publish, with ``%u`` for its own username (Mosquitto ``pattern`` syntax)."""
    return [f"{ROOT}/{office}/dev/%u/req", f"{ROOT}/{office}/dev/%u/status"]


def device_read_patterns(office: str) -> list[str]:
    """Topic filters a device may subscribe to and receive."""
    return [
        f"{ROOT}/{office}/dev/%u/res",
        f"{ROOT}/{office}/dev/%u/view",
        f"{ROOT}/{office}/state/#",
        f"{ROOT}/{office}/server/status",
    ]


def server_patterns(office: str) -> list[str]:
    return [f"{ROOT}/{office}/#"]


def replayer_publish_topics(office: str) -> list[str]:
    """What the event replayer publishes: the events again, and its replay reports."""
    return [event_stream(office), replay_report(office)]


def replayer_read_topics(office: str) -> list[str]:
    """What the event replayer reads: the province's resend requests."""
    return [resend_request(office)]


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT wildcard match (``+`` one level, ``#`` the rest, including the parent level itself).

    As the spec says (4.7.2), a filter starting with a wildcard does not match ``$``-topics such as ``$SYS``.
    """
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    f_parts, t_parts = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts) or (part != "+" and part != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def _valid_topic_name(topic: str) -> bool:
    """A topic one may publish to: not empty, no wildcards, no NUL (MQTT 4.7.3)."""
    return bool(topic) and not any(c in topic for c in "+#\0")


def _valid_filter(topic_filter: str) -> bool:
    """A well-formed filter: ``+`` and ``#`` fill a whole level, ``#`` only last (MQTT 4.7.1)."""
    if not topic_filter or "\0" in topic_filter:
        return False
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if ("+" in level and level != "+") or ("#" in level and (level != "#" or i != len(levels) - 1)):
            return False
    return True


def _filter_within(topic_filter: str, allowed: str) -> bool:
    """True if every topic ``topic_filter`` can match is also matched by ``allowed`` (no widening)."""
    f_parts, a_parts = topic_filter.split("/"), allowed.split("/")
    for i, level in enumerate(a_parts):
        if level == "#":
            return True
        if i >= len(f_parts) or f_parts[i] == "#":
            return False
        if level != "+" and f_parts[i] != level:  # a "+" in the filter is wider than a literal level
            return False
    return len(f_parts) == len(a_parts)


def _allowed(patterns: list[str], username: str) -> list[str] | None:
    """``patterns`` with ``%u`` filled in; None for a username unsafe in a topic (``/``, ``+``, ``#``)."""
    if not valid_id(username):
        return None
    return [p.replace("%u", username) for p in patterns]


def may_publish(office: str, username: str, topic: str) -> bool:
    """May ``username`` publish to ``topic``? The embedded broker's equivalent of the Mosquitto ACL."""
    if not _valid_topic_name(topic):
        return False
    if username == SERVER_USERNAME:
        return any(topic_matches(p, topic) for p in server_patterns(office))
    if username == REPLAYER_USERNAME:
        return topic in replayer_publish_topics(office)
    if username == MONITOR_USERNAME:
        return False
    allowed = _allowed(device_publish_patterns(office), username)
    return allowed is not None and topic in allowed


def may_subscribe(office: str, username: str, topic_filter: str) -> bool:
    """A filter is allowed only if it is one of the allowed filters or narrower (no widening wildcards).

    A plain topic is a filter too, so this also answers "may this user receive a message on that topic".
    """
    if not _valid_filter(topic_filter):
        return False
    if username == SERVER_USERNAME:
        allowed: list[str] | None = server_patterns(office)
    elif username == REPLAYER_USERNAME:
        allowed = replayer_read_topics(office)
    elif username == MONITOR_USERNAME:
        allowed = server_patterns(office)
    else:
        allowed = _allowed(device_read_patterns(office), username)
    return allowed is not None and any(_filter_within(topic_filter, a) for a in allowed)
