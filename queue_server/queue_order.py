"""The waiting tickets of one counter in calling order, for the staff console (read by ``LiveOffice.queue``).

The order itself is the engine's calling rule (``engine.calling.call_order``), never a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_server.engine.calling import call_order
from queue_server.forecast.predict import Prediction

__all__ = ["QueuedTicket", "call_order"]


@dataclass(frozen=True)
class QueuedTicket:
    """A waiting ticket as the staff console lists it: its number, line and since when; nothing personal."""

    ticket_id: str
    label: str
    service_id: str
    priority: bool
    since: datetime
    """When it joined the line (issued, put back after a no-show, or transferred)."""
    forecast: Prediction | None = None
    """When the engine's calling rule, run forward over the open counters, predicts its call."""
