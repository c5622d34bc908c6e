"""What a device's code needs of its link to the office: one protocol for kiosks, counter units and displays.

``DeviceLink`` is the real one; the screenshot tour and tests pass their own. Kept to what devices call, so that a
test double stays small, and in the contract so that every device depends on the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

StateHandler = Callable[[str, dict[str, Any]], None]
"""Called with a retained state topic and its decoded payload."""


class Link(Protocol):
    on_state: StateHandler | None

    @property
    def connected(self) -> bool: ...

    def submit(
        self, request_type: str, body: dict[str, Any], request_id: str | None = None, *, ttl: float | None = None
    ) -> str:
        """Queue a request durably and return its id at once; the reply comes through the link's ``on_reply``."""
        ...

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = ..., *, ttl: float | None = ...
    ) -> dict[str, Any] | None:
        """Submit and wait for the reply; None on timeout (the request stays queued)."""
        ...
