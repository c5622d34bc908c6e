"""Deciding: (state, command, now, new id) -> events, or ``CommandRejected``. Never mutates the state.

The caller commits the events durably, then applies them to the state (see ``queue_server.service``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine import remote
from queue_server.engine.calling import choose_next, serves
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.setup import Counter, OfficeSetup, setup_problems
from queue_server.engine.state import CounterState, QueueState, Ticket, TicketStatus

NewId = Callable[[], str]


def decide(state: QueueState, command: cmd.Command, now: datetime, new_id: NewId) -> list[ev.Event]:
    if isinstance(command, cmd.ConfigureOffice):
        return [ev.OfficeConfigured(at=now, setup=_validated(command.setup))]
    if isinstance(command, cmd.UploadCatalogue):
        if not command.document.strip():
            raise CommandRejected(Reason.INVALID_SETUP, "empty catalogue")
        return [ev.CatalogueUploaded(at=now, document=command.document)]
    if state.setup is None:
        raise CommandRejected(Reason.OFFICE_NOT_CONFIGURED)
    day = local_day(now, state.setup.utc_offset_minutes)
    prelude: list[ev.Event] = []
    if state.day is None or day > state.day:
        expired = tuple(
            t.id
            for t in state.tickets.values()
            if t.status in (TicketStatus.WAITING, TicketStatus.NO_SHOW, TicketStatus.BOOKED)
        )
        prelude.append(ev.DayStarted(at=now, day=day, expired_ticket_ids=expired))
    else:
        # A clock stepped back across midnight must not file tickets under a day whose numbering is closed.
        day = state.day
    handler = _HANDLERS[type(command)]
    return prelude + handler(_Ctx(state, state.setup, now, new_id, bool(prelude), day), command)


def local_day(now: datetime, utc_offset_minutes: int) -> date:
    """The office's calendar day at ``now`` (naive datetimes are taken as UTC)."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return (now + timedelta(minutes=utc_offset_minutes)).date()


class _Ctx:
    def __init__(self, state: QueueState, setup: OfficeSetup, now: datetime, new_id: NewId, new_day: bool, day: date):
        self.state, self.setup, self.now, self.new_id, self.new_day = state, setup, now, new_id, new_day
        self.day = day
        """The local day the command belongs to (never earlier than the state's day)."""

    def counter(self, counter_id: str) -> tuple[Counter, CounterState]:
        counter = self.setup.counter(counter_id)
        if counter is None or counter_id not in self.state.counters:
            raise CommandRejected(Reason.UNKNOWN_COUNTER, counter_id)
        return counter, self.state.counters[counter_id]

    def serving(self, counter_id: str) -> tuple[CounterState, Ticket]:
        _, counter = self.counter(counter_id)
        if counter.serving_ticket_id is None:
            raise CommandRejected(Reason.NOT_SERVING, counter_id)
        return counter, self.state.tickets[counter.serving_ticket_id]


def _validated(setup: OfficeSetup) -> OfficeSetup:
    problems = setup_problems(setup)
    if problems:
        raise CommandRejected(Reason.INVALID_SETUP, "; ".join(text for _, text in problems))
    return setup


def _issue(c: _Ctx, command: cmd.IssueTicket) -> list[ev.Event]:
    service = c.setup.service(command.service_id)
    if service is None:
        raise CommandRejected(Reason.UNKNOWN_SERVICE, command.service_id)
    if command.priority is not None and command.priority not in c.setup.priority_categories:
        raise CommandRejected(Reason.UNKNOWN_PRIORITY, command.priority)
    number = 1 if c.new_day else c.state.last_number.get(service.id, 0) + 1
    label = f"{service.prefix}{number:0{c.setup.number_width}d}"
    return [
        ev.TicketIssued(
            at=c.now,
            ticket_id=c.new_id(),
            service_id=service.id,
            number=number,
            label=label,
            day=c.day,
            priority=command.priority,
            device_id=command.device_id,
            display_name=command.display_name,
        )
    ]


