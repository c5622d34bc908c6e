"""A small seeded generator of office days on the real engine, for the forecast's accuracy tests (the
simulator, ``motcua simulate``, is the full one): Poisson arrivals with a morning peak, log-normal services,
shared counters, priority tickets, no-shows and transfers, every change decided by the engine."""

from __future__ import annotations

import heapq
import random
from datetime import UTC, datetime, timedelta

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.setup import Counter, OfficeSetup, PriorityPolicy, Service

SERVICES = {"land": 11.0, "justice": 6.0, "business": 8.0}
"""Mean service minutes."""
OPENS = 0.5 * 3600
LUNCH = (4.5 * 3600, 6.5 * 3600)
"""The default hours from 07:00: counters call from 07:30, not from 11:30 to 13:30 (``engine.hours``)."""
RATE_PER_HOUR = {7: 20, 8: 36, 9: 32, 10: 24, 11: 10, 13: 18, 14: 30, 15: 22}


def office(policy: PriorityPolicy = PriorityPolicy.INTERLEAVE) -> OfficeSetup:
    return OfficeSetup(
        office_id="o",
        name="Văn phòng thử",
        services=tuple(Service(s, "ABC"[i], s) for i, s in enumerate(SERVICES)),
        counters=(
            Counter("c1", 1, ("land",)),
            Counter("c2", 2, ("land", "justice")),
            Counter("c3", 3, ("justice", "business")),
            Counter("c4", 4, ("business", "land", "justice")),
        ),
        priority_policy=policy,
    )


def days(n: int, seed: int, policy: PriorityPolicy = PriorityPolicy.INTERLEAVE) -> list[ev.Event]:
    rng = random.Random(seed)
    setup = office(policy)
    from queue_server.engine.state import QueueState

    state = QueueState()
    log: list[ev.Event] = []
    ids = iter(range(10**9))

    def run(command: cmd.Command, at: datetime) -> list[ev.Event]:
        try:
            out = decide(state, command, at, lambda: f"t{next(ids)}")
        except CommandRejected:
            return []
        for event in out:
            state.apply(event)
        log.extend(out)
        return out

    run(cmd.ConfigureOffice(setup), datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    for d in range(n):
        start = datetime(2026, 3, 2 + d, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội
        queue: list[tuple[float, int, str, str]] = []
        seq = 0
        for hour, rate in RATE_PER_HOUR.items():
            t = (hour - 7) * 3600.0
            while True:
                t += rng.expovariate(rate / 3600)
                if t >= (hour - 6) * 3600:
                    break
                seq += 1
                heapq.heappush(queue, (t, seq, "arrive", rng.choice(list(SERVICES))))
        for c in setup.counters:
            seq += 1
            heapq.heappush(queue, (OPENS, seq, "free", c.id))
        idle: set[str] = set()
        while queue:
            t, _, kind, what = heapq.heappop(queue)
            at = start + timedelta(seconds=t)
            if kind == "arrive":
                run(cmd.IssueTicket(what, "elderly_60" if rng.random() < 0.1 else None), at)
                wake, idle = idle, set()
                for counter_id in sorted(wake):
                    seq += 1
                    heapq.heappush(queue, (max(t, OPENS), seq, "free", counter_id))
                continue
            if kind == "done":
                ticket_id = state.counters[what].serving_ticket_id
                if ticket_id is not None:
                    ticket = state.tickets[ticket_id]
                    if rng.random() < 0.05 and ticket.segment == 1:
                        to = rng.choice([s for s in SERVICES if s != ticket.service_id])
                        run(cmd.Transfer(what, to, None, True), at)
                    else:
                        run(cmd.FinishService(what), at)
                kind = "free"
            elif kind == "skip":
                run(cmd.SkipTicket(what), at)
            if t > 9.5 * 3600:
                continue  # closing: counters stop calling
            if LUNCH[0] <= t < LUNCH[1]:
                seq += 1
                heapq.heappush(queue, (LUNCH[1], seq, "free", what))  # the service ended; next call after lunch
                continue
            called = [e for e in run(cmd.CallNext(what), at) if isinstance(e, ev.TicketCalled)]
            if not called:
                idle.add(what)
                continue
            service = called[0].service_id
            if rng.random() < 0.04:
                seq += 1
                heapq.heappush(queue, (t + 60.0, seq, "skip", what))
                continue
            mean = SERVICES[service] * 60
            seconds = rng.lognormvariate(0, 0.5) * mean / 1.133
            seq += 1
            heapq.heappush(queue, (t + seconds, seq, "done", what))
        for c in setup.counters:
            if state.counters[c.id].serving_ticket_id is not None:
                run(cmd.FinishService(c.id), start + timedelta(hours=10))
    return log
