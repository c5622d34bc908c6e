"""Opening hours: the model's answers, its rules, and its place in the setup event (codec, old-event replay)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.codec import event_from_dict, event_to_dict, to_jsonable
from queue_server.engine.errors import Reason
from queue_server.engine.hours import (
    DEFAULT_HOURS,
    OpeningHours,
    Session,
    closing_at,
    format_day,
    hours_from_json,
    hours_problems,
    hours_to_json,
    is_open,
    next_opening,
    sessions_on,
    to_local,
    to_utc,
)
from queue_server.engine.setup import setup_problems
from queue_server.engine.state import QueueState
from tests.unit.engine_helpers import T0, Office, make_setup

MONDAY = date(2026, 11, 30)
SATURDAY = date(2026, 12, 5)
NATIONAL_DAY = date(2026, 9, 2)  # a Wednesday


def test_default_hours_are_the_state_offices_usual_day() -> None:
    assert format_day(DEFAULT_HOURS, MONDAY) == "07:30–11:30, 13:30–17:00"
    assert closing_at(DEFAULT_HOURS, MONDAY) == time(17, 0)
    assert sessions_on(DEFAULT_HOURS, SATURDAY) == ()
    assert closing_at(DEFAULT_HOURS, SATURDAY) is None


def test_open_inside_sessions_closed_at_lunch_and_after_closing() -> None:

    def at(hour: int, minute: int) -> datetime:
        return datetime.combine(MONDAY, time(hour, minute))

    assert not is_open(DEFAULT_HOURS, at(7, 29))
    assert is_open(DEFAULT_HOURS, at(7, 30))
    assert not is_open(DEFAULT_HOURS, at(11, 30))
    assert not is_open(DEFAULT_HOURS, at(12, 15))
    assert is_open(DEFAULT_HOURS, at(16, 59))
    assert not is_open(DEFAULT_HOURS, at(17, 0))


def test_next_opening_skips_lunch_weekend_and_holidays() -> None:
    assert next_opening(DEFAULT_HOURS, datetime.combine(MONDAY, time(12, 0))) == datetime.combine(MONDAY, time(13, 30))
    friday_evening = datetime(2026, 12, 4, 17, 5)
    assert next_opening(DEFAULT_HOURS, friday_evening) == datetime(2026, 12, 7, 7, 30)
    hours = replace(DEFAULT_HOURS, holidays=(date(2026, 12, 7),))
    assert next_opening(hours, friday_evening) == datetime(2026, 12, 8, 7, 30)
    assert next_opening(OpeningHours(sessions=()), friday_evening) is None


def test_office_local_time_round_trips_to_utc() -> None:
    now = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)  # 17:05 in Hà Nội: closed
    local = to_local(now, 420)
    assert local == datetime(2026, 11, 30, 17, 5) and not is_open(DEFAULT_HOURS, local)
    opening = next_opening(DEFAULT_HOURS, local)
    assert opening is not None and to_utc(opening, 420) == datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def test_holiday_closes_a_weekday_and_make_up_day_opens_a_saturday() -> None:
    hours = replace(DEFAULT_HOURS, holidays=(NATIONAL_DAY,), make_up_days=(SATURDAY,))
    assert sessions_on(hours, NATIONAL_DAY) == ()
    assert format_day(hours, SATURDAY) == "07:30–11:30, 13:30–17:00"
    assert is_open(hours, datetime.combine(SATURDAY, time(9, 0)))


def test_saturday_morning_is_one_more_session() -> None:
    hours = replace(DEFAULT_HOURS, sessions=(*DEFAULT_HOURS.sessions, Session(5, time(7, 30), time(11, 30))))
    assert format_day(hours, SATURDAY) == "07:30–11:30"
    assert closing_at(hours, SATURDAY) == time(11, 30)


def test_inverted_and_overlapping_sessions_are_refused_with_a_reason() -> None:
    inverted = OpeningHours(sessions=(Session(0, time(17, 0), time(7, 30)),))
    overlapping = OpeningHours(sessions=(Session(1, time(7, 30), time(12, 0)), Session(1, time(11, 0), time(17, 0))))
    bad_day = OpeningHours(sessions=(Session(7, time(7, 30), time(11, 0)),))
    assert hours_problems(inverted) == [("hours.sessions", "session 17:00–07:30 ends before it starts")]
    assert hours_problems(overlapping) == [
        ("hours.sessions", "Thứ Ba: sessions 07:30–12:00 and 11:00–17:00 overlap"),
    ]
    assert [field for field, _ in hours_problems(bad_day)] == ["hours.sessions.weekday"]
    assert hours_problems(DEFAULT_HOURS) == []


def test_the_engine_refuses_a_setup_with_overlapping_sessions() -> None:
    office = Office()
    bad = replace(
        make_setup(), hours=OpeningHours(sessions=(Session(0, time(8), time(12)), Session(0, time(11), time(17))))
    )
    assert ("hours.sessions", "Thứ Hai: sessions 08:00–12:00 and 11:00–17:00 overlap") in setup_problems(bad)
    assert office.reject(cmd.ConfigureOffice(bad)) == Reason.INVALID_SETUP


def test_hours_travel_in_the_setup_event_and_old_events_replay_with_the_default() -> None:
    hours = replace(DEFAULT_HOURS, holidays=(NATIONAL_DAY,), make_up_days=(SATURDAY,))
    event = ev.OfficeConfigured(at=T0, setup=replace(make_setup(), hours=hours))
    encoded = event_to_dict(event)
    assert encoded["setup"]["hours"] == hours_to_json(hours)
    assert encoded["setup"]["hours"]["sessions"][0] == {"weekday": 0, "start": "07:30", "end": "11:30"}
    assert event_from_dict(encoded) == event

    old = event_to_dict(ev.OfficeConfigured(at=T0, setup=make_setup()))
    del old["setup"]["hours"]
    state = QueueState.replay([event_from_dict(old)])
    assert state.setup is not None and state.setup.hours == DEFAULT_HOURS


def test_the_devices_json_is_the_codecs_json() -> None:
    hours = replace(DEFAULT_HOURS, holidays=(NATIONAL_DAY,))
    assert to_jsonable(hours) == hours_to_json(hours)
    assert hours_from_json(hours_to_json(hours)) == hours


minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def opening_hours(draw: st.DrawFn) -> OpeningHours:
    sessions: list[Session] = []
    for weekday in range(7):
        cuts = sorted(set(draw(st.lists(minutes, max_size=4))))
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            sessions.append(Session(weekday, time(start // 60, start % 60), time(end // 60, end % 60)))
    days = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
    holidays = tuple(sorted(set(draw(st.lists(days, max_size=5)))))
    make_up = tuple(sorted(set(draw(st.lists(days, max_size=3)))))
    return OpeningHours(sessions=tuple(sessions), holidays=holidays, make_up_days=make_up)


local_times = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31, 23, 59))


@given(opening_hours(), local_times)
def test_next_opening_is_an_opening_and_nothing_opens_before_it(hours: OpeningHours, local: datetime) -> None:
    assert hours_problems(hours) == []
    opening = next_opening(hours, local)
    if opening is None:
        assert not any(sessions_on(hours, local.date() + timedelta(days=d)) for d in range(8))
        return
    assert opening > local
    assert is_open(hours, opening)
    assert not is_open(hours, opening - timedelta(minutes=1)) or opening.time() == time(0, 0)
    # Nothing opens strictly between now and the next opening: walk every minute in between on short gaps.
    gap = opening - local
    if gap <= timedelta(days=3):
        probe = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
        was_open = is_open(hours, local)
        while probe < opening:
            now_open = is_open(hours, probe)
            assert not (now_open and not was_open), f"opened at {probe} before next_opening {opening}"
            was_open = now_open
            probe += timedelta(minutes=1)
