"""Visits: the event log folded into one record per ticket, from its issue to its end.

A visit is one ticket id. Its waits are the intervals it spent in a waiting line (from issue, transfer or
re-queue to the next call); its segments are the calls that answered them (call to finish, transfer or
no-show). Only server timestamps (``Event.at``) are read. See docs/statistics.md for every definition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup, Outcome, RatingLevel


class VisitStatus(StrEnum):
    WAITING = "waiting"
    """In a waiting line when the log ends (open)."""
    SERVING = "serving"
    """At a counter when the log ends (open)."""
    FINISHED = "finished"
    """Its last segment ended with ``ServiceFinished``."""
    NO_SHOW = "no_show"
    """Skipped at its last call and never re-queued (an expiry afterwards does not change this)."""
    EXPIRED = "expired"
    """Still waiting in a line when a new local day started."""


ENDED = frozenset({VisitStatus.FINISHED, VisitStatus.NO_SHOW, VisitStatus.EXPIRED})


class SegmentEnd(StrEnum):
    FINISHED = "finished"
    TRANSFERRED = "transferred"
    NO_SHOW = "no_show"


@dataclass(slots=True)
class Wait:
    """One interval in a waiting line, closed by the call that starts segment ``segment``."""

    start: datetime
    end: datetime
    segment: int
    seconds: float = 0.0
    """``end - start``, kept as a number (statistics read it many times)."""

    def __post_init__(self) -> None:
        # Never negative: a clock set back between the two events must not subtract from a wait (the period
        # is refused anyway: ``History.reversals``).
        self.seconds = max(0.0, (self.end - self.start).total_seconds())


@dataclass(slots=True)
class Segment:
    """One call of a visit at a counter, up to the finish, transfer or no-show that ended it."""

    number: int
    service_id: str
    counter_id: str
    staff_id: str | None
    """Who was signed in at the call; replaced by the finishing staff member if the finish names one."""
    called_at: datetime
    recalls: int = 0
    ended_at: datetime | None = None
    end: SegmentEnd | None = None
    outcome: Outcome | None = None
    dossier_code: str | None = None
    rating: str | None = None
    rating_satisfied: bool | None = None
    """From the rating scale in force when the rating was given; None if unrated or the level is unknown."""
    seconds: float | None = None
    """``ended_at - called_at`` once ended."""

    @property
    def served(self) -> bool:
        """The citizen was at the counter: the segment ended with a finish or a transfer (not a no-show)."""
        return self.end is SegmentEnd.FINISHED or self.end is SegmentEnd.TRANSFERRED


@dataclass(slots=True)
class Visit:
    ticket_id: str
    service_id: str
    """The service the ticket was issued for (transfers may send it elsewhere: see the segments)."""
    priority: str | None
    day: date
    """The office's local day of the issue."""
    hour: int
    """The office's local hour of the issue."""
    issued_at: datetime
    waits: list[Wait] = field(default_factory=list)
    waiting_since: datetime | None = None
    """Start of the wait still open (a line with no call yet), else None."""
    segments: list[Segment] = field(default_factory=list)
    status: VisitStatus = VisitStatus.WAITING
    ended_at: datetime | None = None
    transfers: int = 0
    requeues: int = 0
    wait_seconds: float = 0.0
    """Sum of the closed waiting intervals."""
    booked_at: datetime | None = None
    """A remote number (issue 14): when it was booked from the web. Its visit starts at check-in (``issued_at``
    is then the check-in, so every wait figure counts from the citizen's arrival); booking to check-in is
    ``time_from_booking`` (docs/statistics.md). Not in the read model's table: folds of the log only."""

    @property
    def time_from_booking(self) -> float | None:
        """Seconds from the web booking to the check-in at the kiosk, for remote numbers."""
        if self.booked_at is None:
            return None
        return max(0.0, (self.issued_at - self.booked_at).total_seconds())

    @property
    def calls(self) -> int:
        return len(self.segments)


