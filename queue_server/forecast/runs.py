"""One forward run of the office from now: the engine's calling rule (``engine.calling``) over the open counters,
with service times drawn from the office's history. ``predict.Forecaster`` runs it many times.

The waiting tickets are compiled once into lines (one per service, target counter and priority, each in
``queue_key`` order, so a ticket's rank is its index) and, per open counter, the lines it calls from; a run is a
heap of counters by the time each frees, each taking the head of its lines as the engine would.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter

from queue_server.engine.calling import serves, takes_priority
from queue_server.engine.setup import Counter, OfficeSetup
from queue_server.engine.state import QueueState, Ticket, TicketStatus
from queue_server.forecast.service_times import MINIMUM_S, Sampler, ServiceTimes

FUTURE = "\0future"
"""The target-counter part of a future-arrivals line's key: no counter has this id, every counter of the
service serves it (as an untargeted ticket)."""
SENTINEL = 1 << 62
"""Past every ticket's rank: each line ends with it, so a line's head is always a number to compare."""


class Compiled:
    """The waiting tickets in lines (one per service, target counter and priority, each in ``queue_key``
    order) and, per open counter, the lines it calls from: built once per forecast, shared by every run.

    Priority tickets still to come matter (they go ahead of normal ones under either policy), so each service
    whose history has them gets a line of its own for the run's future priority arrivals, a Poisson stream at
    the rate learned for this hour (``ServiceTimes.priority_rate``). Later normal tickets go behind: ignored."""

    def __init__(
        self, state: QueueState, setup: OfficeSetup, times: ServiceTimes, now: datetime, extra: Ticket | None
    ) -> None:
        self.setup = setup
        waiting = sorted([*state.waiting.values(), *([extra] if extra else [])], key=attrgetter("queue_key"))
        self.tickets: list[Ticket] = waiting
        self.index = {t.id: i for i, t in enumerate(waiting)}
        hour = times.local_hour(now)
        self.samplers: dict[str, Sampler] = {}
        line_of: dict[tuple[str, str | None, bool], int] = {}
        self.lines: list[list[int]] = []
        self.line_of_ticket: list[int] = []
        self._ahead: dict[int, int] = {}
        for i, t in enumerate(waiting):
            key = (t.service_id, t.target_counter_id, t.priority is not None)
            if key not in line_of:
                line_of[key] = len(self.lines)
                self.lines.append([])
            self.lines[line_of[key]].append(i)  # already in queue_key order: the rank is the index
            self.line_of_ticket.append(line_of[key])
        for line in self.lines:
            line.append(SENTINEL)
        self.arrivals: list[tuple[int, float, list[float]]] = []
        """(line, rate per second, service-time table) of the future priority arrivals of each service."""
        for service in setup.services:
            rate = times.priority_rate(service.id, hour)
            if rate > 0:
                line_of[(service.id, FUTURE, True)] = len(self.lines)
                self.arrivals.append((len(self.lines), rate, self._sampler(times, service.id, hour).table))
                self.lines.append([SENTINEL])
        for service_id in {t.service_id for t in waiting}:
            self._sampler(times, service_id, hour)
        samplers = self.samplers
        self.sampler_of = [samplers[t.service_id] for t in waiting]
        self.tables = [s.table for s in self.sampler_of]
        self.counters: list[tuple[list[int], list[int], int]] = []
        self.counter_ids: list[str] = []
        self.pauses: tuple[tuple[float, float], ...] = ()
        self.serving: list[tuple[Sampler, float] | None] = []
        for counter in open_counters(state, setup):
            live = state.counters[counter.id]
            prio: list[int] = []
            normal: list[int] = []
            for (service_id, target, is_priority), li in line_of.items():
                if serves(counter, service_id, None if target == FUTURE else target):
                    (prio if is_priority else normal).append(li)
            self.counters.append((prio, normal, live.normals_since_priority))
            self.counter_ids.append(counter.id)
            current = state.tickets.get(live.serving_ticket_id or "")
            if current is None or current.status is not TicketStatus.SERVING:
                self.serving.append(None)
            else:
                since = current.status_since or now
                elapsed = max(0.0, (now - since).total_seconds())
                self.serving.append((self._sampler(times, current.service_id, hour), elapsed))

    def _sampler(self, times: ServiceTimes, service_id: str, hour: int) -> Sampler:
        sampler = self.samplers.get(service_id)
        if sampler is None:
            sampler = self.samplers[service_id] = times.sampler(service_id, hour)
        return sampler

    def run(
        self,
        rng: random.Random | None,
        until: int | None,
        calls: list[float],
        order: list[int],
        by: list[int] | None = None,
        limit: int | None = None,
    ) -> bool:
        """One forward run: ``calls[i]`` gets ticket i's call (seconds from now), ``order`` the calling order
        (``by`` the counter of each call); stops once ticket ``until`` is called, when every open counter has
        nothing left it serves, or after ``limit`` calls (then returns True). ``rng`` None: every call takes its
        mean time and no arrival is drawn (the order the engine alone sets)."""
        counters, setup, n = self.counters, self.setup, len(self.tickets)
        lines = list(self.lines)
        pos = [0] * len(lines)
        head = [line[0] for line in lines]
        normals = [c[2] for c in counters]
        heap: list[tuple[float, int]] = []
        for ci, current in enumerate(self.serving):
            if current is None:
                free = 0.0
            elif rng is None:
                free = max(MINIMUM_S, current[0].mean - current[1])
            else:
                free = current[0].remaining(rng, current[1])
            heap.append((free, ci))
        if rng is None:
            tables = [[s.mean] for s in self.sampler_of]
            rnd: Callable[[], float] = lambda: 0.0  # noqa: E731
        else:
            tables, rnd = list(self.tables), rng.random
            for k, (li, rate, _) in enumerate(self.arrivals):
                lines[li] = [SENTINEL]
                heap.append((rng.expovariate(rate), -1 - k))
        heapq.heapify(heap)
        pop, push = heapq.heappop, heapq.heappush
        busy, left = len(counters), n
        idle: list[int] = []
        pauses = self.pauses
        while busy and left:
            at, ci = pop(heap)
            if ci < 0:  # a priority ticket arrives (rng is set: only then are arrivals drawn)
                li, rate, table = self.arrivals[-1 - ci]
                line = lines[li]
                line.insert(len(line) - 1, len(tables))
                tables.append(table)
                head[li] = line[pos[li]]
                push(heap, (at + rng.expovariate(rate), ci))  # type: ignore[union-attr]
                for waiting_ci in [c for c in idle if li in counters[c][0]]:
                    idle.remove(waiting_ci)
                    push(heap, (at, waiting_ci))
                    busy += 1
                continue
            if pauses:
                resume = next((end for start, end in pauses if start <= at < end), None)
                if resume is not None:  # free during a pause: the counter calls when service resumes
                    push(heap, (resume, ci))
                    continue
            prio_lines, normal_lines, _ = counters[ci]
            best_p = best_n = -1
            top_p = top_n = SENTINEL
            for li in prio_lines:
                if head[li] < top_p:
                    best_p, top_p = li, head[li]
            for li in normal_lines:
                if head[li] < top_n:
                    best_n, top_n = li, head[li]
            if top_p == top_n:  # both SENTINEL: nothing left this counter serves, it waits for an arrival
                idle.append(ci)
                busy -= 1
                continue
            if takes_priority(setup, normals[ci], top_p < SENTINEL, top_n < SENTINEL):
                li, ti, normals[ci] = best_p, top_p, 0
            else:
                li, ti, normals[ci] = best_n, top_n, normals[ci] + 1
            pos[li] += 1
            head[li] = lines[li][pos[li]]
            if ti < n:
                calls[ti] = at
                order.append(ti)
                left -= 1
                if by is not None:
                    by.append(ci)
                if ti == until:
                    return False
                if limit is not None and len(order) >= limit:
                    return True
            table = tables[ti]
            push(heap, (at + table[int(rnd() * len(table))], ci))
        return False

    def extrapolated(self, ti: int, calls: list[float], order: list[int]) -> tuple[float, int] | None:
        """(call time, position) of ticket ``ti`` from a run cut short: the calls still ahead of it in the lines
        its counters serve, at the rate those lines were called during the run (whichever counter called them).
        A deep line drains at a steady rate, so the cut costs little accuracy and bounds the issue path."""
        lines = {
            li for prio, normal, _ in self.counters if self.line_of_ticket[ti] in prio + normal for li in prio + normal
        }
        ahead = self._ahead.get(ti)
        if ahead is None:
            ahead = self._ahead[ti] = sum(1 for j in range(ti) if self.line_of_ticket[j] in lines)
        made = sum(1 for j in order if j < ti and self.line_of_ticket[j] in lines)
        drained = sum(1 for j in order if self.line_of_ticket[j] in lines)
        last = calls[order[-1]] if order else 0.0
        if not drained or last <= 0:
            return None
        return last + max(0, ahead - made) * last / drained, ahead


def open_counters(state: QueueState, setup: OfficeSetup) -> list[Counter]:
    """Counters that will call: not paused and, where the office signs staff in, staffed (or mid-call)."""
    unpaused = [c for c in setup.counters if c.id in state.counters and not state.counters[c.id].paused]
    if not any(state.counters[c.id].staff_id is not None for c in unpaused):
        return unpaused  # an office that does not sign staff in: every counter not paused calls
    return [
        c
        for c in unpaused
        if state.counters[c.id].staff_id is not None or state.counters[c.id].serving_ticket_id is not None
    ]