def _call_next(c: _Ctx, command: cmd.CallNext) -> list[ev.Event]:
    counter, counter_state = c.counter(command.counter_id)
    if counter_state.paused:
        raise CommandRejected(Reason.COUNTER_PAUSED, counter.id)
    expired = set()
    if c.new_day:
        expired = {t.id for t in c.state.waiting.values()}
    candidates = [
        t
        for t in c.state.waiting.values()
        if t.id not in expired and serves(counter, t.service_id, t.target_counter_id)
    ]
    if not candidates:
        raise CommandRejected(Reason.NOTHING_WAITING, counter.id)
    chosen = choose_next(c.setup, counter_state.normals_since_priority, candidates)
    out: list[ev.Event] = []
    if counter_state.serving_ticket_id is not None:
        out.append(_finish_event(c, counter_state, c.state.tickets[counter_state.serving_ticket_id], None, None))
    out.append(
        ev.TicketCalled(
            at=c.now,
            ticket_id=chosen.id,
            counter_id=counter.id,
            service_id=chosen.service_id,
            staff_id=counter_state.staff_id,
            segment=chosen.segment + 1,
        )
    )
    return out


def _finish_event(
    c: _Ctx, counter: CounterState, ticket: Ticket, outcome: Any, dossier_code: str | None
) -> ev.ServiceFinished:
    return ev.ServiceFinished(
        at=c.now,
        ticket_id=ticket.id,
        counter_id=counter.id,
        staff_id=counter.staff_id,
        segment=ticket.segment,
        outcome=outcome,
        dossier_code=dossier_code,
    )


def _recall(c: _Ctx, command: cmd.Recall) -> list[ev.Event]:
    counter, ticket = c.serving(command.counter_id)
    return [ev.TicketRecalled(at=c.now, ticket_id=ticket.id, counter_id=counter.id)]


def _skip(c: _Ctx, command: cmd.SkipTicket) -> list[ev.Event]:
    counter, ticket = c.serving(command.counter_id)
    return [ev.TicketSkipped(at=c.now, ticket_id=ticket.id, counter_id=counter.id)]


def _requeue(c: _Ctx, command: cmd.Requeue) -> list[ev.Event]:
    ticket = c.state.tickets.get(command.ticket_id)
    if ticket is None:
        raise CommandRejected(Reason.UNKNOWN_TICKET, command.ticket_id)
    if ticket.status is not TicketStatus.NO_SHOW or c.new_day:
        raise CommandRejected(Reason.NOT_NO_SHOW, ticket.label)
    assert ticket.status_since is not None
    if c.now - ticket.status_since > timedelta(seconds=c.setup.no_show_grace_seconds):
        raise CommandRejected(Reason.GRACE_EXPIRED, ticket.label)
    return [ev.TicketRequeued(at=c.now, ticket_id=ticket.id)]


def _transfer(c: _Ctx, command: cmd.Transfer) -> list[ev.Event]:
    counter, ticket = c.serving(command.counter_id)
    to_service = command.to_service_id or ticket.service_id
    if c.setup.service(to_service) is None:
        raise CommandRejected(Reason.UNKNOWN_SERVICE, to_service)
    if command.to_counter_id is not None:
        c.counter(command.to_counter_id)
    if command.to_counter_id in (None, counter.id) and to_service == ticket.service_id:
        raise CommandRejected(Reason.SAME_DESTINATION, ticket.label)
    return [
        ev.TicketTransferred(
            at=c.now,
            ticket_id=ticket.id,
            from_counter_id=counter.id,
            to_service_id=to_service,
            to_counter_id=command.to_counter_id,
            to_front=command.to_front,
        )
    ]


def _finish(c: _Ctx, command: cmd.FinishService) -> list[ev.Event]:
    counter, ticket = c.serving(command.counter_id)
    return [_finish_event(c, counter, ticket, command.outcome, command.dossier_code)]


