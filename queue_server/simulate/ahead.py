"""The coming hour, simulated from the office as it is now: /live's predicted service level.

A copy of the live ``QueueState`` is run forward on the real engine: the tickets waiting now keep their places,
a counter serving someone finishes after a fresh draw of that service's time, open counters stay open and the
others closed, and citizens arrive at the day profile's rates for the hour (``simulate.profile``). A counter is
open when it is not paused and someone is signed in, or it is serving, or it finished a service in the last
``RECENT_SECONDS`` (a counter never opened today is not paused, yet nobody is there). The figures are the waits,
per service, of the citizens who will arrive in the hour: the office's service level ahead, which the line
waiting now weighs on. ``extra`` adds counters serving one service, to say how many would bring it back within
the target. The copy is the simulation's own: the live state is never touched.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from queue_server.engine.setup import Counter, Outcome
from queue_server.engine.state import CounterState, QueueState, TicketStatus
from queue_server.simulate.day import (
    _ARRIVE,
    _CLOSE,
    _END,
    _RECONFIGURE,
    DayRun,
    _Day,
    _Desk,
    _Office,
    _Visitor,
    _visitors,
)
from queue_server.simulate.distributions import ServiceTime, Shape
from queue_server.simulate.figures import WaitFigures, wait_figures
from queue_server.simulate.profile import DayProfile

PRIOR = ServiceTime(Shape.LOGNORMAL, 8 * 60, 5 * 60)
"""A service the profile does not know: 8 ± 5 min."""
HORIZON_SECONDS = 3600.0
RECENT_SECONDS = 30 * 60.0
DRAIN_SECONDS = 4 * 3600.0
"""After the hour, open counters keep calling (no new arrivals) until the hour's citizens are all called."""


@dataclass(frozen=True)
class HourAhead:
    by_service: dict[str, WaitFigures]
    overall: WaitFigures


def _local_seconds(at: datetime, base: datetime) -> float:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - base).total_seconds()


def _open(live: CounterState | None, now: datetime) -> bool:
    if live is None or live.paused:
        return False
    if live.staff_id is not None or live.serving_ticket_id is not None:
        return True
    if live.last_finished is None:
        return False
    finished = live.last_finished[2]
    finished = finished if finished.tzinfo is not None else finished.replace(tzinfo=UTC)
    return (now - finished).total_seconds() <= RECENT_SECONDS


class _Ahead(_Day):
    def __init__(
        self, state: QueueState, profile: DayProfile, now: datetime, seed: object, extra: dict[str, int]
    ) -> None:
        assert state.setup is not None
        office = _Office(seed)
        office.state = copy.deepcopy(state)
        offset = timedelta(minutes=state.setup.utc_offset_minutes)
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        day = (aware.astimezone(UTC) + offset).date()
        added = tuple(
            Counter(f"sim-extra-{service}-{i}", 900 + n * 10 + i, (service,))
            for n, (service, count) in enumerate(sorted(extra.items()))
            for i in range(1, count + 1)
        )
        setup = replace(state.setup, counters=state.setup.counters + added)
        plain = replace(profile, setup=setup, hours={}, staff_at={}, reconfigurations=())
        super().__init__(office, plain, day, seed, DayRun())
        self.heap.clear()
        self.t0 = self.start = _local_seconds(aware, office.base)
        self.followed: list[_Visitor] = []
        rng = random.Random(f"{seed}:ahead")
        times = {d.service_id: d.service_time for d in profile.demands}

        def visitor(ticket_id: str, service_id: str, priority: str | None, since: datetime | None) -> _Visitor:
            v = _Visitor(service_id, priority, 0.0, times.get(service_id, PRIOR).sample(rng), False, None, None,
                         False, 0.0, Outcome.DOSSIER_RECEIVED, None)  # fmt: skip
            v.ticket_id = ticket_id
            v.line_since = _local_seconds(since or aware, office.base)
            self.visitors[ticket_id] = v
            return v

        for ticket in state.waiting.values():
            visitor(ticket.id, ticket.service_id, ticket.priority, ticket.status_since)
        end = self.t0 + HORIZON_SECONDS
        self.desks = {}
        for counter in setup.counters:
            live = state.counters.get(counter.id)
            desk = _Desk(counter.id, ((int(self.t0), int(end)),), None, until=end + DRAIN_SECONDS)
            self.desks[counter.id] = desk
            if not _open(live, aware) and counter not in added:
                continue
            desk.open, desk.opened_at = True, self.t0
            serving = state.tickets.get(live.serving_ticket_id or "") if live is not None else None
            if serving is not None and serving.status is TicketStatus.SERVING:
                v = visitor(serving.id, serving.service_id, serving.priority, serving.status_since)
                desk.serving, desk.busy_since = serving.id, self.t0
                self.push(self.t0 + v.service_seconds, _END, desk)
            else:
                desk.idle_since = self.t0
                self.idle[counter.id] = desk
        self.push(self.t0, _RECONFIGURE, setup)  # the extra counters, then every idle counter calls
        for arrival in _visitors(profile, random.Random(f"{seed}:{day.isoformat()}:visitors")):
            if self.t0 <= arrival.arrived < end and setup.service(arrival.service_id) is not None:
                arrival.no_show, arrival.transfer_to, arrival.rating = False, None, None
                self.push(arrival.arrived, _ARRIVE, arrival)
        self.push(end, _CLOSE, None)

    def _close(self, t: float, desk: _Desk | None) -> None:
        """The hour ends: no counter opens a new period; each still calls whoever waits (``until``)."""
        for d in self.desks.values():
            d.open = False
            if d.serving is None and d.idle_since is not None:
                self._call(d, t)

    def _arrive(self, t: float, visitor: _Visitor) -> None:
        super()._arrive(t, visitor)
        if visitor.ticket_id:
            self.followed.append(visitor)

    def waits(self) -> list[tuple[str, float]]:
        """(service, wait from the issue to the call) of every citizen arriving in the hour; ``math.inf`` for one
        never called within the drain (no open counter serves the service, or the line is hours long)."""
        return [(v.service_id, v.first_wait if v.first_wait is not None else math.inf) for v in self.followed]


def predict_hour(
    state: QueueState,
    profile: DayProfile,
    now: datetime,
    *,
    seeds: int = 8,
    extra: dict[str, int] | None = None,
) -> HourAhead:
    """The waits of the coming hour per service, over ``seeds`` simulated futures (see the module docstring)."""
    waits: list[tuple[str, float]] = []
    for seed in range(seeds):
        ahead = _Ahead(state, profile, now, f"ahead-{seed}", extra or {})
        ahead.simulate()
        waits += ahead.waits()
    by_service: dict[str, list[float]] = {}
    for service, wait in waits:
        by_service.setdefault(service, []).append(wait)
    return HourAhead(
        by_service={s: _figures(w) for s, w in by_service.items()},
        overall=_figures([w for _, w in waits]),
    )


def _figures(waits: list[float]) -> WaitFigures:
    from queue_server.simulate.day import VisitResult

    day = datetime(2000, 1, 1).date()
    return wait_figures(VisitResult("", "", None, day, 0, 0.0, w, w, "finished") for w in waits)
