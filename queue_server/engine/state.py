"""The queue's state: nothing but the replay of its events (``QueueState.replay(events)``).

``apply`` trusts its events (they were validated when decided), so replay is a tight loop of dict updates; an
event that does not fit the state (a corrupt or hand-edited log) raises ``EventNotApplicable``, never an
``AssertionError`` or a bare ``KeyError``, so the server can say which event it was and start read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup

RECENT_CALLS_KEPT = 10


class EventNotApplicable(Exception):
    """The event cannot be applied to this state (e.g. a call of a ticket that is not waiting); replay stops."""


class TicketStatus(StrEnum):
    BOOKED = "booked"
    """A remote number not checked in yet: it holds its place but is not called."""
    WAITING = "waiting"
    SERVING = "serving"
    NO_SHOW = "no_show"
    DONE = "done"
    EXPIRED = "expired"


@dataclass(slots=True)
class Ticket:
    """One ticket of the day; slotted: the day's tickets are most of what the server's memory grows by."""

    id: str
    service_id: str
    number: int
    label: str
    day: date
    priority: str | None
    issued_at: datetime
    status: TicketStatus = TicketStatus.WAITING
    status_since: datetime | None = None
    counter_id: str | None = None
    """The counter serving it, or the counter it was last called at."""
    target_counter_id: str | None = None
    queue_key: tuple[int, int] = (1, 0)
    """Order in the waiting line: (0 for transferred-to-front else 1, enqueue sequence)."""
    segment: int = 0
    display_name: str | None = None
    """Masked name for the counter screen (never on the hall board); dropped with the ticket after its day."""
    remote: bool = False
    """Booked from the public web (``RemoteBooked``); ``issued_at`` is then the booking."""
    checked_in_at: datetime | None = None


@dataclass
class CounterState:
    id: str
    paused: bool = False
    staff_id: str | None = None
    serving_ticket_id: str | None = None
    last_finished: tuple[str, int, datetime] | None = None
    """(ticket id, segment, finished at): what the rating buttons may still rate."""
    normals_since_priority: int = 0


@dataclass(frozen=True)
class RecentCall:
    ticket_id: str
    label: str
    counter_id: str
    at: datetime


@dataclass
class QueueState:
    setup: OfficeSetup | None = None
    day: date | None = None
    tickets: dict[str, Ticket] = field(default_factory=dict)
    waiting: dict[str, Ticket] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    last_number: dict[str, int] = field(default_factory=dict)
    """Per service, the last number issued today."""
    rated: set[tuple[str, int]] = field(default_factory=set)
    recent_calls: list[RecentCall] = field(default_factory=list)
    waiting_per_service: dict[str, int] = field(default_factory=dict)
    """Kept with ``waiting``, so counts and the places of new tickets cost nothing however long the line."""
    enqueue_seq: int = 0
    event_count: int = 0
    catalogue: str | None = None
    """The last uploaded procedure catalogue (JSON text), for ``state/office``."""
    booked: dict[str, Ticket] = field(default_factory=dict)
    """Today's remote numbers not checked in yet (``engine/remote.py``): their places are kept, never called."""
    check_in_codes: dict[str, str] = field(default_factory=dict)
    """Today's check-in codes of the booked numbers: code -> ticket id."""
    passed: dict[str, datetime] = field(default_factory=dict)
    """Booked tickets whose place the line has passed (a later ticket of their service was called), and when."""

    @classmethod
    def replay(cls, events: Iterable[ev.Event]) -> QueueState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: ev.Event) -> None:
        try:
            _APPLY[type(event)](self, event)
        except EventNotApplicable:
            raise
        except (KeyError, AttributeError, TypeError, ValueError) as exc:  # costs nothing unless raised
            raise EventNotApplicable(f"{type(event).__name__} does not fit the state: {exc!r}") from exc
        self.event_count += 1

    # -- queries used by adapters -------------------------------------------------------------------------
    def waiting_counts(self) -> dict[str, int]:
        counts = {s.id: 0 for s in self.setup.services} if self.setup else {}
        counts.update((k, v) for k, v in self.waiting_per_service.items() if v)
        return counts

    def people_ahead(self, ticket_id: str) -> int:
        """Tickets of the same service before this one in the waiting line (priority order aside)."""
        ticket = self.waiting.get(ticket_id)
        if ticket is None:
            return 0
        if ticket.queue_key == (1, self.enqueue_seq):  # the newest ticket: everyone waiting is ahead
            return self.waiting_per_service[ticket.service_id] - 1
        return sum(
            1
            for other in self.waiting.values()
            if other.service_id == ticket.service_id and other.queue_key < ticket.queue_key
        )

    def _enqueue(self, ticket: Ticket, at: datetime, front: bool = False) -> None:
        self.enqueue_seq += 1
        ticket.queue_key = (0 if front else 1, self.enqueue_seq)
        ticket.status = TicketStatus.WAITING
        ticket.status_since = at
        self.waiting[ticket.id] = ticket
        self.waiting_per_service[ticket.service_id] = self.waiting_per_service.get(ticket.service_id, 0) + 1

    def _unwait(self, ticket_id: str) -> Ticket | None:
        ticket = self.waiting.pop(ticket_id, None)
        if ticket is not None:
            self.waiting_per_service[ticket.service_id] -= 1
        return ticket

    def _end_service(self, ticket: Ticket, status: TicketStatus, at: datetime) -> CounterState:
        counter = self.counters[ticket.counter_id or ""]
        counter.serving_ticket_id = None
        ticket.status = status
        ticket.status_since = at
        return counter


