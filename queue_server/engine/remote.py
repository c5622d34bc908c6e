"""Remote numbers (issue 14): taken from the public web, called only once their citizen has checked in.

The rules, in one place:

* **Its place is its booking.** ``BookRemote`` gives the number (the service's next, as a kiosk would) and its
  place in the line at that moment (``queue_key``), exactly as if the citizen had walked in then. It is not
  called (``QueueState.booked``, not ``waiting``) until ``CheckIn``; then it waits at that place.
* **Walk-ins are never starved**, by construction: a walk-in has ahead of it only numbers booked *before* it
  arrived, a set that can only shrink; a number booked later always comes after it. Remote numbers are also
  capped per day (a share of the day's capacity, per service, per phone: the server's ``[remote]`` settings).
* **The check-in window.** Early: the server refuses a check-in while the forecast puts the call more than
  ``[remote] check_in_before_minutes`` away (``queue_server/remote/window.py``: the forecast is not the
  engine's). Late: once the line has passed the booked place (a later number of its service was called), the
  citizen may still check in for the office's ``no_show_grace_seconds`` (the grace a called no-show has to be
  re-queued), and is then called next; after that ``check_in_closed``. A number never checked in expires at the
  next day's start like a waiting ticket, and still counts toward the caps.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Protocol

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState

CHECK_IN_CODE = re.compile(r"^[0-9]{6}$")


class Context(Protocol):
    """What ``decide`` passes its handlers (``decide._Ctx``)."""

    state: QueueState
    setup: OfficeSetup
    now: datetime
    new_day: bool
    day: date

    def new_id(self) -> str: ...


def book(c: Context, command: cmd.BookRemote) -> list[ev.Event]:
    service = c.setup.service(command.service_id)
    if service is None:
        raise CommandRejected(Reason.UNKNOWN_SERVICE, command.service_id)
    if not CHECK_IN_CODE.match(command.check_in_code):
        raise CommandRejected(Reason.UNKNOWN_CHECK_IN_CODE, "a check-in code is six digits")
    if not c.new_day and command.check_in_code in c.state.check_in_codes:
        raise CommandRejected(Reason.CHECK_IN_CODE_IN_USE, "draw another code")
    number = 1 if c.new_day else c.state.last_number.get(service.id, 0) + 1
    return [
        ev.RemoteBooked(
            at=c.now,
            ticket_id=c.new_id(),
            service_id=service.id,
            number=number,
            label=f"{service.prefix}{number:0{c.setup.number_width}d}",
            day=c.day,
            check_in_code=command.check_in_code,
        )
    ]


def check_in(c: Context, command: cmd.CheckIn) -> list[ev.Event]:
    ticket_id = None if c.new_day else c.state.check_in_codes.get(command.check_in_code)
    ticket = c.state.booked.get(ticket_id) if ticket_id else None
    if ticket is None:  # a code is forgotten once used: a second check-in is as unknown as a made-up code
        raise CommandRejected(Reason.UNKNOWN_CHECK_IN_CODE, "no number of today waits for this code")
    passed = c.state.passed.get(ticket.id)
    if passed is not None and c.now - passed > timedelta(seconds=c.setup.no_show_grace_seconds):
        raise CommandRejected(Reason.CHECK_IN_CLOSED, ticket.label)
    return [ev.RemoteCheckedIn(at=c.now, ticket_id=ticket.id, device_id=command.device_id)]


def booked_ticket_of(state: QueueState, check_in_code: str) -> str | None:
    """The booked ticket a check-in code names today (the server's window check reads it before deciding)."""
    return state.check_in_codes.get(check_in_code)
