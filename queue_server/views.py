"""Retained state payloads built from the queue state: what displays and kiosks show after a reconnect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from queue_server.contract import topics
from queue_server.contract.messages import SCHEMA_VERSION
from queue_server.engine.state import QueueState


def counter_view(state: QueueState, counter_id: str) -> dict[str, Any]:
    assert state.setup is not None
    counter = state.setup.counter(counter_id)
    live = state.counters[counter_id]
    serving = None
    if live.serving_ticket_id is not None:
        ticket = state.tickets[live.serving_ticket_id]
        serving = {
            "ticket_id": ticket.id,
            "label": ticket.label,
            "service_id": ticket.service_id,
            "priority": ticket.priority,
            "since": _iso(ticket.status_since),
        }
    return {
        "v": SCHEMA_VERSION,
        "counter_id": counter_id,
        "number": counter.number if counter else None,
        "services": list(counter.service_ids) if counter else [],
        "paused": live.paused,
        "staff_id": live.staff_id,
        "serving": serving,
    }


def board_view(state: QueueState) -> dict[str, Any]:
    assert state.setup is not None
    numbers = {c.id: c.number for c in state.setup.counters}
    serving = {c.serving_ticket_id for c in state.counters.values()}
    return {
        "v": SCHEMA_VERSION,
        "recent": [
            {
                "label": call.label,
                "counter_id": call.counter_id,
                "counter_number": numbers.get(call.counter_id),
                "at": _iso(call.at),
                "serving": call.ticket_id in serving,
            }
            for call in state.recent_calls
        ],
    }


def waiting_view(state: QueueState) -> dict[str, Any]:
    return {
        "v": SCHEMA_VERSION,
        "day": state.day.isoformat() if state.day else None,
        "waiting": state.waiting_counts(),
    }


def retained_views(state: QueueState, office_id: str) -> dict[str, dict[str, Any]]:
    """Every retained state topic with its payload (without the ``at`` stamp added at publish time)."""
    if state.setup is None:
        return {}
    views = {topics.counter_state(office_id, cid): counter_view(state, cid) for cid in state.counters}
    views[topics.board_state(office_id)] = board_view(state)
    views[topics.waiting_state(office_id)] = waiting_view(state)
    return views


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
