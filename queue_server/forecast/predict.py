"""Each waiting ticket's place and predicted call time: the engine's calling rule run forward over the counters
open now, with service times drawn from the office's own history (Monte Carlo, seeded, ``samples`` runs).

Why Monte Carlo and not a formula: shared counters serving several services, priority interleaving, tickets
transferred to one counter and the calls already in progress make the order of calls depend on which counter
frees first; running the same rule the engine runs (``engine.calling.serves`` and ``takes_priority``, lines
ordered by ``queue_key``) on sampled times is exact in the rule and honest about the spread. One run
(``runs.Compiled.run``) is a small event loop over the counters; of the tickets still to come only priority ones
are drawn (they go ahead of normal ones); later normal tickets go behind and change nothing.

``position`` is the runs' median count of tickets called before this one; ``calling_sequence`` is the order
the engine alone sets when every call takes its service's mean time (what the tests hold the engine to).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from queue_server.engine.state import QueueState, Ticket
from queue_server.forecast.runs import Compiled
from queue_server.forecast.service_times import ServiceTimes

ISSUE_SAMPLES = 10
"""Runs for one new ticket on the issue path: enough for a normal fit's p10–p90 (see ``_prediction``) and
within the issue path's 5 ms with 200 waiting."""
ISSUE_STEPS = 1_200
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
        self._compiled = Compiled(state, state.setup, times, now, extra)
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
