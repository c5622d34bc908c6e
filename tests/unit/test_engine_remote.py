"""Remote numbers in the engine: a place kept from booking, never called before check-in, the late window."""

from __future__ import annotations

from datetime import timedelta

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.codec import event_from_dict, event_to_dict
from queue_server.engine.errors import Reason
from queue_server.engine.state import QueueState, TicketStatus
from tests.unit.engine_helpers import LOCAL_MIDNIGHT, Office, last_of


def book(office: Office, service_id: str = "justice", code: str = "123456") -> ev.RemoteBooked:
    return last_of(office.run(cmd.BookRemote(service_id, code)), ev.RemoteBooked)


def test_a_booked_number_shares_the_numbering_and_is_not_called_before_check_in() -> None:
    office = Office()
    first = office.issue("justice")
    booked = book(office)
    assert (booked.number, booked.label) == (2, "B002")
    office.call("c2")
    assert office.reject(cmd.CallNext("c2")) is Reason.NOTHING_WAITING
    assert office.ticket(booked.ticket_id).status is TicketStatus.BOOKED
    assert office.state.waiting_counts()["justice"] == 0
    assert office.state.tickets[first.ticket_id].status is TicketStatus.SERVING


def test_a_checked_in_number_waits_at_its_booked_place_ahead_of_later_walk_ins() -> None:
    office = Office()
    booked = book(office)
    later = office.issue("justice")
    office.advance(minutes=5)
    checked = last_of(office.run(cmd.CheckIn("123456", "kiosk-1")), ev.RemoteCheckedIn)
    assert checked.ticket_id == booked.ticket_id
    assert office.state.people_ahead(later.ticket_id) == 1
    assert office.call("c2").ticket_id == booked.ticket_id
    assert office.call("c2").ticket_id == later.ticket_id


def test_walk_ins_are_never_behind_a_number_booked_after_them() -> None:
    office = Office()
    walk_in = office.issue("justice")
    book(office, code="111111")
    office.run(cmd.CheckIn("111111"))
    assert office.call("c2").ticket_id == walk_in.ticket_id


def test_check_in_codes_are_unique_per_day_and_used_once() -> None:
    office = Office()
    book(office)
    assert office.reject(cmd.BookRemote("justice", "123456")) is Reason.CHECK_IN_CODE_IN_USE
    assert office.reject(cmd.BookRemote("justice", "12345")) is Reason.UNKNOWN_CHECK_IN_CODE
    assert office.reject(cmd.CheckIn("654321")) is Reason.UNKNOWN_CHECK_IN_CODE
    office.run(cmd.CheckIn("123456"))
    assert office.reject(cmd.CheckIn("123456")) is Reason.UNKNOWN_CHECK_IN_CODE
    book(office, code="123456")  # free again once used


def test_a_passed_place_may_check_in_within_the_no_show_grace_only() -> None:
    office = Office()
    book(office, code="222222")
    book(office, code="333333")
    walk_in = office.issue("justice")
    assert office.call("c2").ticket_id == walk_in.ticket_id  # both booked places passed now
    office.advance(seconds=office.state.setup.no_show_grace_seconds - 1)  # type: ignore[union-attr]
    office.run(cmd.CheckIn("222222"))
    office.advance(seconds=2)
    assert office.reject(cmd.CheckIn("333333")) is Reason.CHECK_IN_CLOSED


def test_a_number_never_checked_in_expires_at_the_next_day_with_its_code() -> None:
    office = Office()
    booked = book(office)
    started = last_of(office.run(cmd.IssueTicket("land"), at=LOCAL_MIDNIGHT + timedelta(hours=1)), ev.DayStarted)
    assert booked.ticket_id in started.expired_ticket_ids
    assert office.state.booked == {} and office.state.check_in_codes == {}
    assert office.reject(cmd.CheckIn("123456")) is Reason.UNKNOWN_CHECK_IN_CODE


def test_remote_events_round_trip_and_replay_to_the_same_state() -> None:
    office = Office()
    book(office)
    office.issue("justice")
    office.run(cmd.CheckIn("123456", "kiosk-1"))
    office.call("c2")
    decoded = [event_from_dict(event_to_dict(e)) for e in office.events]
    assert decoded == office.events
    assert QueueState.replay(decoded) == office.state
    assert "phone" not in str([event_to_dict(e) for e in office.events])


def test_the_wait_of_a_remote_number_starts_at_check_in_and_the_booking_is_reported_apart() -> None:
    from queue_server.analytics.visits import fold

    office = Office()
    booked = book(office)
    never = book(office, code="999999")
    office.advance(minutes=40)
    office.run(cmd.CheckIn("123456"))
    office.advance(minutes=3)
    office.call("c2")
    history = fold(office.events, office.state.setup)  # type: ignore[arg-type]
    visit = history.visits[booked.ticket_id]
    assert visit.wait_seconds == 180
    assert visit.time_from_booking == 40 * 60
    assert never.ticket_id not in history.visits and never.ticket_id in history.bookings