def _rate(c: _Ctx, command: cmd.RateService) -> list[ev.Event]:
    _, counter = c.counter(command.counter_id)
    if c.setup.rating_level(command.level) is None:
        raise CommandRejected(Reason.UNKNOWN_RATING_LEVEL, command.level)
    target: tuple[str, int] | None = None
    if counter.serving_ticket_id is not None and command.ticket_id in (None, counter.serving_ticket_id):
        target = (counter.serving_ticket_id, c.state.tickets[counter.serving_ticket_id].segment)
    elif counter.last_finished is not None and command.ticket_id in (None, counter.last_finished[0]):
        ticket_id, segment, finished_at = counter.last_finished
        if c.now - finished_at > timedelta(seconds=c.setup.rating_window_seconds):
            raise CommandRejected(Reason.RATING_WINDOW_CLOSED, counter.id)
        target = (ticket_id, segment)
    if target is None or target[0] not in c.state.tickets:
        raise CommandRejected(Reason.NOTHING_TO_RATE, counter.id)
    if target in c.state.rated:
        raise CommandRejected(Reason.ALREADY_RATED, c.state.tickets[target[0]].label)
    return [
        ev.TicketRated(
            at=c.now,
            ticket_id=target[0],
            counter_id=counter.id,
            staff_id=counter.staff_id,
            segment=target[1],
            level=command.level,
        )
    ]


def _pause(c: _Ctx, command: cmd.PauseCounter) -> list[ev.Event]:
    counter, state = c.counter(command.counter_id)
    if state.paused:
        raise CommandRejected(Reason.COUNTER_PAUSED, counter.id)
    return [ev.CounterPaused(at=c.now, counter_id=counter.id)]


def _resume(c: _Ctx, command: cmd.ResumeCounter) -> list[ev.Event]:
    counter, state = c.counter(command.counter_id)
    if not state.paused:
        raise CommandRejected(Reason.COUNTER_NOT_PAUSED, counter.id)
    return [ev.CounterResumed(at=c.now, counter_id=counter.id)]


def _sign_in(c: _Ctx, command: cmd.SignIn) -> list[ev.Event]:
    counter, state = c.counter(command.counter_id)
    if all(s.id != command.staff_id for s in c.setup.staff):
        raise CommandRejected(Reason.UNKNOWN_STAFF, command.staff_id)
    out: list[ev.Event] = []
    if state.staff_id is not None and state.staff_id != command.staff_id:
        # Someone else takes over the counter: close the previous session in the log, as statistics read it.
        out.append(ev.StaffSignedOut(at=c.now, counter_id=counter.id, staff_id=state.staff_id))
    out.append(ev.StaffSignedIn(at=c.now, counter_id=counter.id, staff_id=command.staff_id))
    return out


def _sign_out(c: _Ctx, command: cmd.SignOut) -> list[ev.Event]:
    counter, state = c.counter(command.counter_id)
    if state.staff_id is None:
        raise CommandRejected(Reason.UNKNOWN_STAFF, f"nobody signed in at {counter.id}")
    return [ev.StaffSignedOut(at=c.now, counter_id=counter.id, staff_id=state.staff_id)]


_HANDLERS: dict[type[cmd.Command], Callable[[_Ctx, Any], list[ev.Event]]] = {
    cmd.IssueTicket: _issue,
    cmd.CallNext: _call_next,
    cmd.Recall: _recall,
    cmd.SkipTicket: _skip,
    cmd.Requeue: _requeue,
    cmd.Transfer: _transfer,
    cmd.FinishService: _finish,
    cmd.RateService: _rate,
    cmd.PauseCounter: _pause,
    cmd.ResumeCounter: _resume,
    cmd.SignIn: _sign_in,
    cmd.SignOut: _sign_out,
    cmd.BookRemote: remote.book,
    cmd.CheckIn: remote.check_in,
}
