"""Visits and wait/service figures on hand-computed days, driven through the real engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from queue_server.analytics import Folder, GroupBy, PeriodReport, SegmentEnd, VisitStatus, fold, period_report
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome
from tests.unit.engine_helpers import LOCAL_MIDNIGHT, T0, Office, make_setup

DAY = date(2025, 3, 3)
SETUP = make_setup()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def report(office: Office, start: date = DAY, end: date = DAY) -> PeriodReport:
    return period_report(office.events, SETUP, start, end)


def test_a_simple_day_of_three_visits() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"), at=at(0))
    for minute in (0, 1, 2):
        office.issue("land", at=at(minute))
    office.call("c1", at=at(5))  # waited 5 min
    office.finish("c1", at=at(10))
    office.call("c1", at=at(12))  # 11 min
    office.finish("c1", at=at(20))
    office.call("c1", at=at(25))  # 23 min
    office.finish("c1", at=at(30))

    figures = report(office).overall
    assert (figures.visits, figures.finished, figures.waits_counted) == (3, 3, 3)
    assert figures.avg_wait_seconds == pytest.approx((300 + 660 + 1380) / 3)  # 780 s = 13 min
    assert figures.p90_wait_seconds == 1380  # nearest rank: ceil(0.9 × 3) = 3rd of 3
    assert figures.share_within_15_min == pytest.approx(2 / 3)
    assert figures.share_within_30_min == 1
    assert figures.avg_service_seconds == pytest.approx((300 + 480 + 300) / 3)
    assert (figures.no_shows, figures.expired, figures.open, figures.transfers) == (0, 0, 0, 0)


def test_a_transfer_adds_the_waits_of_both_lines_and_times_each_segment() -> None:
    office = Office()
    ticket = office.issue("land", at=at(0)).ticket_id
    office.call("c1", at=at(4))  # waited 4 min in the land line
    office.run(cmd.Transfer("c1", to_service_id="justice"), at=at(10))
    office.call("c2", at=at(13))  # 3 more min in the justice line
    office.finish("c2", at=at(20))

    visit = fold(office.events, SETUP).visits[ticket]
    assert [w.seconds for w in visit.waits] == [240, 180]
    assert visit.wait_seconds == 420
    assert [(s.counter_id, s.service_id, s.seconds, s.end) for s in visit.segments] == [
        ("c1", "land", 360, SegmentEnd.TRANSFERRED),
        ("c2", "justice", 420, SegmentEnd.FINISHED),
    ]
    assert (visit.status, visit.transfers, visit.service_id) == (VisitStatus.FINISHED, 1, "land")

    result = report(office)
    figures = result.overall
    assert (figures.visits, figures.transfers, figures.avg_wait_seconds) == (1, 1, 420)
    assert figures.avg_service_seconds == 390  # per segment: (6 + 7) / 2 min
    assert figures.avg_service_per_visit_seconds == 780
    by_counter = {g.key: g.figures for g in result.groups[GroupBy.COUNTER]}
    assert by_counter["c1"].avg_wait_seconds == 240  # the wait its call ended
    assert by_counter["c2"].avg_wait_seconds == 180
    assert by_counter["c1"].transfers == 1 and by_counter["c2"].transfers == 0
    assert [g.key for g in result.groups[GroupBy.SERVICE]] == ["land"]  # the service it was issued for


def test_a_no_show_requeued_then_served_waits_in_both_lines() -> None:
    office = Office()
    ticket = office.issue("land", at=at(0)).ticket_id
    office.call("c1", at=at(5))
    office.run(cmd.Recall("c1"), at=at(6))
    office.run(cmd.SkipTicket("c1"), at=at(7))
    office.run(cmd.Requeue(ticket), at=at(10))
    office.call("c1", at=at(12))
    office.finish("c1", at=at(15))

    visit = fold(office.events, SETUP).visits[ticket]
    assert [w.seconds for w in visit.waits] == [300, 120]  # the 3 minutes away (skip to re-queue) are not waiting
    assert [s.end for s in visit.segments] == [SegmentEnd.NO_SHOW, SegmentEnd.FINISHED]
    assert (visit.status, visit.requeues, visit.segments[0].recalls) == (VisitStatus.FINISHED, 1, 1)
    figures = report(office).overall
    assert (figures.no_shows, figures.finished, figures.avg_wait_seconds) == (0, 1, 420)
    assert (figures.served_segments, figures.avg_service_seconds) == (1, 180)  # the no-show call is no service


def test_a_no_show_never_back_counts_its_wait_up_to_the_call_and_stays_a_no_show() -> None:
    office = Office()
    ticket = office.issue("land", at=at(0)).ticket_id
    office.call("c1", at=at(8))
    office.run(cmd.SkipTicket("c1"), at=at(9))
    office.issue("land", at=LOCAL_MIDNIGHT + timedelta(hours=2))  # next day: the engine expires the no-show

    visit = fold(office.events, SETUP).visits[ticket]
    assert (visit.status, visit.wait_seconds, visit.ended_at) == (VisitStatus.NO_SHOW, 480, at(9))
    figures = report(office).overall
    assert (figures.visits, figures.no_shows, figures.expired, figures.waits_counted) == (1, 1, 0, 1)
    assert figures.avg_wait_seconds == 480
    assert figures.served_segments == 0


def test_a_recall_does_not_end_the_wait_or_start_a_segment() -> None:
    office = Office()
    ticket = office.issue("land", at=at(0)).ticket_id
    office.call("c1", at=at(10))
    office.run(cmd.Recall("c1"), at=at(12))
    office.run(cmd.Recall("c1"), at=at(14))
    office.finish("c1", at=at(20))

    visit = fold(office.events, SETUP).visits[ticket]
    assert (visit.wait_seconds, visit.calls, visit.segments[0].recalls) == (600, 1, 2)
    assert report(office).overall.avg_service_seconds == 600


def test_the_local_day_boundary_is_17_00_utc() -> None:
    office = Office()
    late = office.issue("land", at=LOCAL_MIDNIGHT - timedelta(seconds=1)).ticket_id  # 23:59:59 local
    early = office.issue("land", at=LOCAL_MIDNIGHT).ticket_id  # 00:00:00 the next local day
    history = fold(office.events, SETUP)
    assert history.visits[late].day == DAY
    assert history.visits[early].day == DAY + timedelta(days=1)

    monday = report(office).overall
    tuesday = report(office, DAY + timedelta(days=1), DAY + timedelta(days=1)).overall
    assert (monday.visits, monday.expired, monday.waits_counted) == (1, 1, 0)  # still waiting at midnight
    assert (tuesday.visits, tuesday.open) == (1, 1)
    both = report(office, DAY, DAY + timedelta(days=1))
    assert [g.key for g in both.groups[GroupBy.DAY]] == ["2025-03-03", "2025-03-04"]
    assert [g.key for g in both.groups[GroupBy.HOUR]] == ["00", "23"]


def test_expired_and_open_visits_are_left_out_of_wait_figures() -> None:
    office = Office()
    office.issue("land", at=at(0))
    office.issue("land", at=at(1))
    office.call("c1", at=at(31))  # the first waited 31 min; the second is still waiting
    figures = report(office).overall
    assert (figures.visits, figures.open, figures.waits_counted) == (2, 2, 0)  # one serving, one waiting
    assert figures.avg_wait_seconds is None and figures.p90_wait_seconds is None
    office.finish("c1", at=at(40))
    figures = report(office).overall
    assert (figures.open, figures.waits_counted, figures.avg_wait_seconds) == (1, 1, 31 * 60)
    assert figures.share_within_30_min == 0


def test_a_dossier_outcome_is_kept_on_its_segment() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"), at=at(0))
    ticket = office.issue("land", at=at(0)).ticket_id
    office.call("c1", at=at(1))
    office.run(cmd.FinishService("c1", Outcome.DOSSIER_RECEIVED, "H01-0001"), at=at(9))
    segment = fold(office.events, SETUP).visits[ticket].segments[0]
    assert (segment.outcome, segment.dossier_code, segment.staff_id) == (Outcome.DOSSIER_RECEIVED, "H01-0001", "s1")


def test_folding_in_batches_gives_the_same_history_as_folding_at_once() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"), at=at(0))
    for minute in (0, 1, 2):
        office.issue("land", at=at(minute))
    office.call("c1", at=at(5))
    office.run(cmd.Transfer("c1", to_service_id="justice"), at=at(6))
    office.call("c2", at=at(7))
    office.call("c1", at=at(8))
    office.run(cmd.SkipTicket("c1"), at=at(9))
    for split in range(len(office.events) + 1):
        folder = Folder(SETUP)
        folder.feed(office.events[:split])
        assert folder.feed(office.events[split:]) == fold(office.events, SETUP)