def _configured(s: QueueState, e: ev.OfficeConfigured) -> None:
    s.setup = e.setup
    for counter in e.setup.counters:
        s.counters.setdefault(counter.id, CounterState(counter.id))


def _catalogue(s: QueueState, e: ev.CatalogueUploaded) -> None:
    s.catalogue = e.document


def _day_started(s: QueueState, e: ev.DayStarted) -> None:
    s.day = e.day
    s.last_number = {}
    for ticket_id in e.expired_ticket_ids:
        ticket = s.tickets[ticket_id]
        ticket.status = TicketStatus.EXPIRED
        ticket.status_since = e.at
        s._unwait(ticket_id)
        s.booked.pop(ticket_id, None)
    s.check_in_codes = {code: t for code, t in s.check_in_codes.items() if t in s.booked}
    s.passed = {}
    # Finished visits of earlier days are history (the event log keeps them); drop them to bound memory.
    serving = {c.serving_ticket_id for c in s.counters.values()}
    s.tickets = {k: t for k, t in s.tickets.items() if t.day >= e.day or k in serving or k in s.waiting}
    s.rated = {r for r in s.rated if r[0] in s.tickets}


def _issued(s: QueueState, e: ev.TicketIssued) -> None:
    ticket = Ticket(e.ticket_id, e.service_id, e.number, e.label, e.day, e.priority, e.at, display_name=e.display_name)
    s.tickets[e.ticket_id] = ticket
    s.last_number[e.service_id] = e.number
    s._enqueue(ticket, e.at)


def _called(s: QueueState, e: ev.TicketCalled) -> None:
    ticket = s._unwait(e.ticket_id)
    if ticket is None:
        raise EventNotApplicable(f"TicketCalled of ticket {e.ticket_id}, which is not waiting")
    ticket.status = TicketStatus.SERVING
    ticket.status_since = e.at
    ticket.counter_id = e.counter_id
    ticket.target_counter_id = None
    ticket.segment = e.segment
    counter = s.counters[e.counter_id]
    counter.serving_ticket_id = e.ticket_id
    if ticket.priority is None:
        counter.normals_since_priority += 1
    else:
        counter.normals_since_priority = 0
    s.recent_calls = [RecentCall(e.ticket_id, ticket.label, e.counter_id, e.at), *s.recent_calls][:RECENT_CALLS_KEPT]
    if s.booked:
        _mark_passed(s, ticket, e.at)


def _recalled(s: QueueState, e: ev.TicketRecalled) -> None:
    ticket = s.tickets[e.ticket_id]
    s.recent_calls = [RecentCall(e.ticket_id, ticket.label, e.counter_id, e.at), *s.recent_calls][:RECENT_CALLS_KEPT]


