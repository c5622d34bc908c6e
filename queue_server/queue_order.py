"""The waiting tickets of one counter in calling order, for the staff console (read by ``LiveOffice.queue``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_server.engine.setup import OfficeSetup, PriorityPolicy
from queue_server.engine.state import Ticket


@dataclass(frozen=True)
class QueuedTicket:
    """A waiting ticket as the staff console lists it: its number, line and since when; nothing personal."""

    ticket_id: str
    label: str
    service_id: str
    priority: bool
    since: datetime
    """When it joined the line (issued, put back after a no-show, or transferred)."""


def call_order(candidates: list[Ticket], setup: OfficeSetup, normals_since_priority: int) -> list[Ticket]:
    """The order repeated ``CallNext`` at one counter would take these tickets (the engine's ``_choose``, run
    forward in one sort and merge instead of one full scan per call): each line by ``queue_key``; under the
    interleave policy a priority ticket after every ``interleave_every`` normal ones, under strict ones first."""
    priority = sorted((t for t in candidates if t.priority is not None), key=lambda t: t.queue_key)
    normal = sorted((t for t in candidates if t.priority is None), key=lambda t: t.queue_key)
    if setup.priority_policy is PriorityPolicy.STRICT:
        return priority + normal
    out: list[Ticket] = []
    p = n = 0
    normals = normals_since_priority
    while p < len(priority) or n < len(normal):
        if p < len(priority) and (n == len(normal) or normals >= setup.interleave_every):
            out.append(priority[p])
            p, normals = p + 1, 0
        else:
            out.append(normal[n])
            n, normals = n + 1, normals + 1
    return out
