"""Engine replay speed: a realistic event mix (issue, call, finish, rate over many days), replayed in memory."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta

from queue_server.config import load_settings
from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.events import Event
from queue_server.engine.setup import Outcome
from queue_server.engine.state import QueueState


def office_events(target: int) -> list[Event]:
    """At least ``target`` events of busy office days (8:00-17:00 local), made by the real engine."""
    setup = load_settings().office_setup()
    state, events = QueueState(), []
    ids = (f"t{i}" for i in itertools.count())
    now = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

    def run(command: cmd.Command) -> None:
        try:
            for event in decide(state, command, now, lambda: next(ids)):
                state.apply(event)
                events.append(event)
        except CommandRejected:
            pass

    run(cmd.ConfigureOffice(setup))
    services = [s.id for s in setup.services]
    counters = [c.id for c in setup.counters]
    step = 0
    while len(events) < target:
        step += 1
        now += timedelta(seconds=20)
        if (now + timedelta(hours=7)).hour >= 17:
            now += timedelta(hours=15)
        run(cmd.IssueTicket(services[step % len(services)], "elderly_60" if step % 9 == 0 else None))
        counter = counters[step % len(counters)]
        run(cmd.CallNext(counter))
        run(cmd.FinishService(counter, Outcome.DOSSIER_RECEIVED))
        if step % 3 == 0:
            run(cmd.RateService(counter, "satisfied"))
    return events


def replay_rate(target: int = 200_000) -> float:
    events = office_events(target)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        QueueState.replay(events)
        best = max(best, len(events) / (time.perf_counter() - start))
    return best
