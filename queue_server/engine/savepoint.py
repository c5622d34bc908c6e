"""Undo for a batch of decisions: what the state was before them, restored exactly if their commit fails.

Why: the server decides a batch request by request against the live state (request 2 must see the ticket request 1
issued), and only then commits it. If the commit fails, the batch never happened: the state must be what it was,
without reading the database (which may be the very thing that is down).

How, cheaply: a ``Savepoint`` keeps shallow copies of the state's containers (``dict.copy`` of a few thousand
entries costs microseconds; see ``queue_server/bench/savepoint.py``), a copy of every counter (a handful), and,
lazily, a copy of each ticket the batch's events name before the first of them is applied: those are the only
objects ``QueueState.apply`` changes in place (``tests/unit/test_engine_savepoint.py`` replays every event type
through a savepoint to hold that true). Restoring puts the copies back in place, so every reference to a ticket
or counter, from any container, sees the old values again.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from queue_server.engine import events as ev
from queue_server.engine.state import CounterState, QueueState, Ticket


def _copied(value: Any) -> Any:
    """A container of the state copied one level deep (its items are restored separately); other values as is."""
    if isinstance(value, dict | set | list):
        return value.copy()
    return value


def _ticket_ids(event: ev.Event) -> tuple[str, ...]:
    """The tickets an event may change in place when applied."""
    if isinstance(event, ev.DayStarted):
        return event.expired_ticket_ids
    ticket_id = getattr(event, "ticket_id", None)
    return () if ticket_id is None else (ticket_id,)


def _put_back(target: Ticket | CounterState, saved: Ticket | CounterState) -> None:
    for f in dataclasses.fields(target):
        setattr(target, f.name, getattr(saved, f.name))


class Savepoint:
    """``sp = Savepoint(state)``; apply events with ``sp.apply(event)``; ``sp.rollback()`` undoes them all."""

    def __init__(self, state: QueueState) -> None:
        self.state = state
        self._fields = {f.name: _copied(getattr(state, f.name)) for f in dataclasses.fields(state)}
        self._counters = [(c, copy.copy(c)) for c in state.counters.values()]
        self._tickets: dict[str, tuple[Ticket, Ticket]] = {}
        self._done = False

    def apply(self, event: ev.Event) -> None:
        """Apply ``event`` to the state, first keeping what it will change."""
        if self._done:
            raise RuntimeError("this savepoint was already rolled back")
        tickets = self.state.tickets
        for ticket_id in _ticket_ids(event):
            ticket = tickets.get(ticket_id)
            if ticket is not None and ticket_id not in self._tickets:
                self._tickets[ticket_id] = (ticket, copy.copy(ticket))
        self.state.apply(event)

    def rollback(self) -> None:
        """The state exactly as it was when the savepoint was taken (the savepoint cannot be used again)."""
        if self._done:
            return
        self._done = True
        for ticket, saved in self._tickets.values():
            _put_back(ticket, saved)
        for counter, saved_counter in self._counters:
            _put_back(counter, saved_counter)
        for name, value in self._fields.items():
            setattr(self.state, name, value)
