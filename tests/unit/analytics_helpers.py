"""Random days for analytics tests: hypothesis steps turned into commands and run through the real engine.

Shared by the fold's property test (tests/unit/test_analytics_properties.py) and the read model's equivalence
test (tests/integration/test_analytics_projection.py), so both check the same kind of day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from queue_server.engine import QueueState, TicketStatus, decide
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.errors import CommandRejected
from queue_server.engine.setup import OfficeSetup, Outcome
from tests.unit.engine_helpers import make_setup

START = datetime(2025, 3, 3, 0, 30, tzinfo=UTC)
SETUP = make_setup()
SERVICES = ("land", "justice", "business")
COUNTERS = ("c1", "c2", "c3")
LEVELS = ("very_satisfied", "satisfied", "dissatisfied")

gaps = st.one_of(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300), st.integers(3_600, 20 * 3_600))
steps = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2), gaps), max_size=80)
"""(command kind, which service/counter, seconds since the previous step): mostly short gaps, a few overnight."""


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


def run_steps(setup: OfficeSetup, steps: list[tuple[int, int, int]]) -> tuple[list[ev.Event], QueueState, datetime]:
    """Configure the office with ``setup``, then decide each step's command from ``START`` on; rejected commands
    are skipped (a random day asks for impossible things). The events, the final state and the last step's time."""
    state, now, ids = QueueState(), START, iter(f"T{n}" for n in range(1, 10_000))
    events: list[ev.Event] = []
    for kind, i, gap in [(-1, 0, 0), *steps]:
        now += timedelta(seconds=gap)
        order = cmd.ConfigureOffice(setup) if kind < 0 else command(kind, i, state)
        try:
            out = decide(state, order, now, lambda: next(ids))
        except CommandRejected:
            continue
        for event in out:
            state.apply(event)
        events.extend(out)
    return events, state, now
