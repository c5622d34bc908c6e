"""Events: facts the queue has accepted. State is the replay of them; statistics read only them.

Every event carries ``at``, the office server's clock when it was decided (never a device's clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from queue_server.engine.setup import OfficeSetup, Outcome


@dataclass(frozen=True, kw_only=True)
class Event:
    at: datetime


@dataclass(frozen=True, kw_only=True)
class OfficeConfigured(Event):
    setup: OfficeSetup


@dataclass(frozen=True, kw_only=True)
class CatalogueUploaded(Event):
    """A procedure catalogue uploaded in the admin pages, validated there, as NFC JSON text.

    An event like the setup so that the log alone says which catalogue the kiosks show (``state/office``)."""

    document: str


@dataclass(frozen=True, kw_only=True)
class DayStarted(Event):
    """A new local day: numbering restarts; tickets still waiting from earlier days expire."""

    day: date
    expired_ticket_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketIssued(Event):
    ticket_id: str
    service_id: str
    number: int
    label: str
    day: date
    priority: str | None = None
    device_id: str | None = None
    display_name: str | None = None
    """Masked name for the counter screen and staff console only; absent (None) in events written before it."""


@dataclass(frozen=True, kw_only=True)
class TicketCalled(Event):
    ticket_id: str
    counter_id: str
    service_id: str
    staff_id: str | None
    segment: int
    """1 for the first call of a visit; +1 after each transfer or re-queue (one rating per segment)."""


@dataclass(frozen=True, kw_only=True)
class TicketRecalled(Event):
    ticket_id: str
    counter_id: str


@dataclass(frozen=True, kw_only=True)
class TicketSkipped(Event):
    ticket_id: str
    counter_id: str


@dataclass(frozen=True, kw_only=True)
class TicketRequeued(Event):
    ticket_id: str


@dataclass(frozen=True, kw_only=True)
class TicketTransferred(Event):
    ticket_id: str
    from_counter_id: str
    to_service_id: str
    to_counter_id: str | None
    to_front: bool


@dataclass(frozen=True, kw_only=True)
class ServiceFinished(Event):
    ticket_id: str
    counter_id: str
    staff_id: str | None
    segment: int
    outcome: Outcome | None
    dossier_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class TicketRated(Event):
    ticket_id: str
    counter_id: str
    staff_id: str | None
    segment: int
    level: str


@dataclass(frozen=True, kw_only=True)
class CounterPaused(Event):
    counter_id: str


@dataclass(frozen=True, kw_only=True)
class CounterResumed(Event):
    counter_id: str


@dataclass(frozen=True, kw_only=True)
class StaffSignedIn(Event):
    counter_id: str
    staff_id: str


@dataclass(frozen=True, kw_only=True)
class StaffSignedOut(Event):
    counter_id: str
    staff_id: str


# -- remote numbers (issue 14) -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RemoteBooked(Event):
    """A number taken from the public web (after its SMS code was confirmed). It has its number and its place
    in the line from now (its ``queue_key`` is taken at booking), but it is not called until it checks in.

    No phone number here: events are immutable and streamed to the province (the phone is in the server's own
    ``remote_phones`` table, purged after the day)."""

    ticket_id: str
    service_id: str
    number: int
    label: str
    day: date
    check_in_code: str
    """Six digits shown (and as a QR) on the ticket page; typed or scanned at the kiosk."""


@dataclass(frozen=True, kw_only=True)
class RemoteCheckedIn(Event):
    """The citizen of a remote number arrived (at the kiosk): the ticket waits from now, at its booked place."""

    ticket_id: str
    device_id: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OfficeConfigured,
        CatalogueUploaded,
        DayStarted,
        TicketIssued,
        TicketCalled,
        TicketRecalled,
        TicketSkipped,
        TicketRequeued,
        TicketTransferred,
        ServiceFinished,
        TicketRated,
        CounterPaused,
        CounterResumed,
        StaffSignedIn,
        StaffSignedOut,
        RemoteBooked,
        RemoteCheckedIn,
    )
}
