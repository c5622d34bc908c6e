"""What undoing a failed batch costs: a ``Savepoint`` taken per batch, against a day of 1,000 or 5,000 tickets.

Every batch takes one (``engine/savepoint.py``) whether or not its commit fails, so it sits on the issue path;
a deep copy of the state, the obvious alternative, costs a thousand times more (printed for scale).
"""

from __future__ import annotations

import copy
import itertools
import time
from datetime import UTC, datetime, timedelta

from queue_server.config import load_settings
from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.savepoint import Savepoint
from queue_server.engine.state import QueueState


def day_with(tickets: int) -> QueueState:
    """One local day: ``tickets`` issued, half of them called and finished, the rest waiting."""
    setup = load_settings().office_setup()
    state, ids = QueueState(), (f"t{i}" for i in itertools.count())
    now = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    services, counters = [s.id for s in setup.services], [c.id for c in setup.counters]

    def run(command: cmd.Command) -> None:
        nonlocal now
        now += timedelta(milliseconds=100)
        try:
            for event in decide(state, command, now, lambda: next(ids)):
                state.apply(event)
        except CommandRejected:
            pass

    run(cmd.ConfigureOffice(setup))
    for i in range(tickets):
        run(cmd.IssueTicket(services[i % len(services)]))
        if i % 2:
            counter = counters[i % len(counters)]
            run(cmd.CallNext(counter))
            run(cmd.FinishService(counter, None))
    return state


def savepoint_us(tickets: int, rounds: int = 2000) -> float:
    """Mean cost of one savepoint (taken, then rolled back) in microseconds."""
    state = day_with(tickets)
    start = time.perf_counter()
    for _ in range(rounds):
        Savepoint(state).rollback()
    return (time.perf_counter() - start) / rounds * 1e6


def deepcopy_ms(tickets: int, rounds: int = 10) -> float:
    state = day_with(tickets)
    start = time.perf_counter()
    for _ in range(rounds):
        copy.deepcopy(state)
    return (time.perf_counter() - start) / rounds * 1e3
