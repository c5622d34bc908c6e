"""Measured accuracy: replay an event log and, at every ticket issue, compare the forecast made then with the
first call that followed. The old constant-rate estimate (people of the same service ahead × 8 minutes ÷ the
counters listed for the service, the kiosk's ``avg_service_min``) is scored beside it, over the same tickets.

"Inside the range": the forecast's printed p10–p90; for the old estimate, which printed one number, ±5 minutes
around it (how issue 13 scored it). Error = predicted − actual wait, so a positive bias means "said longer".
Tickets never called (no-shows expire, the log ends) are left out: there is nothing to compare with.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from queue_server.engine import events as ev
from queue_server.engine.state import QueueState
from queue_server.forecast.office_hours import forecaster
from queue_server.forecast.service_times import ServiceTimes

OLD_MINUTES_PER_CITIZEN = 8.0
OLD_RANGE_S = 300.0


@dataclass(frozen=True)
class Scores:
    """One estimator's figures over the compared tickets (seconds)."""

    tickets: int
    median_abs_error_s: float
    inside_range: float
    """Share of first calls inside the printed range."""
    bias_s: float
    """Mean of predicted − actual."""
    within_goal: float
    """Share of tickets whose error is within max(3 min, 20 % of the actual wait): the issue's goal."""
    median_wait_s: float


@dataclass(frozen=True)
class Accuracy:
    forecast: Scores
    constant_rate: Scores

    def meets_goal(self) -> bool:
        """Median absolute error ≤ max(3 min, 20 % of the median actual wait), ≥ 80 % of calls in the range."""
        f = self.forecast
        return f.median_abs_error_s <= max(180.0, 0.2 * f.median_wait_s) and f.inside_range >= 0.8


@dataclass
class _Pending:
    issued_at: float
    low: float
    median: float
    high: float
    old: float


def check(events: Iterable[ev.Event]) -> Accuracy:
    state = QueueState()
    times = ServiceTimes()
    pending: dict[str, _Pending] = {}
    pairs: list[tuple[_Pending, float]] = []
    for event in events:
        state.apply(event)
        times.observe(event)
        if isinstance(event, ev.TicketIssued) and state.setup is not None:
            prediction = forecaster(state, times, event.at).ticket(event.ticket_id)
            if prediction is None:
                continue
            base = event.at.timestamp()
            counters = sum(1 for c in state.setup.counters if event.service_id in c.service_ids)
            ahead = state.people_ahead(event.ticket_id)
            constant_s = math.ceil(ahead * OLD_MINUTES_PER_CITIZEN / max(1, counters)) * 60
            low, median, high = (t.timestamp() for t in (prediction.low, prediction.median, prediction.high))
            pending[event.ticket_id] = _Pending(base, low, median, high, constant_s)
        elif isinstance(event, ev.TicketCalled):
            first = pending.pop(event.ticket_id, None)
            if first is not None:
                pairs.append((first, event.at.timestamp()))
    forecast = _scores(
        [(p.median - p.issued_at, p.low - p.issued_at, p.high - p.issued_at, a - p.issued_at) for p, a in pairs]
    )
    old = _scores([(p.old, p.old - OLD_RANGE_S, p.old + OLD_RANGE_S, a - p.issued_at) for p, a in pairs])
    return Accuracy(forecast, old)


def _scores(rows: list[tuple[float, float, float, float]]) -> Scores:
    """rows: (predicted wait, range low, range high, actual wait), seconds."""
    if not rows:
        return Scores(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    errors = [predicted - actual for predicted, _, _, actual in rows]
    return Scores(
        tickets=len(rows),
        median_abs_error_s=statistics.median(abs(e) for e in errors),
        inside_range=sum(1 for _, low, high, a in rows if _minutes_down(low) <= a <= _minutes_up(high)) / len(rows),
        bias_s=statistics.fmean(errors),
        within_goal=sum(1 for e, r in zip(errors, rows, strict=True) if abs(e) <= max(180.0, 0.2 * r[3])) / len(rows),
        median_wait_s=statistics.median(r[3] for r in rows),
    )


def _minutes_down(seconds: float) -> float:
    """The printed range is whole minutes: its low end rounded down, its high end up (``printed_range``)."""
    return math.floor(max(0.0, seconds) / 60) * 60


def _minutes_up(seconds: float) -> float:
    return math.ceil(max(0.0, seconds) / 60) * 60


def table(accuracy: Accuracy) -> str:
    """The figures side by side, as ``motcua forecast check`` and ``make bench`` print them."""
    lines = [f"{'':26}{'forecast':>12}{'constant rate':>16}"]
    f, o = accuracy.forecast, accuracy.constant_rate
    lines.append(f"{'tickets compared':26}{f.tickets:>12}{o.tickets:>16}")
    lines.append(f"{'median |error| (min)':26}{f.median_abs_error_s / 60:>12.1f}{o.median_abs_error_s / 60:>16.1f}")
    lines.append(f"{'inside printed range':26}{f.inside_range:>12.0%}{o.inside_range:>16.0%}")
    lines.append(f"{'bias (min, + = too long)':26}{f.bias_s / 60:>12.1f}{o.bias_s / 60:>16.1f}")
    lines.append(f"{'within max(3 min, 20 %)':26}{f.within_goal:>12.0%}{o.within_goal:>16.0%}")
    lines.append(f"{'median actual wait (min)':26}{f.median_wait_s / 60:>12.1f}{o.median_wait_s / 60:>16.1f}")
    return "\n".join(lines)
