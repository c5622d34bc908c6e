"""Each waiting ticket's place and predicted call time: the engine's calling rule run forward over the counters
open now, with service times drawn from the office's own history (Monte Carlo, seeded, ``samples`` runs).

Why Monte Carlo and not a formula: shared counters serving several services, priority interleaving, tickets
transferred to one counter and the calls already in progress make the order of calls depend on which counter
frees first; running the same rule the engine runs (``engine.calling.serves`` and ``takes_priority``, lines
ordered by ``queue_key``) on sampled times is exact in the rule and honest about the spread. One run is a
small event loop: a heap of counters by the time each frees, each taking the head of its lines as the engine
would. Only what is in the hall now is run: tickets issued later are not invented (a later priority ticket can
still go ahead of a normal one, which is part of why the range is a range).

``position`` is the number of tickets called before this one when every call takes its service's mean time.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from queue_server.engine.calling import serves, takes_priority
from queue_server.engine.setup import Counter, OfficeSetup
from queue_server.engine.state import QueueState, Ticket, TicketStatus
from queue_server.forecast.service_times import MINIMUM_S, Sampler, ServiceTimes

ISSUE_SAMPLES = 12
"""Runs for one new ticket on the issue path: enough for a normal fit's p10–p90 (see ``_prediction``) and
within the issue path's 5 ms with 200 waiting."""
ISSUE_STEPS = 1_800
"""Calls simulated for one new ticket, over all its runs (about 1 ms): a longer line gets fewer runs (the
normal fit needs few), so an issue's cost stays bounded when a burst leaves hundreds waiting."""
MIN_SAMPLES = 4
MAX_RUN_CALLS = 150
"""A run for a ticket deeper than this stops after this many calls and extrapolates (``extrapolated``)."""
Z90 = statistics.NormalDist().inv_cdf(0.9)
HORIZON_ERROR = 0.15
"""Standard deviation of the unmodelled part of a call time, as a share of the wait (see ``_prediction``);
chosen on generated days with transfers and lunch (tests/unit/test_forecast_accuracy.py) so that ~80-85 % of
calls fall inside the printed range."""
ALL_SAMPLES = 64


@dataclass(frozen=True)
class Prediction:
    """When a waiting ticket will be called: ``position`` tickets before it, most likely at ``median``,
    p10–p90 between ``low`` and ``high`` (server time, UTC); ``after_closing`` if the median is past closing."""

    ticket_id: str
    position: int
    low: datetime
    median: datetime
    high: datetime
    after_closing: bool = False


FUTURE = "\0future"
"""The target-counter part of a future-arrivals line's key: no counter has this id, every counter of the
service serves it (as an untargeted ticket)."""
SENTINEL = 1 << 62
"""Past every ticket's rank: each line ends with it, so a line's head is always a number to compare."""


class _Compiled:
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
        for counter in _open_counters(state, setup):
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


def _open_counters(state: QueueState, setup: OfficeSetup) -> list[Counter]:
    """Counters that will call: not paused and, where the office signs staff in, staffed (or mid-call)."""
    unpaused = [c for c in setup.counters if c.id in state.counters and not state.counters[c.id].paused]
    if not any(state.counters[c.id].staff_id is not None for c in unpaused):
        return unpaused  # an office that does not sign staff in: every counter not paused calls
    return [
        c
        for c in unpaused
        if state.counters[c.id].staff_id is not None or state.counters[c.id].serving_ticket_id is not None
    ]


def _quantiles(values: list[float]) -> tuple[float, float, float]:
    values.sort()
    last = len(values) - 1
    return values[round(0.1 * last)], values[round(0.5 * last)], values[round(0.9 * last)]


