"""Random command sequences through the real engine: every ticket is one visit, waits are never negative."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings

from queue_server.analytics import GroupBy, VisitStatus, fold, period_report
from queue_server.engine import TicketStatus
from queue_server.engine import events as ev
from tests.unit.analytics_helpers import SETUP, START, run_steps, steps

SAME = {
    TicketStatus.WAITING: {VisitStatus.WAITING},
    TicketStatus.SERVING: {VisitStatus.SERVING},
    TicketStatus.DONE: {VisitStatus.FINISHED},
    TicketStatus.NO_SHOW: {VisitStatus.NO_SHOW},
    TicketStatus.EXPIRED: {VisitStatus.EXPIRED, VisitStatus.NO_SHOW},  # a no-show expiring stays a no-show
}


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_every_issued_ticket_is_exactly_one_visit_with_non_negative_waits(steps: list[tuple[int, int, int]]) -> None:
    events, state, now = run_steps(SETUP, steps)

    issued = [e.ticket_id for e in events if isinstance(e, ev.TicketIssued)]
    history = fold(events, SETUP)
    assert sorted(history.visits) == sorted(issued) and len(set(issued)) == len(issued)
    for visit in history.visits.values():
        assert all(w.seconds >= 0 for w in visit.waits) and visit.wait_seconds >= 0
        assert all(s.seconds is None or s.seconds >= 0 for s in visit.segments)
        end = visit.ended_at or now
        assert visit.wait_seconds <= (end - visit.issued_at).total_seconds()
        assert [s.number for s in visit.segments] == list(range(1, visit.calls + 1))
        assert [w.segment for w in visit.waits] == [s.number for s in visit.segments[: len(visit.waits)]]
        if visit.ticket_id in state.tickets:
            assert visit.status in SAME[state.tickets[visit.ticket_id].status]

    result = period_report(events, SETUP, START.date(), now.date() + timedelta(days=1))
    figures = result.overall
    for by in (GroupBy.COUNTER, GroupBy.SERVICE, GroupBy.DAY):  # every segment is at one counter
        groups = [g.figures for g in result.groups[by]]
        assert sum(g.dossiers_received for g in groups) == figures.dossiers_received
        assert sum(g.transfers for g in groups) == figures.transfers
        assert sum(g.served_segments for g in groups) == figures.served_segments
        assert sum(g.ratings for g in groups) == figures.ratings
    assert figures.visits == len(issued)
    assert figures.finished + figures.no_shows + figures.expired + figures.open == figures.visits
    assert figures.waits_counted <= figures.visits
    assert figures.avg_wait_seconds is None or figures.avg_wait_seconds >= 0
