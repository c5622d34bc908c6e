"""Commands: what someone asks the queue to do. Each may be accepted (events) or rejected (a reason)."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.engine.setup import OfficeSetup, Outcome


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class ConfigureOffice(Command):
    setup: OfficeSetup


@dataclass(frozen=True)
class UploadCatalogue(Command):
    """Make ``document`` (a catalogue the admin page validated, JSON text) the one the kiosks show."""

    document: str


@dataclass(frozen=True)
class IssueTicket(Command):
    service_id: str
    priority: str | None = None
    """A priority category code from the office setup, or None for a normal ticket."""
    device_id: str | None = None
    display_name: str | None = None
    """A masked name ("Nguyễn V. A.") for the counter's own screen; checked by the contract, never a full name."""
    accept_late: bool = False
    """Read by the server's capacity cut-off (``queue_server.forecasting``), not by the engine."""


@dataclass(frozen=True)
class CallNext(Command):
    """Call the next ticket for this counter; a ticket still in service there is finished first."""

    counter_id: str


@dataclass(frozen=True)
class Recall(Command):
    counter_id: str


@dataclass(frozen=True)
class SkipTicket(Command):
    """The called citizen did not come (no-show); they may be re-queued within the grace period."""

    counter_id: str


@dataclass(frozen=True)
class Requeue(Command):
    ticket_id: str


@dataclass(frozen=True)
class Transfer(Command):
    """Send the ticket in service at a counter to another service and/or counter; the visit keeps its id."""

    counter_id: str
    to_service_id: str | None = None
    to_counter_id: str | None = None
    to_front: bool = False


@dataclass(frozen=True)
class FinishService(Command):
    counter_id: str
    outcome: Outcome | None = None
    dossier_code: str | None = None


@dataclass(frozen=True)
class RateService(Command):
    """A rating from the counter's buttons: for the service in progress or the one just finished."""

    counter_id: str
    level: str
    ticket_id: str | None = None


@dataclass(frozen=True)
class PauseCounter(Command):
    counter_id: str


@dataclass(frozen=True)
class ResumeCounter(Command):
    counter_id: str


@dataclass(frozen=True)
class SignIn(Command):
    counter_id: str
    staff_id: str


@dataclass(frozen=True)
class SignOut(Command):
    counter_id: str


# -- remote numbers (issue 14) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookRemote(Command):
    """Take a number from the public web. The server checks the caps and the SMS code before; the engine gives
    the number and its place. ``check_in_code`` is drawn by the server (the engine has no randomness)."""

    service_id: str
    check_in_code: str


@dataclass(frozen=True)
class CheckIn(Command):
    """A remote number's citizen is at the kiosk (scanned or typed ``check_in_code``)."""

    check_in_code: str
    device_id: str | None = None