class Forecaster:
    """Forecasts for one state at one instant (build it after the state changes; it reads, never mutates)."""

    def __init__(
        self,
        state: QueueState,
        times: ServiceTimes,
        now: datetime,
        closes_at: datetime | None = None,
        extra: Ticket | None = None,
        pauses: tuple[tuple[float, float], ...] = (),
    ):
        """``extra``: a ticket not in the state yet, forecast as if it were waiting (an issue not yet decided);
        ``pauses``: (from, to) seconds after ``now`` when no counter calls (before opening, lunch)."""
        if state.setup is None:
            raise ValueError("the office is not configured")
        self.now, self.closes_at = now, closes_at
        self._compiled = _Compiled(state, state.setup, times, now, extra)
        self._compiled.pauses = pauses
        self._seed = state.event_count
        self._positions: dict[int, int] | None = None

    def calling_sequence(self) -> list[tuple[str, str]]:
        """(counter id, ticket id) of every call to come when each call takes its mean time, in order."""
        c = self._compiled
        calls = [0.0] * len(c.tickets)
        order: list[int] = []
        by: list[int] = []
        c.run(None, None, calls, order, by)
        self._positions = {ti: k for k, ti in enumerate(order)}
        return [(c.counter_ids[ci], c.tickets[ti].id) for ti, ci in zip(order, by, strict=True)]

    def position(self, ticket_id: str) -> int | None:
        if self._positions is None:
            self.calling_sequence()
        assert self._positions is not None
        ti = self._compiled.index.get(ticket_id)
        return None if ti is None else self._positions.get(ti)

    def ticket(self, ticket_id: str, samples: int | None = None) -> Prediction | None:
        """One ticket's forecast (the issue path): runs stop as soon as it is called. None if no open counter
        would ever call it (say its only counter is paused)."""
        c = self._compiled
        ti = c.index.get(ticket_id)
        if ti is None:
            return None
        if samples is None:  # the issue path: a bounded number of steps, however long the line
            samples = max(MIN_SAMPLES, min(ISSUE_SAMPLES, ISSUE_STEPS // min(MAX_RUN_CALLS, ti + 1)))
        rng = random.Random(self._seed)
        found: list[float] = []
        places: list[int] = []
        calls = [-1.0] * len(c.tickets)
        order: list[int] = []
        limit = MAX_RUN_CALLS if ti >= MAX_RUN_CALLS else None
        for _ in range(samples):
            calls[ti] = -1.0
            order.clear()
            cut = c.run(rng, ti, calls, order, None, limit)
            if calls[ti] >= 0:
                found.append(calls[ti])
                places.append(len(order) - 1)
                continue
            estimate = c.extrapolated(ti, calls, order) if cut else None
            if estimate is None:
                return None  # never called in one run: never called in any (the order of lines is the same)
            found.append(estimate[0])
            places.append(estimate[1])
        return self._prediction(ticket_id, places, found)

    def all(self, samples: int = ALL_SAMPLES) -> dict[str, Prediction]:
        """Every waiting ticket's forecast, from the same runs (for ``/live`` and the staff console)."""
        c = self._compiled
        n = len(c.tickets)
        rng = random.Random(self._seed)
        found: list[list[float]] = [[] for _ in range(n)]
        places: list[list[int]] = [[] for _ in range(n)]
        order: list[int] = []
        for _ in range(samples):
            calls = [-1.0] * n
            order.clear()
            c.run(rng, None, calls, order)
            for k, ti in enumerate(order):
                found[ti].append(calls[ti])
                places[ti].append(k)
        return {
            c.tickets[ti].id: self._prediction(c.tickets[ti].id, places[ti], found[ti]) for ti in range(n) if found[ti]
        }

    def _prediction(self, ticket_id: str, places: list[int], seconds: list[float]) -> Prediction:
        """The range is p10–p90 of a normal fitted to the runs (a call time is a sum of many service times, so
        near normal; the fit needs far fewer runs than empirical tails), clamped around the runs' median. Its
        spread adds to the runs' own a share of the wait (``HORIZON_ERROR``): what the runs do not model (a
        transfer sent to the front of the line, a counter paused for a while) moves a far call more."""
        seconds.sort()
        places.sort()
        median = seconds[len(seconds) // 2]
        mean = statistics.fmean(seconds)
        sd = statistics.stdev(seconds) if len(seconds) > 1 else 0.0
        spread = Z90 * math.hypot(sd, HORIZON_ERROR * mean)
        low = max(0.0, min(median, mean - spread))
        high = max(median, mean + spread)
        at_median = self.now + timedelta(seconds=median)
        late = self.closes_at is not None and at_median > self.closes_at
        return Prediction(
            ticket_id,
            places[len(places) // 2],
            self.now + timedelta(seconds=low),
            at_median,
            self.now + timedelta(seconds=high),
            late,
        )
