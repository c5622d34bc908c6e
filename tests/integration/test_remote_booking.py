"""Booking a remote number through the real office service: the one-time code, its abuse limits, the caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from queue_server.engine.state import TicketStatus
from queue_server.notify.notifier import Purpose
from queue_server.remote.booking import Booked, CodeSent, Refusal
from queue_server.remote.capacity import day_capacity
from tests.integration.remote_support import PHONE, KeptNotifier, book, desk
from tests.integration.web_support import Office


def test_a_confirmed_code_books_a_number_that_holds_its_place_and_keeps_the_phone_apart(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier)
    booked = book(d, notifier)
    assert booked.label == "A001"
    assert office.service.state.tickets[booked.ticket_id].status is TicketStatus.BOOKED
    assert d.phones.phone_of(booked.ticket_id) == PHONE
    assert [m.purpose for m in notifier.sent] == [Purpose.ONE_TIME_CODE]
    assert PHONE not in str([e.event for e in office.store.events()])


def test_a_wrong_code_five_times_locks_the_number_for_the_day(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier)
    started = d.start("ho-tich", "+84 912 345 678", "10.0.0.9")
    assert isinstance(started, CodeSent) and started.masked == "…678"
    right = notifier.last_code()
    wrong = "000000" if right != "000000" else "111111"
    answers = [d.confirm(started.token, wrong) for _ in range(5)]
    assert [a.left for a in answers if isinstance(a, Refusal)] == [4, 3, 2, 1, 0]
    assert answers[-1] == Refusal("locked")
    assert d.confirm(started.token, right) == Refusal("expired")  # the pending code is gone
    assert d.start("ho-tich", PHONE, "10.0.0.10") == Refusal("locked")
    assert isinstance(d.start("ho-tich", "0987654321", "10.0.0.10"), CodeSent)  # another number is not locked


def test_a_code_expires(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, code_minutes=5)
    started = d.start("ho-tich", PHONE, "10.0.0.9")
    assert isinstance(started, CodeSent)
    office.clock.advance(5 * 60)
    assert d.confirm(started.token, notifier.last_code()) == Refusal("expired")


def test_codes_are_rate_limited_per_number_and_per_address(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, codes_per_phone_per_day=2, codes_per_address_per_hour=3)
    assert isinstance(d.start("ho-tich", PHONE, "10.0.0.1"), CodeSent)
    assert isinstance(d.start("ho-tich", PHONE, "10.0.0.2"), CodeSent)
    assert d.start("ho-tich", PHONE, "10.0.0.3") == Refusal("too_many_codes")
    assert isinstance(d.start("ho-tich", "0987654321", "10.0.0.7"), CodeSent)
    assert isinstance(d.start("ho-tich", "0987654322", "10.0.0.7"), CodeSent)
    assert isinstance(d.start("ho-tich", "0987654323", "10.0.0.7"), CodeSent)
    assert d.start("ho-tich", "0987654324", "10.0.0.7") == Refusal("address_limit")


def test_caps_count_numbers_never_checked_in(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, per_phone_per_day=2, per_service_per_day=3)
    book(d, notifier)
    book(d, notifier, "chung-thuc")
    assert d.start("ho-tich", PHONE, "10.0.0.9") == Refusal("phone_cap")
    book(d, notifier, phone="0987654321")
    book(d, notifier, phone="0987654322")
    assert d.start("ho-tich", "0987654323", "10.0.0.9") == Refusal("service_cap")


def test_the_share_of_the_day_caps_all_remote_numbers(office: Office) -> None:
    notifier = KeptNotifier()
    capacity = day_capacity(office.setup, date(2026, 11, 23), None)  # counters x open time / 8 min
    assert capacity > 100
    d = desk(office, notifier, capacity_share=1.5 / capacity)  # room for one remote number today
    book(d, notifier)
    assert d.start("cu-tru", "0987654321", "10.0.0.9") == Refusal("day_cap")


def test_bad_input_and_closed_hours_are_refused_with_a_code(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier)
    assert d.start("ho-tich", "12345", "10.0.0.9") == Refusal("bad_phone")
    assert d.start("nope", PHONE, "10.0.0.9") == Refusal("unknown_service")
    office.clock.at(11, 0)  # 18:00 local: closed
    assert d.start("ho-tich", PHONE, "10.0.0.9") == Refusal("closed")
    assert desk(office, notifier, enabled=False).start("ho-tich", PHONE, "x") == Refusal("disabled")


def test_a_refused_sms_books_nothing(office: Office) -> None:
    notifier = KeptNotifier(refuse=True)
    d = desk(office, notifier)
    assert d.start("ho-tich", PHONE, "10.0.0.9") == Refusal("sms_unavailable")
    assert not isinstance(d.confirm("whatever", "123456"), Booked)


def test_a_phone_number_is_deleted_after_its_day_and_the_retention(office: Office) -> None:
    notifier = KeptNotifier()
    d = desk(office, notifier, retention_days=1)
    booked = book(d, notifier)
    day = date(2026, 11, 23)
    end_of_day = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 00:00 local on the 24th
    assert d.phones.purge(end_of_day + timedelta(days=1) - timedelta(seconds=1), day) == 0
    assert d.phones.phone_of(booked.ticket_id) == PHONE
    assert d.phones.purge(end_of_day + timedelta(days=1), day) == 1
    assert d.phones.phone_of(booked.ticket_id) is None
    assert d.phones.booked_count(day) == 0
