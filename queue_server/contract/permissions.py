"""Device kinds and the request types each may send: the one table the server's authorisation, ``motcua device
add --kind``, the device registry's check and the table in ``docs/protocol.md`` are derived from.

The broker lets every device publish requests; the server refuses a type the device's kind may not send with
``forbidden``. The kind comes from the registry (``motcua device add --kind``), never from a field of the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, get_args

RequestType = Literal[
    "issue_ticket", "call_next", "recall", "skip", "requeue", "transfer", "finish", "rate",
    "pause", "resume", "sign_in", "sign_out", "check_in",
]  # fmt: skip
REQUEST_TYPES: tuple[RequestType, ...] = get_args(RequestType)
"""In the order ``docs/protocol.md`` lists them."""


class DeviceKind(StrEnum):
    KIOSK = "kiosk"
    """Ticket kiosk (ki-ốt lấy số)."""
    COUNTER = "counter"
    """A counter unit, bound to one counter: a request naming another ``counter_id`` is refused."""
    DISPLAY = "display"
    """Hall board or counter display: reads ``state/#`` only."""
    CONSOLE = "console"
    """A staff console or integration tool: may send any request (the web console, mosquitto_pub)."""
    OTHER = "other"
    """Registered, but may send nothing (a device whose role is not decided yet)."""


_KIOSK: frozenset[RequestType] = frozenset({"issue_ticket", "check_in"})
"""A kiosk issues numbers and checks remote numbers in (it sends the code only; it never learns a phone)."""
MAY_SEND: Mapping[DeviceKind, frozenset[RequestType]] = MappingProxyType(
    {
        DeviceKind.KIOSK: _KIOSK,
        DeviceKind.COUNTER: frozenset(REQUEST_TYPES) - _KIOSK,
        DeviceKind.DISPLAY: frozenset(),
        DeviceKind.CONSOLE: frozenset(REQUEST_TYPES),
        DeviceKind.OTHER: frozenset(),
    }
)
BOUND_TO_A_COUNTER = frozenset({DeviceKind.COUNTER})
"""Kinds registered with ``--counter``; every other kind is registered without one."""


def may_send(kind: DeviceKind | str, request_type: str) -> bool:
    """Whether a device of ``kind`` may send ``request_type``; an unknown kind may send nothing."""
    try:
        return request_type in MAY_SEND[DeviceKind(kind)]
    except ValueError:
        return False


def senders_of(request_type: RequestType) -> tuple[DeviceKind, ...]:
    """The kinds that may send ``request_type``, in the table's order (the docs' "Sent by" column)."""
    return tuple(kind for kind, types in MAY_SEND.items() if request_type in types)
