"""Example-based tests of every engine command and every rejection reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.setup import (
    Counter,
    Outcome,
    PriorityPolicy,
    RatingLevel,
    Service,
    Staff,
)
from queue_server.engine.state import QueueState, TicketStatus
from tests.unit.engine_helpers import LOCAL_MIDNIGHT, T0, Office, last_of, make_setup, types_of

ELDERLY = "elderly_60"


# -- configuring the office ------------------------------------------------------------------------------
def test_configure_records_the_setup_and_creates_counters() -> None:
    office = Office(configure=False)
    setup = make_setup()
    out = office.run(cmd.ConfigureOffice(setup))
    assert out == [ev.OfficeConfigured(at=T0, setup=setup)]
    assert office.state.setup == setup
    assert set(office.state.counters) == {"c1", "c2", "c3"}
    assert office.state.day is None  # configuring does not open a day


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"services": (Service("land", "A", "Đất đai"), Service("land", "B", "Tư pháp"))},
            "duplicate service id",
        ),
        (
            {"services": (Service("land", "A", "Đất đai"), Service("justice", "A", "Tư pháp"))},
            "duplicate service prefix",
        ),
        (
            {"counters": (Counter("c1", 1, ("land",)), Counter("c1", 2, ("justice",)))},
            "duplicate counter id",
        ),
        ({"counters": (Counter("c1", 1, ("land", "tax")),)}, "unknown services ['tax']"),
        ({"rating_scale": ()}, "empty rating scale"),
        ({"interleave_every": 0}, "interleave_every"),
        ({"services": (Service("land", "", "Đất đai"),)}, "empty service prefix"),
        ({"number_width": 0}, "number_width"),
        ({"number_width": -1}, "number_width"),
        ({"no_show_grace_seconds": -1}, "must not be negative"),
        ({"rating_window_seconds": -5}, "must not be negative"),
        (
            {"rating_scale": (RatingLevel("ok", "Được", "OK", True), RatingLevel("ok", "Tốt", "Good", True))},
            "duplicate rating level code",
        ),
        ({"staff": (Staff("s1", "An"), Staff("s1", "Bình"))}, "duplicate staff id"),
        ({"utc_offset_minutes": 24 * 60}, "utc_offset_minutes"),
    ],
)
def test_invalid_setup_is_rejected(overrides: dict[str, object], problem: str) -> None:
    office = Office(configure=False)
    with pytest.raises(CommandRejected) as info:
        office.run(cmd.ConfigureOffice(make_setup(**overrides)))
    assert info.value.reason is Reason.INVALID_SETUP
    assert problem in str(info.value)
    assert office.reject(cmd.ConfigureOffice(make_setup(**overrides))) is Reason.INVALID_SETUP
    assert office.state == QueueState()


@pytest.mark.parametrize(
    "command",
    [
        cmd.IssueTicket("land"),
        cmd.CallNext("c1"),
        cmd.Recall("c1"),
        cmd.SkipTicket("c1"),
        cmd.Requeue("T00001"),
        cmd.Transfer("c1", to_service_id="justice"),
        cmd.FinishService("c1"),
        cmd.RateService("c1", "satisfied"),
        cmd.PauseCounter("c1"),
        cmd.ResumeCounter("c1"),
        cmd.SignIn("c1", "s1"),
        cmd.SignOut("c1"),
    ],
)
def test_every_command_needs_a_configured_office(command: cmd.Command) -> None:
    office = Office(configure=False)
    assert office.reject(command) is Reason.OFFICE_NOT_CONFIGURED


def test_reconfiguring_keeps_counter_state_and_adds_new_counters() -> None:
    office = Office()
    office.run(cmd.PauseCounter("c1"))
    bigger = make_setup(counters=(*make_setup().counters, Counter("c4", 4, ("justice",))))
    office.run(cmd.ConfigureOffice(bigger))
    assert office.state.counters["c1"].paused
    assert not office.state.counters["c4"].paused
    office.issue("justice")
    assert office.call("c4").counter_id == "c4"


# -- issuing and numbering -------------------------------------------------------------------------------
def test_first_command_of_a_day_starts_the_day_once() -> None:
    office = Office()
    first = office.run(cmd.IssueTicket("land"))
    assert types_of(first) == ["DayStarted", "TicketIssued"]
    assert first[0] == ev.DayStarted(at=T0, day=date(2025, 3, 3), expired_ticket_ids=())
    assert types_of(office.run(cmd.IssueTicket("land"))) == ["TicketIssued"]
    assert office.state.day == date(2025, 3, 3)


def test_numbers_count_from_one_per_service() -> None:
    office = Office()
    labels = [office.issue(s).label for s in ("land", "land", "justice", "land", "justice", "business")]
    assert labels == ["A001", "A002", "B001", "A003", "B002", "C001"]
    issued = [e for e in office.events if isinstance(e, ev.TicketIssued)]
    assert [e.number for e in issued] == [1, 2, 1, 3, 2, 1]
    assert len({e.ticket_id for e in issued}) == 6
    assert all(office.ticket(e.ticket_id).status is TicketStatus.WAITING for e in issued)


def test_label_uses_the_configured_number_width() -> None:
    office = Office(make_setup(number_width=4))
    assert office.issue("justice").label == "B0001"


def test_number_beyond_the_width_still_gets_its_digits() -> None:
    office = Office(make_setup(number_width=1))
    labels = [office.issue("land").label for _ in range(10)]
    assert labels[-2:] == ["A9", "A10"]


def test_issue_records_priority_device_and_local_day() -> None:
    office = Office()
    issued = last_of(office.run(cmd.IssueTicket("land", ELDERLY, device_id="kiosk-1")), ev.TicketIssued)
    assert (issued.priority, issued.device_id, issued.day) == (ELDERLY, "kiosk-1", date(2025, 3, 3))
    assert office.ticket(issued.ticket_id).priority == ELDERLY


def test_unknown_service_and_priority_are_rejected() -> None:
    office = Office()
    assert office.reject(cmd.IssueTicket("tax")) is Reason.UNKNOWN_SERVICE
    assert office.reject(cmd.IssueTicket("land", "vip")) is Reason.UNKNOWN_PRIORITY
    assert office.state.tickets == {}
    office.issue("land", "pregnant")  # a category of the default list is fine


def test_day_boundary_is_local_midnight_at_17_utc() -> None:
    office = Office()
    office.issue("land", at=datetime(2025, 3, 3, 10, 0, tzinfo=UTC))
    before = office.issue("land", at=datetime(2025, 3, 3, 16, 59, 59, tzinfo=UTC))
    out = office.run(cmd.IssueTicket("land"), at=datetime(2025, 3, 3, 17, 0, 0, tzinfo=UTC))
    after = last_of(out, ev.TicketIssued)
    assert (before.label, before.day) == ("A002", date(2025, 3, 3))
    assert (after.label, after.number, after.day) == ("A001", 1, date(2025, 3, 4))
    assert types_of(out) == ["DayStarted", "TicketIssued"]
    assert office.state.day == date(2025, 3, 4)
    assert office.issue("justice").label == "B001"


def test_early_utc_evening_belongs_to_the_next_local_morning() -> None:
    office = Office(now=datetime(2025, 3, 2, 23, 30, tzinfo=UTC))  # 06:30 on 3 March in Hà Nội
    early = office.issue("land")
    later = office.issue("land", at=datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    assert (early.day, early.label) == (date(2025, 3, 3), "A001")
    assert (later.day, later.label) == (date(2025, 3, 3), "A002")


def test_local_day_of_a_non_utc_aware_clock() -> None:
    """20:00 in Hà Nội (+07:00) is still the same local day as 08:00 that morning."""
    office = Office()
    office.issue("land", at=datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    ict = timezone(timedelta(hours=7))
    evening = office.run(cmd.IssueTicket("land"), at=datetime(2025, 3, 3, 20, 0, tzinfo=ict))
    assert types_of(evening) == ["TicketIssued"]
    assert last_of(evening, ev.TicketIssued).label == "A002"


def test_clock_stepping_back_over_midnight_keeps_numbering_of_the_open_day() -> None:
    office = Office()
    office.issue("land", at=LOCAL_MIDNIGHT - timedelta(minutes=5))
    office.issue("land", at=LOCAL_MIDNIGHT - timedelta(minutes=4))
    today = office.issue("land", at=LOCAL_MIDNIGHT + timedelta(seconds=1))
    stepped_back = office.issue("land", at=LOCAL_MIDNIGHT - timedelta(seconds=1))
    assert (today.day, today.number) == (date(2025, 3, 4), 1)
    assert (stepped_back.day, stepped_back.number) == (date(2025, 3, 4), 2)


def test_new_day_expires_waiting_and_no_show_tickets_but_not_service_in_progress() -> None:
    office = Office()
    done_early = office.issue("land")
    no_show = office.issue("justice")
    in_service = office.issue("business")
    done_late = office.issue("land")
    assert office.call("c2").ticket_id == done_early.ticket_id
    assert office.call("c2").ticket_id == no_show.ticket_id  # finishes A001 first
    office.run(cmd.SkipTicket("c2"))
    assert office.call("c3").ticket_id == in_service.ticket_id
    assert office.call("c1").ticket_id == done_late.ticket_id
    office.finish("c1")
    leftover = office.issue("land")

    out = office.run(cmd.IssueTicket("justice"), at=LOCAL_MIDNIGHT + timedelta(hours=1))
    started = out[0]
    assert isinstance(started, ev.DayStarted)
    assert started.day == date(2025, 3, 4)
    assert set(started.expired_ticket_ids) == {no_show.ticket_id, leftover.ticket_id}
    assert leftover.ticket_id not in office.state.waiting
    assert office.state.tickets[in_service.ticket_id].status is TicketStatus.SERVING
    assert office.state.counters["c3"].serving_ticket_id == in_service.ticket_id
    assert set(office.state.waiting) == {last_of(out, ev.TicketIssued).ticket_id}
    # yesterday's finished and expired visits are history: only the event log keeps them
    assert set(office.state.tickets) == {in_service.ticket_id, last_of(out, ev.TicketIssued).ticket_id}
    assert office.finish("c3").ticket_id == in_service.ticket_id


def test_call_after_midnight_ignores_yesterdays_line_and_persists_nothing() -> None:
    office = Office()
    office.issue("land")
    assert office.reject(cmd.CallNext("c1"), at=LOCAL_MIDNIGHT) is Reason.NOTHING_WAITING
    assert office.state.day == date(2025, 3, 3)
    today = office.issue("land")
    assert office.call("c1").ticket_id == today.ticket_id


def test_requeue_of_yesterdays_no_show_is_refused_after_midnight() -> None:
    office = Office()
    office.issue("land", at=LOCAL_MIDNIGHT - timedelta(minutes=2))
    called = office.call("c1")
    office.run(cmd.SkipTicket("c1"))
    assert office.reject(cmd.Requeue(called.ticket_id), at=LOCAL_MIDNIGHT) is Reason.NOT_NO_SHOW


# -- calling ---------------------------------------------------------------------------------------------
def test_call_next_takes_the_oldest_ticket_of_the_counters_services() -> None:
    office = Office()
    office.run(cmd.SignIn("c2", "s2"))
    business = office.issue("business")
    land = office.issue("land")
    justice = office.issue("justice")
    called = office.call("c2")
    assert called == ev.TicketCalled(
        at=T0, ticket_id=land.ticket_id, counter_id="c2", service_id="land", staff_id="s2", segment=1
    )
    ticket = office.ticket(land.ticket_id)
    assert (ticket.status, ticket.counter_id, ticket.segment) == (TicketStatus.SERVING, "c2", 1)
    assert office.state.counters["c2"].serving_ticket_id == land.ticket_id
    assert set(office.state.waiting) == {business.ticket_id, justice.ticket_id}
    assert office.state.recent_calls[0].label == "A001"


def test_counter_does_not_call_other_services() -> None:
    office = Office()
    office.issue("justice")
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING
    assert office.reject(cmd.CallNext("c3")) is Reason.NOTHING_WAITING
    assert office.call("c2").service_id == "justice"


def test_call_next_rejections() -> None:
    office = Office()
    assert office.reject(cmd.CallNext("c9")) is Reason.UNKNOWN_COUNTER
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING
    office.issue("land")
    office.run(cmd.PauseCounter("c1"))
    assert office.reject(cmd.CallNext("c1")) is Reason.COUNTER_PAUSED


def test_call_next_while_serving_finishes_the_current_ticket_first() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"))
    first = office.issue("land")
    second = office.issue("land")
    office.call("c1")
    office.advance(minutes=5)
    out = office.run(cmd.CallNext("c1"))
    assert out == [
        ev.ServiceFinished(
            at=office.now, ticket_id=first.ticket_id, counter_id="c1", staff_id="s1", segment=1, outcome=None
        ),
        ev.TicketCalled(
            at=office.now,
            ticket_id=second.ticket_id,
            counter_id="c1",
            service_id="land",
            staff_id="s1",
            segment=1,
        ),
    ]
    assert office.ticket(first.ticket_id).status is TicketStatus.DONE
    assert office.state.counters["c1"].serving_ticket_id == second.ticket_id


def test_call_next_with_empty_line_keeps_serving() -> None:
    office = Office()
    first = office.issue("land")
    office.call("c1")
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING
    assert office.ticket(first.ticket_id).status is TicketStatus.SERVING


def test_two_counters_never_share_a_ticket() -> None:
    office = Office()
    a = office.issue("land")
    b = office.issue("land")
    first = office.call("c1")
    second = office.call("c2")
    assert {first.ticket_id, second.ticket_id} == {a.ticket_id, b.ticket_id}
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING
    serving = [c.serving_ticket_id for c in office.state.counters.values() if c.serving_ticket_id]
    assert sorted(serving) == sorted([a.ticket_id, b.ticket_id])


def _call_all(office: Office, counter_id: str) -> list[str]:
    labels = []
    while office.state.waiting:
        labels.append(office.label_of(office.call(counter_id).ticket_id))
    return labels


def test_strict_policy_calls_every_priority_ticket_first_fifo_within_class() -> None:
    office = Office(make_setup(priority_policy=PriorityPolicy.STRICT))
    for priority in (None, None, ELDERLY, None, "disabled", None):
        office.issue("land", priority)
    assert _call_all(office, "c1") == ["A003", "A005", "A001", "A002", "A004", "A006"]


def test_interleave_two_normal_then_one_priority() -> None:
    office = Office(make_setup(interleave_every=2))
    # priorities arrive first, normals later: the policy still gives N N P N N P
    for priority in (ELDERLY, "merit", None, None, None, None, None, None, "pregnant"):
        office.issue("land", priority)
    labels = _call_all(office, "c1")
    kinds = ["P" if office.ticket(t.ticket_id).priority else "N" for t in _calls(office)]
    assert kinds == list("NNPNNPNNP")
    assert labels == ["A003", "A004", "A001", "A005", "A006", "A002", "A007", "A008", "A009"]


def _calls(office: Office) -> list[ev.TicketCalled]:
    return [e for e in office.events if isinstance(e, ev.TicketCalled)]


def test_interleave_every_one_alternates() -> None:
    office = Office(make_setup(interleave_every=1))
    for priority in (None, None, None, ELDERLY, ELDERLY, ELDERLY):
        office.issue("land", priority)
    assert _call_all(office, "c1") == ["A001", "A004", "A002", "A005", "A003", "A006"]


def test_interleave_takes_whatever_class_is_waiting() -> None:
    office = Office(make_setup(interleave_every=3))
    office.issue("land", ELDERLY)
    office.issue("land", ELDERLY)
    assert _call_all(office, "c1") == ["A001", "A002"]
    office.issue("land")
    office.issue("land")
    assert _call_all(office, "c1") == ["A003", "A004"]


def test_interleave_is_counted_per_counter() -> None:
    office = Office(make_setup(interleave_every=2))
    for _ in range(2):
        office.issue("land")
    office.call("c1")
    office.call("c1")  # c1 has served two normal tickets in a row
    office.issue("land")
    office.issue("land", ELDERLY)
    assert office.label_of(office.call("c2").ticket_id) == "A003"  # c2 has served none yet
    assert office.label_of(office.call("c1").ticket_id) == "A004"  # the priority one, c1 is due


# -- recall, skip, requeue -------------------------------------------------------------------------------
def test_recall_repeats_the_call_without_changing_the_ticket() -> None:
    office = Office()
    issued = office.issue("land")
    office.call("c1")
    office.advance(seconds=30)
    out = office.run(cmd.Recall("c1"))
    assert out == [ev.TicketRecalled(at=office.now, ticket_id=issued.ticket_id, counter_id="c1")]
    assert office.ticket(issued.ticket_id).status is TicketStatus.SERVING
    assert [r.at for r in office.state.recent_calls[:2]] == [office.now, T0]


def test_recall_skip_finish_transfer_need_a_ticket_in_service() -> None:
    office = Office()
    for kind in (cmd.Recall, cmd.SkipTicket, cmd.FinishService, cmd.Transfer):
        assert office.reject(kind("c1")) is Reason.NOT_SERVING
        assert office.reject(kind("c9")) is Reason.UNKNOWN_COUNTER


def test_skip_marks_no_show_and_frees_the_counter() -> None:
    office = Office()
    issued = office.issue("land")
    office.call("c1")
    assert office.run(cmd.SkipTicket("c1")) == [ev.TicketSkipped(at=T0, ticket_id=issued.ticket_id, counter_id="c1")]
    assert office.ticket(issued.ticket_id).status is TicketStatus.NO_SHOW
    assert office.state.counters["c1"].serving_ticket_id is None
    assert issued.ticket_id not in office.state.waiting
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING


def test_requeue_within_grace_goes_to_the_back_and_starts_a_new_segment() -> None:
    office = Office(make_setup(no_show_grace_seconds=600))
    absent = office.issue("land")
    office.call("c1")
    office.run(cmd.SkipTicket("c1"))
    other = office.issue("land")
    office.advance(seconds=600)  # exactly at the end of the grace period
    assert office.run(cmd.Requeue(absent.ticket_id)) == [ev.TicketRequeued(at=office.now, ticket_id=absent.ticket_id)]
    assert office.ticket(absent.ticket_id).status is TicketStatus.WAITING
    assert office.call("c1").ticket_id == other.ticket_id
    again = office.call("c1")
    assert (again.ticket_id, again.segment) == (absent.ticket_id, 2)


def test_requeue_after_grace_is_refused() -> None:
    office = Office(make_setup(no_show_grace_seconds=600))
    absent = office.issue("land")
    office.call("c1")
    office.run(cmd.SkipTicket("c1"))
    office.advance(seconds=601)
    assert office.reject(cmd.Requeue(absent.ticket_id)) is Reason.GRACE_EXPIRED
    assert office.ticket(absent.ticket_id).status is TicketStatus.NO_SHOW


def test_requeue_needs_a_known_no_show_ticket() -> None:
    office = Office()
    assert office.reject(cmd.Requeue("nope")) is Reason.UNKNOWN_TICKET
    waiting = office.issue("land")
    assert office.reject(cmd.Requeue(waiting.ticket_id)) is Reason.NOT_NO_SHOW
    office.call("c1")
    assert office.reject(cmd.Requeue(waiting.ticket_id)) is Reason.NOT_NO_SHOW
    office.run(cmd.FinishService("c1"))
    assert office.reject(cmd.Requeue(waiting.ticket_id)) is Reason.NOT_NO_SHOW


# -- transfer --------------------------------------------------------------------------------------------
def test_transfer_keeps_the_ticket_and_joins_the_back_of_the_other_line() -> None:
    office = Office()
    visitor = office.issue("land")
    already_waiting = office.issue("justice")
    office.call("c1")
    out = office.run(cmd.Transfer("c1", to_service_id="justice"))
    assert out == [
        ev.TicketTransferred(
            at=T0,
            ticket_id=visitor.ticket_id,
            from_counter_id="c1",
            to_service_id="justice",
            to_counter_id=None,
            to_front=False,
        )
    ]
    ticket = office.ticket(visitor.ticket_id)
    assert (ticket.status, ticket.service_id, ticket.label) == (TicketStatus.WAITING, "justice", "A001")
    assert office.state.counters["c1"].serving_ticket_id is None
    assert office.call("c2").ticket_id == already_waiting.ticket_id
    second = office.call("c2")
    assert (second.ticket_id, second.service_id, second.segment) == (visitor.ticket_id, "justice", 2)
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING


def test_transfer_to_front_is_called_first() -> None:
    office = Office()
    visitor = office.issue("land")
    office.issue("justice")
    office.issue("justice")
    office.call("c1")
    office.run(cmd.Transfer("c1", to_service_id="justice", to_front=True))
    assert office.call("c2").ticket_id == visitor.ticket_id


def test_transfer_to_a_counter_is_only_called_by_that_counter() -> None:
    office = Office()
    visitor = office.issue("land")
    office.call("c1")
    office.run(cmd.Transfer("c1", to_counter_id="c2"))
    assert office.ticket(visitor.ticket_id).target_counter_id == "c2"
    assert office.reject(cmd.CallNext("c1")) is Reason.NOTHING_WAITING  # c1 also serves land, but no
    later = office.issue("land")
    assert office.call("c1").ticket_id == later.ticket_id
    called = office.call("c2")
    assert (called.ticket_id, called.segment) == (visitor.ticket_id, 2)
    assert office.ticket(visitor.ticket_id).target_counter_id is None


def test_transfer_to_a_counter_outside_its_services() -> None:
    office = Office()
    visitor = office.issue("land")
    office.call("c1")
    office.run(cmd.Transfer("c1", to_counter_id="c3"))  # business counter, asked for by name
    assert office.call("c3").ticket_id == visitor.ticket_id


def test_transfer_back_to_the_same_counter_for_another_service() -> None:
    office = Office()
    visitor = office.issue("land")
    office.call("c2")
    office.run(cmd.Transfer("c2", to_service_id="justice", to_counter_id="c2"))
    assert office.call("c2").ticket_id == visitor.ticket_id


@pytest.mark.parametrize(
    "command",
    [
        cmd.Transfer("c1"),
        cmd.Transfer("c1", to_service_id="land"),
        cmd.Transfer("c1", to_counter_id="c1"),
        cmd.Transfer("c1", to_service_id="land", to_counter_id="c1", to_front=True),
    ],
)
def test_transfer_to_the_same_place_is_refused(command: cmd.Transfer) -> None:
    office = Office()
    office.issue("land")
    office.call("c1")
    assert office.reject(command) is Reason.SAME_DESTINATION


def test_transfer_to_the_same_service_at_another_counter_is_allowed() -> None:
    office = Office()
    visitor = office.issue("land")
    office.call("c1")
    office.run(cmd.Transfer("c1", to_service_id="land", to_counter_id="c2"))
    assert office.call("c2").ticket_id == visitor.ticket_id


def test_transfer_to_unknown_places_is_refused() -> None:
    office = Office()
    office.issue("land")
    office.call("c1")
    assert office.reject(cmd.Transfer("c1", to_service_id="tax")) is Reason.UNKNOWN_SERVICE
    assert office.reject(cmd.Transfer("c1", to_counter_id="c9")) is Reason.UNKNOWN_COUNTER


# -- finishing -------------------------------------------------------------------------------------------
def test_finish_records_outcome_and_dossier() -> None:
    office = Office()
    office.run(cmd.SignIn("c3", "s1"))
    visitor = office.issue("business")
    office.call("c3")
    office.advance(minutes=12)
    out = office.run(cmd.FinishService("c3", Outcome.DOSSIER_RECEIVED, "000.00.12.H26-250303-0001"))
    assert out == [
        ev.ServiceFinished(
            at=office.now,
            ticket_id=visitor.ticket_id,
            counter_id="c3",
            staff_id="s1",
            segment=1,
            outcome=Outcome.DOSSIER_RECEIVED,
            dossier_code="000.00.12.H26-250303-0001",
        )
    ]
    assert office.ticket(visitor.ticket_id).status is TicketStatus.DONE
    assert office.state.counters["c3"].serving_ticket_id is None
    assert office.state.counters["c3"].last_finished == (visitor.ticket_id, 1, office.now)
    assert office.reject(cmd.FinishService("c3")) is Reason.NOT_SERVING


# -- rating ----------------------------------------------------------------------------------------------
def _served_and_finished(office: Office, counter_id: str = "c1") -> ev.TicketIssued:
    issued = office.issue("land")
    office.call(counter_id)
    office.finish(counter_id)
    return issued


def test_rating_during_service() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"))
    visitor = office.issue("land")
    office.call("c1")
    out = office.run(cmd.RateService("c1", "very_satisfied"))
    assert out == [
        ev.TicketRated(
            at=T0,
            ticket_id=visitor.ticket_id,
            counter_id="c1",
            staff_id="s1",
            segment=1,
            level="very_satisfied",
        )
    ]
    assert (visitor.ticket_id, 1) in office.state.rated
    assert office.reject(cmd.RateService("c1", "satisfied")) is Reason.ALREADY_RATED


def test_rating_after_finish_within_the_window() -> None:
    office = Office(make_setup(rating_window_seconds=120))
    visitor = _served_and_finished(office)
    office.advance(seconds=120)
    rated = last_of(office.run(cmd.RateService("c1", "dissatisfied")), ev.TicketRated)
    assert (rated.ticket_id, rated.segment) == (visitor.ticket_id, 1)
    assert office.reject(cmd.RateService("c1", "satisfied")) is Reason.ALREADY_RATED


def test_rating_after_the_window_is_refused() -> None:
    office = Office(make_setup(rating_window_seconds=120))
    _served_and_finished(office)
    office.advance(seconds=121)
    assert office.reject(cmd.RateService("c1", "satisfied")) is Reason.RATING_WINDOW_CLOSED


def test_rating_the_previous_visitor_by_id_while_serving_the_next() -> None:
    office = Office()
    first = office.issue("land")
    second = office.issue("land")
    office.call("c1")
    office.call("c1")  # finishes the first
    by_id = last_of(office.run(cmd.RateService("c1", "satisfied", first.ticket_id)), ev.TicketRated)
    assert by_id.ticket_id == first.ticket_id
    current = last_of(office.run(cmd.RateService("c1", "satisfied")), ev.TicketRated)
    assert current.ticket_id == second.ticket_id


def test_each_segment_of_a_visit_can_be_rated_once() -> None:
    office = Office()
    visitor = office.issue("land")
    office.call("c1")
    office.run(cmd.RateService("c1", "satisfied"))
    office.run(cmd.Transfer("c1", to_service_id="justice"))
    office.call("c2")
    rated = last_of(office.run(cmd.RateService("c2", "very_satisfied")), ev.TicketRated)
    assert (rated.ticket_id, rated.segment) == (visitor.ticket_id, 2)
    assert office.state.rated == {(visitor.ticket_id, 1), (visitor.ticket_id, 2)}


def test_rating_rejections() -> None:
    office = Office()
    assert office.reject(cmd.RateService("c9", "satisfied")) is Reason.UNKNOWN_COUNTER
    assert office.reject(cmd.RateService("c1", "satisfied")) is Reason.NOTHING_TO_RATE
    visitor = _served_and_finished(office)
    assert office.reject(cmd.RateService("c1", "excellent")) is Reason.UNKNOWN_RATING_LEVEL
    assert office.reject(cmd.RateService("c1", "satisfied", "someone-else")) is Reason.NOTHING_TO_RATE
    assert office.reject(cmd.RateService("c2", "satisfied", visitor.ticket_id)) is Reason.NOTHING_TO_RATE


def test_custom_rating_scale() -> None:
    scale = tuple(RatingLevel(f"l{i}", f"Mức {i}", f"Level {i}", i >= 4) for i in range(1, 6))
    office = Office(make_setup(rating_scale=scale))
    _served_and_finished(office)
    assert office.reject(cmd.RateService("c1", "satisfied")) is Reason.UNKNOWN_RATING_LEVEL
    assert last_of(office.run(cmd.RateService("c1", "l5")), ev.TicketRated).level == "l5"


# -- pause, resume, staff --------------------------------------------------------------------------------
def test_pause_blocks_call_next_until_resumed() -> None:
    office = Office()
    office.issue("land")
    assert office.run(cmd.PauseCounter("c1")) == [ev.CounterPaused(at=T0, counter_id="c1")]
    assert office.reject(cmd.CallNext("c1")) is Reason.COUNTER_PAUSED
    assert office.reject(cmd.PauseCounter("c1")) is Reason.COUNTER_PAUSED
    assert office.run(cmd.ResumeCounter("c1")) == [ev.CounterResumed(at=T0, counter_id="c1")]
    assert office.reject(cmd.ResumeCounter("c1")) is Reason.COUNTER_NOT_PAUSED
    office.call("c1")


def test_pause_does_not_block_other_counters_or_finishing() -> None:
    office = Office()
    office.issue("land")
    office.issue("land")
    office.call("c1")
    office.run(cmd.PauseCounter("c1"))
    office.call("c2")
    office.finish("c1")


def test_sign_in_and_out() -> None:
    office = Office()
    assert office.reject(cmd.SignIn("c1", "ghost")) is Reason.UNKNOWN_STAFF
    assert office.reject(cmd.SignIn("c9", "s1")) is Reason.UNKNOWN_COUNTER
    assert office.reject(cmd.SignOut("c1")) is Reason.UNKNOWN_STAFF
    assert office.run(cmd.SignIn("c1", "s1"))[-1:] == [ev.StaffSignedIn(at=T0, counter_id="c1", staff_id="s1")]
    assert office.state.counters["c1"].staff_id == "s1"
    assert office.run(cmd.SignOut("c1")) == [ev.StaffSignedOut(at=T0, counter_id="c1", staff_id="s1")]
    assert office.state.counters["c1"].staff_id is None
    office.issue("land")
    assert office.call("c1").staff_id is None


def test_sign_in_over_someone_else_signs_them_out_first() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"))
    office.advance(hours=4)
    assert office.run(cmd.SignIn("c1", "s2")) == [
        ev.StaffSignedOut(at=office.now, counter_id="c1", staff_id="s1"),
        ev.StaffSignedIn(at=office.now, counter_id="c1", staff_id="s2"),
    ]
    assert office.run(cmd.SignIn("c1", "s2")) == [ev.StaffSignedIn(at=office.now, counter_id="c1", staff_id="s2")]
    assert office.state.counters["c1"].staff_id == "s2"


def test_pause_resume_sign_need_a_known_counter() -> None:
    office = Office()
    for command in (cmd.PauseCounter("c9"), cmd.ResumeCounter("c9"), cmd.SignOut("c9")):
        assert office.reject(command) is Reason.UNKNOWN_COUNTER


def test_counter_removed_by_reconfiguration_is_unknown() -> None:
    office = Office()
    office.run(cmd.ConfigureOffice(make_setup(counters=(Counter("c1", 1, ("land",)),))))
    assert office.reject(cmd.PauseCounter("c2")) is Reason.UNKNOWN_COUNTER


# -- every reason has a scenario -------------------------------------------------------------------------
def _served(office: Office) -> None:
    office.issue("land")
    office.call("c1")


def _no_show_long_ago(office: Office) -> cmd.Command:
    issued = office.issue("land")
    office.call("c1")
    office.run(cmd.SkipTicket("c1"))
    office.advance(hours=1)
    return cmd.Requeue(issued.ticket_id)


def _rated(office: Office) -> cmd.Command:
    _served(office)
    office.run(cmd.RateService("c1", "satisfied"))
    return cmd.RateService("c1", "satisfied")


def _window_closed(office: Office) -> cmd.Command:
    _served_and_finished(office)
    office.advance(hours=1)
    return cmd.RateService("c1", "satisfied")


def _paused(office: Office) -> cmd.Command:
    office.issue("land")
    office.run(cmd.PauseCounter("c1"))
    return cmd.CallNext("c1")


def _same_place(office: Office) -> cmd.Command:
    _served(office)
    return cmd.Transfer("c1")


def _passed_long_ago(o: Office) -> cmd.Command:
    o.run(cmd.BookRemote("land", "123456"))
    o.issue("land")
    o.call("c1")
    o.advance(hours=1)
    return cmd.CheckIn("123456")


SCENARIOS: dict[Reason, Callable[[Office], cmd.Command]] = {
    Reason.OFFICE_NOT_CONFIGURED: lambda o: cmd.IssueTicket("land"),
    Reason.INVALID_SETUP: lambda o: cmd.ConfigureOffice(make_setup(interleave_every=0)),
    Reason.UNKNOWN_SERVICE: lambda o: cmd.IssueTicket("tax"),
    Reason.UNKNOWN_COUNTER: lambda o: cmd.CallNext("c9"),
    Reason.UNKNOWN_TICKET: lambda o: cmd.Requeue("missing"),
    Reason.UNKNOWN_STAFF: lambda o: cmd.SignIn("c1", "ghost"),
    Reason.UNKNOWN_PRIORITY: lambda o: cmd.IssueTicket("land", "vip"),
    Reason.UNKNOWN_RATING_LEVEL: lambda o: cmd.RateService("c1", "meh"),
    Reason.COUNTER_PAUSED: _paused,
    Reason.COUNTER_NOT_PAUSED: lambda o: cmd.ResumeCounter("c1"),
    Reason.NOTHING_WAITING: lambda o: cmd.CallNext("c1"),
    Reason.NOT_SERVING: lambda o: cmd.FinishService("c1"),
    Reason.NOT_NO_SHOW: lambda o: cmd.Requeue(o.issue("land").ticket_id),
    Reason.GRACE_EXPIRED: _no_show_long_ago,
    Reason.SAME_DESTINATION: _same_place,
    Reason.NOTHING_TO_RATE: lambda o: cmd.RateService("c1", "satisfied"),
    Reason.ALREADY_RATED: _rated,
    Reason.RATING_WINDOW_CLOSED: _window_closed,
    Reason.CHECK_IN_CODE_IN_USE: lambda o: (o.run(cmd.BookRemote("land", "123456")), cmd.BookRemote("land", "123456"))[
        1
    ],
    Reason.UNKNOWN_CHECK_IN_CODE: lambda o: cmd.CheckIn("000000"),
    Reason.CHECK_IN_CLOSED: _passed_long_ago,
}


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_is_reachable(reason: Reason) -> None:
    assert reason in SCENARIOS, f"no scenario for {reason}"
    office = Office(configure=reason is not Reason.OFFICE_NOT_CONFIGURED)
    command = SCENARIOS[reason](office)
    assert office.reject(command) is reason