@dataclass
class History:
    """Everything statistics need from a log: the visits by ticket id and who worked on which local day."""

    visits: dict[str, Visit] = field(default_factory=dict)
    staff_days: set[tuple[str, date]] = field(default_factory=set)
    """(staff id, local day): signed in at a counter, or called or finished a ticket, on that day."""
    last_event_at: datetime | None = None
    reversals: list[tuple[datetime, datetime]] = field(default_factory=list)
    """(event ``at``, the previous event's ``at``) wherever the log goes back in time (a clock set back)."""
    bookings: dict[str, ev.RemoteBooked] = field(default_factory=dict)
    """Remote numbers not checked in (yet, or ever): not visits, the citizen never came; counted apart."""


def local_time(at: datetime, offset: timedelta) -> datetime:
    """The office's wall-clock time at ``at`` (naive datetimes are taken as UTC, as the engine does)."""
    if at.tzinfo is not UTC and at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at + offset  # for an aware UTC time the tzinfo label stays UTC, the fields are local


def local_day(at: datetime, offset: timedelta) -> date:
    return local_time(at, offset).date()


class _Folder:
    def __init__(self, setup: OfficeSetup) -> None:
        self.history = History()
        self._configure(setup)

    def _configure(self, setup: OfficeSetup) -> None:
        self.offset = timedelta(minutes=setup.utc_offset_minutes)
        self.scale: dict[str, RatingLevel] = {r.code: r for r in setup.rating_scale}

    def _segment(self, ticket_id: str, number: int) -> Segment | None:
        visit = self.history.visits.get(ticket_id)
        if visit is None:
            return None
        for segment in reversed(visit.segments):
            if segment.number == number:
                return segment
        return None

    def _worked(self, staff_id: str | None, at: datetime) -> None:
        if staff_id is not None:
            self.history.staff_days.add((staff_id, local_day(at, self.offset)))

    def configured(self, e: ev.OfficeConfigured) -> None:
        self._configure(e.setup)

    def day_started(self, e: ev.DayStarted) -> None:
        for ticket_id in e.expired_ticket_ids:
            visit = self.history.visits.get(ticket_id)
            if visit is not None and visit.status is VisitStatus.WAITING:
                visit.status = VisitStatus.EXPIRED
                visit.ended_at = e.at
                visit.waiting_since = None

    def issued(self, e: ev.TicketIssued) -> None:
        local = local_time(e.at, self.offset)
        self.history.visits[e.ticket_id] = Visit(
            e.ticket_id, e.service_id, e.priority, local.date(), local.hour, e.at, waiting_since=e.at
        )

    def called(self, e: ev.TicketCalled) -> None:
        visit = self.history.visits.get(e.ticket_id)
        if visit is None:
            return
        if visit.waiting_since is not None:
            wait = Wait(visit.waiting_since, e.at, e.segment)
            visit.waits.append(wait)
            visit.wait_seconds += wait.seconds
            visit.waiting_since = None
        visit.segments.append(Segment(e.segment, e.service_id, e.counter_id, e.staff_id, e.at))
        visit.status = VisitStatus.SERVING
        visit.ended_at = None
        self._worked(e.staff_id, e.at)

    def recalled(self, e: ev.TicketRecalled) -> None:
        visit = self.history.visits.get(e.ticket_id)
        if visit is not None and visit.segments:
            visit.segments[-1].recalls += 1

    def _end_segment(self, ticket_id: str, at: datetime, end: SegmentEnd) -> Visit | None:
        visit = self.history.visits.get(ticket_id)
        if visit is None or not visit.segments:
            return None
        segment = visit.segments[-1]
        segment.ended_at, segment.end = at, end
        segment.seconds = max(0.0, (at - segment.called_at).total_seconds())
        return visit

    def skipped(self, e: ev.TicketSkipped) -> None:
        visit = self._end_segment(e.ticket_id, e.at, SegmentEnd.NO_SHOW)
        if visit is not None:
            visit.status, visit.ended_at = VisitStatus.NO_SHOW, e.at

    def requeued(self, e: ev.TicketRequeued) -> None:
        visit = self.history.visits.get(e.ticket_id)
        if visit is not None:
            visit.requeues += 1
            visit.status, visit.ended_at, visit.waiting_since = VisitStatus.WAITING, None, e.at

    def transferred(self, e: ev.TicketTransferred) -> None:
        visit = self._end_segment(e.ticket_id, e.at, SegmentEnd.TRANSFERRED)
        if visit is not None:
            visit.transfers += 1
            visit.status, visit.waiting_since = VisitStatus.WAITING, e.at

    def finished(self, e: ev.ServiceFinished) -> None:
        visit = self._end_segment(e.ticket_id, e.at, SegmentEnd.FINISHED)
        if visit is None:
            return
        segment = visit.segments[-1]
        segment.outcome, segment.dossier_code = e.outcome, e.dossier_code
        if e.staff_id is not None:
            segment.staff_id = e.staff_id
        visit.status, visit.ended_at = VisitStatus.FINISHED, e.at
        self._worked(e.staff_id, e.at)

    def rated(self, e: ev.TicketRated) -> None:
        segment = self._segment(e.ticket_id, e.segment)
        if segment is not None:
            level = self.scale.get(e.level)
            segment.rating = e.level
            segment.rating_satisfied = None if level is None else level.satisfied

    def signed_in(self, e: ev.StaffSignedIn) -> None:
        self._worked(e.staff_id, e.at)

    def booked(self, e: ev.RemoteBooked) -> None:
        self.history.bookings[e.ticket_id] = e

    def checked_in(self, e: ev.RemoteCheckedIn) -> None:
        booking = self.history.bookings.pop(e.ticket_id, None)
        if booking is None:
            return
        local = local_time(e.at, self.offset)
        self.history.visits[e.ticket_id] = Visit(
            e.ticket_id, booking.service_id, None, local.date(), local.hour, e.at, waiting_since=e.at,
            booked_at=booking.at,
        )  # fmt: skip

    def ignore(self, e: ev.Event) -> None:
        pass


