"""Retained state payloads built from the queue state: what displays and kiosks show after a reconnect.

Built as the contract's typed payloads (``contract/payloads.py``), the models devices parse them with, and
returned as JSON objects: the service stamps ``at`` on them when it publishes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from queue_server.contract import office as office_contract
from queue_server.contract import topics
from queue_server.contract.payloads import (
    BoardCall,
    BoardState,
    CounterState,
    CounterView,
    PrivateServing,
    ServingTicket,
    WaitingState,
)
from queue_server.engine import events as ev
from queue_server.engine.hours import hours_to_json
from queue_server.engine.state import QueueState


def counter_view(state: QueueState, counter_id: str) -> dict[str, Any]:
    assert state.setup is not None
    counter = state.setup.counter(counter_id)
    live = state.counters[counter_id]
    serving = None
    if live.serving_ticket_id is not None:
        ticket = state.tickets[live.serving_ticket_id]
        # Every device may read this retained topic: no name, and no priority category beyond "ưu tiên" (yes/no).
        serving = ServingTicket(
            ticket_id=ticket.id,
            label=ticket.label,
            service_id=ticket.service_id,
            priority=ticket.priority is not None,
            since=_iso(ticket.status_since),
        )
    return CounterState(
        counter_id=counter_id,
        number=counter.number if counter else None,
        services=list(counter.service_ids) if counter else [],
        paused=live.paused,
        staff_id=live.staff_id,
        serving=serving,
    ).payload()


def counter_private_view(state: QueueState, counter_id: str) -> dict[str, Any]:
    """What only the counter's own unit(s) may see (``dev/{device}/view``): the masked name of whom it serves."""
    live = state.counters.get(counter_id)
    ticket = state.tickets.get(live.serving_ticket_id or "") if live else None
    serving = None
    if ticket is not None:
        serving = PrivateServing(ticket_id=ticket.id, label=ticket.label, display_name=ticket.display_name or None)
    return CounterView(counter_id=counter_id, serving=serving).payload()


def board_view(state: QueueState) -> dict[str, Any]:
    assert state.setup is not None
    numbers = {c.id: c.number for c in state.setup.counters}
    serving = {c.serving_ticket_id for c in state.counters.values()}
    recent = [
        BoardCall(
            label=call.label,
            counter_id=call.counter_id,
            counter_number=numbers.get(call.counter_id),
            at=_iso(call.at),
            serving=call.ticket_id in serving,
        )
        for call in state.recent_calls
    ]
    return BoardState(recent=recent).payload()


def waiting_view(state: QueueState) -> dict[str, Any]:
    return WaitingState(day=state.day.isoformat() if state.day else None, waiting=state.waiting_counts()).payload()


def office_view(state: QueueState) -> dict[str, Any]:
    """``state/office``: the replayed setup as devices need it, the last uploaded catalogue, a content version.

    No staff (names are personal), nothing a device in a public hall has no use for. A stored catalogue that no
    longer reads as JSON is left out (logged by the caller's size check otherwise): the kiosks keep theirs."""
    assert state.setup is not None
    setup = state.setup
    catalogue, catalogue_sha256 = None, None
    if state.catalogue is not None:
        try:
            loaded = json.loads(state.catalogue)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            catalogue, catalogue_sha256 = loaded, hashlib.sha256(state.catalogue.encode()).hexdigest()
    office = office_contract.Office(
        office_id=setup.office_id,
        name=setup.name,
        utc_offset_minutes=setup.utc_offset_minutes,
        number_width=setup.number_width,
        services=tuple(
            office_contract.OfficeService(id=s.id, prefix=s.prefix, name_vi=s.name_vi, name_en=s.name_en)
            for s in setup.services
        ),
        counters=tuple(
            office_contract.OfficeCounter(id=c.id, number=c.number, name=c.name, services=c.service_ids)
            for c in setup.counters
        ),
        priority_categories=setup.priority_categories,
        priority_policy=setup.priority_policy.value,
        rating_scale=tuple(
            office_contract.OfficeRatingLevel(
                code=r.code, label_vi=r.label_vi, label_en=r.label_en, satisfied=r.satisfied
            )
            for r in setup.rating_scale
        ),
        rating_window_seconds=setup.rating_window_seconds,
        hours=office_contract.OfficeHours.model_validate(hours_to_json(setup.hours)),  # the one encoding of hours
        catalogue=catalogue,
        catalogue_sha256=catalogue_sha256,
    )
    return office.versioned(published_at="").model_dump(mode="json")


def retained_views(
    state: QueueState, office_id: str, touched: Iterable[ev.Event] | None = None
) -> dict[str, dict[str, Any]]:
    """Retained state topics with their payloads (without the ``at`` stamp added at publish time).

    With ``touched``, only the views those events can have changed: the hot path builds two or three, not all.
    """
    if state.setup is None:
        return {}
    if touched is None:
        counters, board, waiting, office = set(state.counters), True, True, True
    else:
        counters, board, waiting, office = set(), False, False, False
        for event in touched:
            office = office or isinstance(event, ev.OfficeConfigured | ev.CatalogueUploaded)
            counter_id = getattr(event, "counter_id", None) or getattr(event, "from_counter_id", None)
            if counter_id in state.counters:
                counters.add(counter_id)
            board = board or isinstance(event, _BOARD_EVENTS)
            waiting = waiting or isinstance(event, _WAITING_EVENTS)
            if isinstance(event, ev.OfficeConfigured | ev.DayStarted):
                counters, board, waiting = set(state.counters), True, True
    views = {topics.counter_state(office_id, cid): counter_view(state, cid) for cid in sorted(counters)}
    if board:
        views[topics.board_state(office_id)] = board_view(state)
    if waiting:
        views[topics.waiting_state(office_id)] = waiting_view(state)
    if office:
        views[topics.office_state(office_id)] = office_view(state)
    return views


_BOARD_EVENTS = (ev.TicketCalled, ev.TicketRecalled, ev.ServiceFinished, ev.TicketSkipped, ev.TicketTransferred)
_WAITING_EVENTS = (ev.TicketIssued, ev.TicketCalled, ev.TicketTransferred, ev.TicketRequeued)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
