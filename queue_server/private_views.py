"""The counter units' private retained views (``dev/{device}/view``): what only the serving counter may see.

The public ``state/counters/{id}`` reaches every device account, so it carries no name. The masked name of the
citizen being served travels instead on each counter unit's own ``view`` topic, which the ACL lets only that
device (and the server) read. One view per registered, active device of kind ``counter`` bound to the counter;
when a device is revoked its retained view is cleared (an empty retained message), so nothing is left on the
broker for whoever holds its old credentials or takes over its id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from queue_server.contract import topics
from queue_server.engine.state import QueueState
from queue_server.views import counter_private_view


@dataclass(frozen=True)
class CounterDevices:
    active: Mapping[str, str] = field(default_factory=dict)
    """device id -> the counter it belongs to (active devices of kind counter only)."""
    revoked: frozenset[str] = frozenset()
    """Revoked counter devices: their views are cleared on every full republish."""


class PrivateViews:
    def __init__(self, office_id: str, devices: Callable[[], CounterDevices]) -> None:
        self.office_id, self.devices = office_id, devices
        self._published: dict[str, dict[str, Any]] = {}  # device id -> last view sent

    def changes(
        self, state: QueueState, counters: Iterable[str] | None = None
    ) -> list[tuple[str, dict[str, Any] | None]]:
        """(topic, view) to publish retained; view None means clear the topic (a revoked or moved device).

        ``counters``: the counters whose serving may have changed; None for a full republish (after a
        reconnect), which sends every view and clears every revoked device's.
        """
        if state.setup is None:
            return []
        known = self.devices()
        out: list[tuple[str, dict[str, Any] | None]] = []
        for device_id in [d for d in self._published if d not in known.active]:
            del self._published[device_id]
            out.append((topics.device_view(self.office_id, device_id), None))
        if counters is None:
            self._published.clear()
            out += [(topics.device_view(self.office_id, d), None) for d in sorted(known.revoked)]
        touched = set(counters) if counters is not None else None
        for device_id, counter_id in sorted(known.active.items()):
            if counter_id not in state.counters:
                continue
            if touched is not None and counter_id not in touched and device_id in self._published:
                continue
            view = counter_private_view(state, counter_id)
            if self._published.get(device_id) != view:
                self._published[device_id] = view
                out.append((topics.device_view(self.office_id, device_id), view))
        return out