def _handlers(folder: _Folder) -> dict[type[ev.Event], Callable[[Any], None]]:
    return {
        ev.OfficeConfigured: folder.configured,
        ev.CatalogueUploaded: folder.ignore,
        ev.DayStarted: folder.day_started,
        ev.TicketIssued: folder.issued,
        ev.TicketCalled: folder.called,
        ev.TicketRecalled: folder.recalled,
        ev.TicketSkipped: folder.skipped,
        ev.TicketRequeued: folder.requeued,
        ev.TicketTransferred: folder.transferred,
        ev.ServiceFinished: folder.finished,
        ev.TicketRated: folder.rated,
        ev.StaffSignedIn: folder.signed_in,
        ev.StaffSignedOut: folder.ignore,
        ev.CounterPaused: folder.ignore,
        ev.CounterResumed: folder.ignore,
        ev.RemoteBooked: folder.booked,
        ev.RemoteCheckedIn: folder.checked_in,
    }


class Folder:
    """A fold that can be fed more events later: the dashboard folds the log once, then each new batch."""

    def __init__(self, setup: OfficeSetup) -> None:
        self._folder = _Folder(setup)
        self._handlers = _handlers(self._folder)

    @property
    def history(self) -> History:
        return self._folder.history

    def feed(self, events: Iterable[ev.Event]) -> History:
        handlers, ignore = self._handlers, self._folder.ignore
        last: ev.Event | None = None
        history = self._folder.history
        previous = history.last_event_at
        for event in events:
            if previous is not None and event.at < previous:
                history.reversals.append((event.at, previous))
            previous = event.at
            handlers.get(type(event), ignore)(event)
            last = event
        if last is not None:
            self._folder.history.last_event_at = last.at
        return self._folder.history


def fold(events: Iterable[ev.Event], setup: OfficeSetup) -> History:
    """One pass over the log, in its order. ``setup`` gives the UTC offset and rating scale until the log's
    own ``OfficeConfigured`` events replace them."""
    return Folder(setup).feed(events)
