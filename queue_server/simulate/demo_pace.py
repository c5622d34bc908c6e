"""The pace of ``make demo``'s simulated office: the sample day profile, time-compressed, so the demo's queue
looks like an office's instead of growing without bound.

The demo's devices act in real time; this only says *when*. Its clock runs ``compression`` times faster than
the office's through the office's open hours (lunch skipped, then round again): the kiosk's citizens arrive as
the profile's Poisson arrivals of that office hour, and a simulated counter serves for the profile's service
time of the ticket's service, both divided by ``compression``. At 25× a 7-minute service takes about 17 s, which
is also the rhythm of the firmware counter units' scripted button presses (``queue_server.demo.counters``); the
busiest office hour keeps the demo's three counters nearly 90 % busy and the day about half: the line stays
short and believable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from queue_server.planner.plan import open_intervals
from queue_server.simulate.profile import DayProfile, Demand, load_profile

COMPRESSION = 25.0
WAITING_AT_OPENING = 1
"""Citizens per service already at the door when the demo opens: its first tickets, at once, one service after
another (so every counter has someone to call from the first seconds)."""


@dataclass
class DemoPace:
    services: list[str]
    """The demo office's services (its configuration); those the profile lacks get the profile's mean demand."""
    profile: DayProfile = field(default_factory=load_profile)
    compression: float = COMPRESSION
    rng: random.Random = field(default_factory=random.Random)
    prefixes: dict[str, str] = field(default_factory=dict)
    """Ticket letter(s) -> service id: a call's reply names the ticket by its label."""

    def __post_init__(self) -> None:
        self._intervals = open_intervals(self.profile) or [(8 * 3600, 17 * 3600)]
        self._length = sum(e - s for s, e in self._intervals)
        known = [d for d in self.profile.demands if d.service_id in self.services]
        mean = self.profile.demands[0] if not known else known[len(known) // 2]
        self._demands = [next((d for d in known if d.service_id == s), None) or _as(mean, s) for s in self.services]
        self._opening = [s for _ in range(WAITING_AT_OPENING) for s in self.services]

    def office_time(self, elapsed: float) -> float:
        """Seconds after the office's midnight, ``elapsed`` real seconds into the demo (open hours only, looping)."""
        left = (elapsed * self.compression) % self._length
        for start, end in self._intervals:
            if left < end - start:
                return start + left
            left -= end - start
        return float(self._intervals[0][0])

    def next_ticket(self, elapsed: float) -> tuple[float, str, str | None]:
        """(real seconds to wait, service, priority category or None) of the kiosk's next citizen."""
        hour = int(self.office_time(elapsed) // 3600)
        rates = [d.arrivals_per_hour[hour] for d in self._demands]
        total = sum(rates) or sum(sum(d.arrivals_per_hour) for d in self._demands) / 24 or 1.0
        if self._opening:
            delay, service = 0.0, self._opening.pop(0)
        else:
            delay = self.rng.expovariate(total * self.compression / 3600)
            service = self.rng.choices(self.services, rates)[0] if sum(rates) else self.rng.choice(self.services)
        visitors = self.profile.visitors
        priority = None
        if self.rng.random() < visitors.priority_share:
            weights = visitors.priority_weights
            priority = self.rng.choices([k for k, _ in weights], [w for _, w in weights])[0]
        return delay, service, priority

    def service_seconds(self, service_id: str) -> float:
        """Real seconds a simulated counter spends on a ticket of ``service_id``."""
        demand = next((d for d in self._demands if d.service_id == service_id), self._demands[0])
        return demand.service_time.sample(self.rng) / self.compression

    def service_of(self, label: str) -> str:
        """The service of a ticket label ("A012" -> the service whose prefix is "A"; the longest prefix wins)."""
        matches = [p for p in self.prefixes if label.startswith(p)]
        return self.prefixes[max(matches, key=len)] if matches else self.services[0]

    def button_pause(self) -> tuple[float, float]:
        """The firmware script's pause range: two counters in turn, two pauses a round, so a counter unit's
        visit lasts four pauses: the mean service time, compressed."""
        weights = [sum(d.arrivals_per_hour) or 1.0 for d in self._demands]
        service = sum(w * d.service_time.mean() for w, d in zip(weights, self._demands, strict=True)) / sum(weights)
        pause = service / self.compression / 4
        return (pause * 2 / 3, pause * 4 / 3)


def _as(demand: Demand, service_id: str) -> Demand:
    return Demand(service_id, demand.arrivals_per_hour, demand.service_time)
