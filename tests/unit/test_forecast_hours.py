"""The forecast knows the office's hours (``OfficeSetup.hours``): nobody is called before opening or over lunch,
and ``after_closing`` is against today's last session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from queue_server.engine.setup import Counter
from queue_server.forecast.office_hours import closes_at, forecaster, next_opening, pauses
from queue_server.forecast.service_times import ServiceTimes
from tests.unit.engine_helpers import Office, make_setup

HANOI = timezone(timedelta(hours=7))
MONDAY_7 = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)  # Monday 07:00 in Hà Nội; default hours 07:30-11:30, 13:30-17:00


def _one_counter(at: datetime) -> Office:
    return Office(make_setup(counters=(Counter("c1", 1, ("land",)),)), now=at)


def test_an_early_ticket_is_called_from_the_opening() -> None:
    office = _one_counter(MONDAY_7)
    first = office.issue("land")
    prediction = forecaster(office.state, ServiceTimes(), office.now).ticket(first.ticket_id)
    assert prediction is not None
    assert prediction.median.astimezone(HANOI).strftime("%H:%M") == "07:30"


def test_a_ticket_that_would_be_called_over_lunch_is_called_after_it() -> None:
    office = _one_counter(MONDAY_7 + timedelta(hours=4, minutes=20))  # 11:20
    for _ in range(4):
        last = office.issue("land")  # four 8-minute services on one counter: past 11:30
    prediction = forecaster(office.state, ServiceTimes(), office.now).ticket(last.ticket_id, samples=64)
    assert prediction is not None
    assert prediction.median.astimezone(HANOI).time() >= datetime(2025, 3, 3, 13, 30).time()
    assert not prediction.after_closing


def test_closing_next_opening_and_pauses_come_from_the_hours() -> None:
    setup = make_setup()
    friday_evening = datetime(2025, 3, 7, 10, 30, tzinfo=UTC)  # Friday 17:30
    assert closes_at(setup, friday_evening) == datetime(2025, 3, 7, 17, 0, tzinfo=HANOI)
    assert next_opening(setup, friday_evening) == datetime(2025, 3, 10, 7, 30, tzinfo=HANOI)  # Monday
    assert pauses(setup, MONDAY_7) == ((0.0, 1800.0), (4.5 * 3600, 6.5 * 3600))
    assert closes_at(setup, datetime(2025, 3, 8, 3, 0, tzinfo=UTC)) is None  # Saturday: a day off
