"""How long a counter is busy with one call, learned from the office's event log.

A call occupies its counter from ``TicketCalled`` to whatever ends that segment: the finish, a transfer or a
no-show skip. All three count, because all three are time the counter is not calling the next ticket (a line
with many no-shows moves faster, and the forecast must know it). Durations are kept per service and per local
hour of the call, newest ``KEPT`` of each, and drawn back by resampling: the office's own distribution, whatever
its shape, with no fitted model to be wrong about it.

A new office has no history, so draws are blended with a prior, a log-normal with median ``PRIOR_MEDIAN_S``
(8 minutes, the constant the kiosk used to assume): with n observations a draw comes from them with probability
n / (n + ``PRIOR_WEIGHT``). An hour's own sample is used once it holds ``HOUR_MINIMUM`` calls, else the service's.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from statistics import NormalDist

from queue_server.engine import events as ev

PRIOR_MEDIAN_S = 480.0
PRIOR_SIGMA = 0.6
"""Log-normal shape of the prior: p10–p90 about 3.7–17 minutes around the 8-minute median."""
PRIOR_WEIGHT = 10
HOUR_MINIMUM = 30
KEPT = 400
MINIMUM_S = 5.0
TABLE_SIZE = 256


class ServiceTimes:
    """Observed call durations and priority arrivals; ``observe`` each event in log order, ``sampler`` to draw
    durations, ``priority_rate`` for the priority tickets still to come."""

    def __init__(self, utc_offset_minutes: int = 420) -> None:
        self.offset = timedelta(minutes=utc_offset_minutes)
        self._open: dict[str, tuple[str, datetime]] = {}
        self._by_service: dict[str, deque[float]] = {}
        self._by_hour: dict[tuple[str, int], deque[float]] = {}
        self.version = 0
        self._open_days: set[tuple[date, int]] = set()
        """(day, local hour) with at least one ticket issued: the hours the office was taking visitors."""
        self._priority_issues: dict[tuple[str, int], int] = {}
        self._samplers: dict[tuple[str, int | None], tuple[int, Sampler]] = {}
        """Grows with every observed duration: what a cached sampler is keyed on."""

    @classmethod
    def learned(cls, events: Iterable[ev.Event], utc_offset_minutes: int = 420) -> ServiceTimes:
        times = cls(utc_offset_minutes)
        for event in events:
            times.observe(event)
        return times

    def use_offset(self, utc_offset_minutes: int) -> None:
        self.offset = timedelta(minutes=utc_offset_minutes)

    def observe(self, event: ev.Event) -> None:
        if isinstance(event, ev.OfficeConfigured):
            self.offset = timedelta(minutes=event.setup.utc_offset_minutes)
        elif isinstance(event, ev.TicketIssued):
            hour = self.local_hour(event.at)
            self._open_days.add((event.day, hour))
            if event.priority is not None:
                key = (event.service_id, hour)
                self._priority_issues[key] = self._priority_issues.get(key, 0) + 1
        elif isinstance(event, ev.TicketCalled):
            self._open[event.ticket_id] = (event.service_id, event.at)
        elif isinstance(event, ev.ServiceFinished | ev.TicketTransferred | ev.TicketSkipped):
            opened = self._open.pop(event.ticket_id, None)
            if opened is not None:
                self._add(opened[0], opened[1], (event.at - opened[1]).total_seconds())

    def _add(self, service_id: str, called_at: datetime, seconds: float) -> None:
        seconds = max(MINIMUM_S, seconds)
        hour = self.local_hour(called_at)
        self._by_service.setdefault(service_id, deque(maxlen=KEPT)).append(seconds)
        self._by_hour.setdefault((service_id, hour), deque(maxlen=KEPT)).append(seconds)
        self.version += 1

    def local_hour(self, at: datetime) -> int:
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        return (at + self.offset).hour

    def priority_rate(self, service_id: str, hour: int) -> float:
        """Priority tickets of this service issued per second at this local hour: the hour's own count over the
        days the office took visitors then, shrunk towards the all-hours rate by one day's weight (so an hour
        barely begun, or seen on one day, is not taken at its word)."""
        overall = sum(v for (s, _), v in self._priority_issues.items() if s == service_id)
        per_hour = overall / max(1, len(self._open_days))
        days = sum(1 for _, h in self._open_days if h == hour)
        return (self._priority_issues.get((service_id, hour), 0) + per_hour) / (days + 1) / 3600

    def observations(self, service_id: str, hour: int | None = None) -> tuple[float, ...]:
        """The durations a draw for this service (at this local hour, if it has enough) resamples from."""
        if hour is not None:
            own = self._by_hour.get((service_id, hour))
            if own is not None and len(own) >= HOUR_MINIMUM:
                return tuple(own)
        return tuple(self._by_service.get(service_id, ()))

    def sampler(self, service_id: str, hour: int | None = None) -> Sampler:
        """Cached until the next observation: the issue path builds one per service per forecast."""
        key = (service_id, hour)
        cached = self._samplers.get(key)
        if cached is None or cached[0] != self.version:
            cached = self._samplers[key] = (self.version, Sampler(self.observations(service_id, hour)))
        return cached[1]


class Sampler:
    """Draws one service's durations: resampled observations blended with the prior (see the module text)."""

    __slots__ = ("_mu", "_observed", "_share", "mean", "table")

    def __init__(self, observed: tuple[float, ...]) -> None:
        self._observed = observed
        n = len(observed)
        self._share = n / (n + PRIOR_WEIGHT)
        self._mu = math.log(PRIOR_MEDIAN_S)
        prior_mean = math.exp(self._mu + PRIOR_SIGMA**2 / 2)
        observed_mean = sum(observed) / n if n else prior_mean
        self.mean = self._share * observed_mean + (1 - self._share) * prior_mean
        self.table = self._table()
        """``TABLE_SIZE`` draws' worth of the blend as evenly spaced quantiles: the forecast's inner loop draws
        by one index (a ``lognormvariate`` per call would be most of its time)."""

    def _table(self) -> list[float]:
        from_observed = round(self._share * TABLE_SIZE) if self._observed else 0
        ordered = sorted(self._observed)
        table = [ordered[int((j + 0.5) / from_observed * len(ordered))] for j in range(from_observed)]
        prior = NormalDist(self._mu, PRIOR_SIGMA)
        rest = TABLE_SIZE - from_observed
        table += [math.exp(prior.inv_cdf((j + 0.5) / rest)) for j in range(rest)]
        return table

    def draw(self, rng: random.Random) -> float:
        return self.table[int(rng.random() * TABLE_SIZE)]

    def remaining(self, rng: random.Random, elapsed: float) -> float:
        """What is left of a call already ``elapsed`` seconds old: a draw longer than that, less the elapsed."""
        for _ in range(4):
            total = self.draw(rng)
            if total > elapsed:
                return total - elapsed
        return MINIMUM_S + 0.25 * self.draw(rng)  # an unusually long call: it may end any moment
