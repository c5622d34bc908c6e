"""Random command sequences through the real engine: every ticket is one visit, waits are never negative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.analytics import GroupBy, VisitStatus, fold, period_report
from queue_server.engine import QueueState, TicketStatus, decide
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.errors import CommandRejected
from queue_server.engine.setup import Outcome
from tests.unit.engine_helpers import make_setup

START = datetime(2025, 3, 3, 0, 30, tzinfo=UTC)
SETUP = make_setup()
SERVICES = ("land", "justice", "business")
COUNTERS = ("c1", "c2", "c3")
LEVELS = ("very_satisfied", "satisfied", "dissatisfied")
SAME = {
    TicketStatus.WAITING: {VisitStatus.WAITING},
    TicketStatus.SERVING: {VisitStatus.SERVING},
    TicketStatus.DONE: {VisitStatus.FINISHED},
    TicketStatus.NO_SHOW: {VisitStatus.NO_SHOW},
    TicketStatus.EXPIRED: {VisitStatus.EXPIRED, VisitStatus.NO_SHOW},  # a no-show expiring stays a no-show
}

gaps = st.one_of(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300), st.integers(3_600, 20 * 3_600))
steps = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2), gaps), max_size=80)


def command(kind: int, i: int, state: QueueState) -> cmd.Command:
    counter = COUNTERS[i]
    if kind <= 2:
        return cmd.IssueTicket(SERVICES[i], "elderly_60" if kind == 2 else None)
    if kind == 3:
        return cmd.CallNext(counter)
    if kind == 4:
        return cmd.FinishService(counter, list(Outcome)[i], f"HS-{i}")
    if kind == 5:
        return cmd.SkipTicket(counter)
    if kind == 6:
        no_shows = sorted(t.id for t in state.tickets.values() if t.status is TicketStatus.NO_SHOW)
        return cmd.Requeue(no_shows[0] if no_shows else "none")
    if kind == 7:
        return cmd.Transfer(counter, to_service_id=SERVICES[(i + 1) % 3])
    if kind == 8:
        return cmd.RateService(counter, LEVELS[i])
    return cmd.SignIn(counter, ("s1", "s2")[i % 2]) if i else cmd.Recall(counter)


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_every_issued_ticket_is_exactly_one_visit_with_non_negative_waits(steps: list[tuple[int, int, int]]) -> None:
    state = QueueState()
    now = START
    ids = iter(f"T{n}" for n in range(1, 10_000))
    events: list[ev.Event] = []
    for kind, i, gap in [(-1, 0, 0), *steps]:
        now += timedelta(seconds=gap)
        order = cmd.ConfigureOffice(SETUP) if kind < 0 else command(kind, i, state)
        try:
            out = decide(state, order, now, lambda: next(ids))
        except CommandRejected:
            continue
        for event in out:
            state.apply(event)
        events.extend(out)

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
