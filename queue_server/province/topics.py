"""The topics of the office → province event flow, next to the office's ``events`` stream.

::

    motcua/v1/{office}/events           office -> province  committed events (contract.topics.event_stream)
    motcua/v1/{office}/events/resend    province -> office  "resend your events after seq N"     QoS 1
    motcua/v1/{office}/events/replayed  office -> province  what a resend covered (seq ranges)   QoS 1
    motcua/v1/{office}/bridge/state     office's Mosquitto  bridge up "1" / down "0"             retained

They cross the Mosquitto bridge, so the office broker's bridge section and the province broker's ACL are
generated from these functions (``queue_server.brokers.bridge``).
"""

from __future__ import annotations

from queue_server.contract import topics


def resend_request(office: str) -> str:
    return f"{topics.event_stream(office)}/resend"


def replay_report(office: str) -> str:
    return f"{topics.event_stream(office)}/replayed"


def bridge_state(office: str) -> str:
    return f"{topics.ROOT}/{office}/bridge/state"


def office_of(topic: str, leaf: str) -> str | None:
    """The office id in ``motcua/v1/{office}/{leaf}``, or None for any other topic."""
    prefix = f"{topics.ROOT}/"
    if not topic.startswith(prefix) or not topic.endswith(f"/{leaf}"):
        return None
    office = topic[len(prefix) : -len(leaf) - 1]
    return office if topics.valid_id(office) else None