def _skipped(s: QueueState, e: ev.TicketSkipped) -> None:
    s._end_service(s.tickets[e.ticket_id], TicketStatus.NO_SHOW, e.at)


def _requeued(s: QueueState, e: ev.TicketRequeued) -> None:
    s._enqueue(s.tickets[e.ticket_id], e.at)


def _transferred(s: QueueState, e: ev.TicketTransferred) -> None:
    ticket = s.tickets[e.ticket_id]
    s._end_service(ticket, TicketStatus.WAITING, e.at)
    ticket.service_id = e.to_service_id
    ticket.target_counter_id = e.to_counter_id
    s._enqueue(ticket, e.at, front=e.to_front)


def _finished(s: QueueState, e: ev.ServiceFinished) -> None:
    counter = s._end_service(s.tickets[e.ticket_id], TicketStatus.DONE, e.at)
    counter.last_finished = (e.ticket_id, e.segment, e.at)


def _rated(s: QueueState, e: ev.TicketRated) -> None:
    s.rated.add((e.ticket_id, e.segment))


def _paused(s: QueueState, e: ev.CounterPaused) -> None:
    s.counters[e.counter_id].paused = True


def _resumed(s: QueueState, e: ev.CounterResumed) -> None:
    s.counters[e.counter_id].paused = False


def _signed_in(s: QueueState, e: ev.StaffSignedIn) -> None:
    s.counters[e.counter_id].staff_id = e.staff_id


def _signed_out(s: QueueState, e: ev.StaffSignedOut) -> None:
    s.counters[e.counter_id].staff_id = None


# -- remote numbers (issue 14; the rules are in engine/remote.py) ------------------------------------------------
def _remote_booked(s: QueueState, e: ev.RemoteBooked) -> None:
    ticket = Ticket(e.ticket_id, e.service_id, e.number, e.label, e.day, None, e.at, remote=True)
    ticket.status, ticket.status_since = TicketStatus.BOOKED, e.at
    s.enqueue_seq += 1
    ticket.queue_key = (1, s.enqueue_seq)  # its place is taken at booking; it joins ``waiting`` at check-in
    s.tickets[e.ticket_id] = ticket
    s.booked[e.ticket_id] = ticket
    s.check_in_codes[e.check_in_code] = e.ticket_id
    s.last_number[e.service_id] = e.number


def _remote_checked_in(s: QueueState, e: ev.RemoteCheckedIn) -> None:
    ticket = s.booked.pop(e.ticket_id)
    s.check_in_codes = {code: t for code, t in s.check_in_codes.items() if t != e.ticket_id}
    s.passed.pop(e.ticket_id, None)
    ticket.status, ticket.status_since, ticket.checked_in_at = TicketStatus.WAITING, e.at, e.at
    s.waiting[ticket.id] = ticket
    s.waiting_per_service[ticket.service_id] = s.waiting_per_service.get(ticket.service_id, 0) + 1


def _mark_passed(s: QueueState, called: Ticket, at: datetime) -> None:
    """A call of a ticket placed after a booked one of its service: that booked place has been passed."""
    for booked in s.booked.values():
        if booked.id not in s.passed and booked.service_id == called.service_id and booked.queue_key < called.queue_key:
            s.passed[booked.id] = at


_APPLY: dict[type[ev.Event], Callable[[QueueState, Any], None]] = {
    ev.OfficeConfigured: _configured,
    ev.CatalogueUploaded: _catalogue,
    ev.DayStarted: _day_started,
    ev.TicketIssued: _issued,
    ev.TicketCalled: _called,
    ev.TicketRecalled: _recalled,
    ev.TicketSkipped: _skipped,
    ev.TicketRequeued: _requeued,
    ev.TicketTransferred: _transferred,
    ev.ServiceFinished: _finished,
    ev.TicketRated: _rated,
    ev.CounterPaused: _paused,
    ev.CounterResumed: _resumed,
    ev.StaffSignedIn: _signed_in,
    ev.StaffSignedOut: _signed_out,
    ev.RemoteBooked: _remote_booked,
    ev.RemoteCheckedIn: _remote_checked_in,
}
