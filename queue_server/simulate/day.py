"""The office-day simulator: a discrete-event loop that drives the real engine with a virtual clock.

Every change goes through ``engine.decide`` and ``QueueState.apply``, exactly as in the server: the simulator
only decides *when* citizens arrive and *when* counters act (a free open counter calls next; the service lasts
a sampled time; a citizen who does not come is recalled, then skipped, and may come back within the grace; a
transfer is a ``Transfer``). Which ticket is called, numbering, priorities, shared counters, grace: the engine's
own rules, never a copy. The result is the standard event log.

A plain ``heapq`` loop rather than simpy: the model needs only timed callbacks (no processes or resources),
it adds no dependency, and it runs an office day of 500 visits in a few tens of milliseconds, which is what lets
the planner simulate hundreds of candidate days. No sleeping, no broker, no store.

Reproducible: the seed fixes every draw. Arrivals and each visitor's own draws (service time, no-show,
transfer, rating) come from a stream of their own made before the day runs, so two staffings of the same day
see the same citizens (common random numbers: the planner compares staffings, not noise).
"""

from __future__ import annotations

import base64
import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.events import Event, TicketCalled, TicketIssued
from queue_server.engine.hours import DEFAULT_HOURS, OpeningHours, sessions_on
from queue_server.engine.setup import OfficeSetup, Outcome
from queue_server.engine.state import QueueState
from queue_server.simulate.profile import DayProfile, Period

_ARRIVE, _OPEN, _CLOSE, _END, _RECALL, _SKIP, _RETURN, _RECONFIGURE, _CHECK_IN = range(9)


@dataclass(slots=True)
class _Visitor:
    service_id: str
    priority: str | None
    arrived: float
    service_seconds: float
    no_show: bool
    returns_after: float | None
    transfer_to: str | None
    transfer_front: bool
    transfer_seconds: float
    outcome: Outcome
    rating: str | None
    ticket_id: str = ""
    line_since: float = 0.0
    wait: float = 0.0
    first_wait: float | None = None
    transferred: bool = False
    status: str = "open"


@dataclass(frozen=True)
class VisitResult:
    """One simulated visit, for figures without folding the log (the planner reads thousands of days)."""

    ticket_id: str
    service_id: str
    priority: str | None
    day: date
    hour: int
    """Local hour of the arrival."""
    arrived_seconds: float
    """Local time of the arrival, seconds after midnight."""
    wait_seconds: float
    """Sum of its waits in a line (the statistics' definition), up to the calls that ended them."""
    first_wait_seconds: float | None
    status: str
    """"finished", "no_show" (never came back) or "open" (still waiting or at a counter when the day ended);
    for a remote number also "not_checked_in" (booked, never came)."""
    remote: bool = False
    """Booked from the web (``simulate/remote_day.py``): ``wait_seconds`` counts from its check-in."""
    from_booking_seconds: float | None = None
    """A remote number: booking to check-in."""


@dataclass(frozen=True)
class CounterResult:
    counter_id: str
    day: date
    open_seconds: float
    busy_seconds: float
    calls: int

    @property
    def utilisation(self) -> float | None:
        return self.busy_seconds / self.open_seconds if self.open_seconds > 0 else None


@dataclass
class DayRun:
    events: list[Event] = field(default_factory=list)
    visits: list[VisitResult] = field(default_factory=list)
    counters: list[CounterResult] = field(default_factory=list)
    state: QueueState = field(default_factory=QueueState)


@dataclass(slots=True)
class _Desk:
    id: str
    periods: tuple[Period, ...]
    staff: str | None
    open: bool = False
    until: float = -1.0
    serving: str | None = None
    idle_since: float | None = None
    opened_at: float | None = None
    busy_since: float = 0.0
    open_seconds: float = 0.0
    busy_seconds: float = 0.0
    calls: int = 0


def _weighted(rng: random.Random, weights: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weights], [w for _, w in weights])[0]


def _visitors(profile: DayProfile, rng: random.Random) -> list[_Visitor]:
    """The day's citizens: Poisson arrivals per service and hour (memoryless, so each hour starts afresh)."""
    v = profile.visitors
    out: list[_Visitor] = []
    for demand in profile.demands:
        for hour, rate in enumerate(demand.arrivals_per_hour):
            if rate <= 0:
                continue
            t = hour * 3600.0
            while True:
                t += rng.expovariate(rate / 3600.0)
                if t >= (hour + 1) * 3600.0:
                    break
                transfer = None
                if demand.transfer_to and rng.random() < demand.transfer_probability:
                    transfer = rng.choice(demand.transfer_to)
                to = profile.demand(transfer) if transfer else None
                no_show = rng.random() < v.no_show_rate
                out.append(
                    _Visitor(
                        service_id=demand.service_id,
                        priority=_weighted(rng, v.priority_weights) if rng.random() < v.priority_share else None,
                        arrived=t,
                        service_seconds=demand.service_time.sample(rng),
                        no_show=no_show,
                        returns_after=(
                            rng.uniform(0, profile.setup.no_show_grace_seconds)
                            if no_show and rng.random() < v.no_show_returns
                            else None
                        ),
                        transfer_to=transfer,
                        transfer_front=demand.transfer_to_front,
                        transfer_seconds=to.service_time.sample(rng) if to else 0.0,
                        outcome=Outcome(_weighted(rng, v.outcome_weights)),
                        rating=_weighted(rng, v.rating_weights) if rng.random() < v.rating_share else None,
                    )
                )
    out.sort(key=lambda x: x.arrived)
    return out


class _Office:
    """The engine and the log: ``run`` decides a command at a virtual time and applies what it returns."""

    def __init__(self, seed: object) -> None:
        self.state = QueueState()
        self.events: list[Event] = []
        self._ids = random.Random(f"{seed}:ids")
        self.base = datetime(2000, 1, 1, tzinfo=UTC)

    def new_id(self) -> str:
        return base64.urlsafe_b64encode(self._ids.randbytes(12)).decode("ascii")

    def run(self, command: cmd.Command, t: float) -> list[Event] | None:
        try:
            events = decide(self.state, command, self.base + timedelta(seconds=t), self.new_id)
        except CommandRejected:
            return None
        for event in events:
            self.state.apply(event)
        self.events.extend(events)
        return events


class _Day:
    def __init__(self, office: _Office, profile: DayProfile, day: date, seed: object, run: DayRun) -> None:
        self.office, self.profile, self.day, self.run = office, profile, day, run
        offset = timedelta(minutes=profile.setup.utc_offset_minutes)
        office.base = datetime.combine(day, time(), tzinfo=UTC) - offset
        self.heap: list[tuple[float, int, int, Any]] = []
        self.seq = 0
        self.visitors: dict[str, _Visitor] = {}
        self.desks = {
            c.id: _Desk(c.id, profile.hours.get(c.id, ()), profile.staff_at.get(c.id)) for c in profile.setup.counters
        }
        self.idle: dict[str, _Desk] = {}
        arrivals = _visitors(profile, random.Random(f"{seed}:{day.isoformat()}:visitors"))
        starts = [p[0] for d in self.desks.values() for p in d.periods] + [a.arrived for a in arrivals[:1]]
        self.start = max(0.0, min(starts, default=0.0) - 300.0)
        for visitor in arrivals:
            self.push(visitor.arrived, _ARRIVE, visitor)
        for desk in self.desks.values():
            for start, end in desk.periods:
                self.push(start, _OPEN, desk)
                self.push(end, _CLOSE, desk)
        for at, setup in profile.reconfigurations:
            self.push(at, _RECONFIGURE, setup)

    def push(self, t: float, kind: int, payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, payload))

    def simulate(self) -> None:
        office, setup = self.office, self.profile.setup
        if office.state.setup != setup:
            office.run(cmd.ConfigureOffice(setup), self.start)
        handlers = (
            self._arrive,
            self._open,
            self._close,
            self._end,
            self._recall,
            self._skip,
            self._return,
            self._reconfigure,
            self._check_in,
        )
        while self.heap:
            t, _, kind, payload = heapq.heappop(self.heap)
            handlers[kind](t, payload)
        self._results()

    # -- citizens --------------------------------------------------------------------------------------------
    def _arrive(self, t: float, visitor: _Visitor) -> None:
        events = self.office.run(cmd.IssueTicket(visitor.service_id, visitor.priority), t)
        if events is None:
            return
        issued = events[-1]
        assert isinstance(issued, TicketIssued)
        visitor.ticket_id, visitor.line_since = issued.ticket_id, t
        self.visitors[issued.ticket_id] = visitor
        self._dispatch(t)

    def _return(self, t: float, visitor: _Visitor) -> None:
        if self.office.run(cmd.Requeue(visitor.ticket_id), t) is not None:
            visitor.line_since, visitor.status = t, "open"
            self._dispatch(t)

    def _dispatch(self, t: float, every: bool = False) -> None:
        """A ticket joined a line: the counter idle longest that may serve it calls it (``every``: all try)."""
        for desk in sorted(self.idle.values(), key=lambda d: (d.idle_since, d.id)):
            if self._call(desk, t) and not every:
                return

    # -- counters --------------------------------------------------------------------------------------------
    def _open(self, t: float, desk: _Desk) -> None:
        state = self.office.state.counters.get(desk.id)
        if state is not None and state.paused:
            self.office.run(cmd.ResumeCounter(desk.id), t)
        if desk.staff is not None and (state is None or state.staff_id != desk.staff):
            self.office.run(cmd.SignIn(desk.id, desk.staff), t)
        desk.open, desk.until = True, -1.0
        if desk.opened_at is None:
            desk.opened_at = t
        if desk.serving is None:
            self._call(desk, t)

    def _close(self, t: float, desk: _Desk) -> None:
        desk.open = False
        desk.until = t + self.profile.visitors.overtime_minutes * 60
        if desk.serving is None:
            self._call(desk, t)  # overtime: whoever still waits for it, then it closes

    def _shut(self, t: float, desk: _Desk) -> None:
        self.idle.pop(desk.id, None)
        desk.idle_since = None
        if desk.opened_at is not None:
            desk.open_seconds += t - desk.opened_at
            desk.opened_at = None
        state = self.office.state.counters.get(desk.id)
        if state is not None and not state.paused:
            self.office.run(cmd.PauseCounter(desk.id), t)
        if desk.staff is not None and all(start <= t for start, _ in desk.periods):  # the day's last period
            self.office.run(cmd.SignOut(desk.id), t)

    def _call(self, desk: _Desk, t: float) -> bool:
        if not desk.open and t > desk.until:
            self._shut(t, desk)
            return False
        events = self.office.run(cmd.CallNext(desk.id), t)
        if events is None:
            if not desk.open:
                self._shut(t, desk)
            elif desk.idle_since is None:
                desk.idle_since = t
                self.idle[desk.id] = desk
            return False
        called = events[-1]
        assert isinstance(called, TicketCalled)
        visitor = self.visitors[called.ticket_id]
        wait = t - visitor.line_since
        visitor.wait += wait
        if visitor.first_wait is None:
            visitor.first_wait = wait
        self.idle.pop(desk.id, None)
        desk.idle_since, desk.serving, desk.busy_since = None, called.ticket_id, t
        desk.calls += 1
        if visitor.no_show:
            half = self.profile.visitors.no_show_wait_seconds / 2
            self.push(t + half, _RECALL, desk)
            self.push(t + 2 * half, _SKIP, desk)
        else:
            self.push(t + (visitor.transfer_seconds if visitor.transferred else visitor.service_seconds), _END, desk)
        return True

    def _free(self, t: float, desk: _Desk) -> _Visitor:
        visitor = self.visitors[desk.serving or ""]
        desk.busy_seconds += t - desk.busy_since
        desk.serving = None
        return visitor

    def _end(self, t: float, desk: _Desk) -> None:
        visitor = self._free(t, desk)
        office = self.office
        if visitor.transfer_to is not None and not visitor.transferred:
            visitor.transferred = True
            transfer = cmd.Transfer(desk.id, to_service_id=visitor.transfer_to, to_front=visitor.transfer_front)
            if office.run(transfer, t) is not None:
                visitor.line_since = t
                self._call(desk, t)
                self._dispatch(t)
                return
        office.run(cmd.FinishService(desk.id, visitor.outcome), t)
        visitor.status = "finished"
        if visitor.rating is not None:
            office.run(cmd.RateService(desk.id, visitor.rating), t)
        self._call(desk, t)

    def _recall(self, t: float, desk: _Desk) -> None:
        if desk.serving is not None:
            self.office.run(cmd.Recall(desk.id), t)

    def _skip(self, t: float, desk: _Desk) -> None:
        visitor = self._free(t, desk)
        self.office.run(cmd.SkipTicket(desk.id), t)
        visitor.no_show = False  # a citizen who comes back is at the counter when called again
        visitor.status = "no_show"
        if visitor.returns_after is not None:
            self.push(t + visitor.returns_after, _RETURN, visitor)
        self._call(desk, t)

    def _check_in(self, t: float, payload: Any) -> None:
        """A remote citizen at the kiosk: only in a day with remote numbers (``remote_day.RemoteDay``)."""

    def _reconfigure(self, t: float, setup: OfficeSetup) -> None:
        if self.office.run(cmd.ConfigureOffice(setup), t) is not None:
            self._dispatch(t, every=True)

    def _results(self) -> None:
        for v in self.visitors.values():
            hour = int(v.arrived // 3600)
            self.run.visits.append(
                VisitResult(
                    v.ticket_id, v.service_id, v.priority, self.day, hour, v.arrived, v.wait, v.first_wait, v.status
                )
            )
        for d in self.desks.values():
            self.run.counters.append(CounterResult(d.id, self.day, d.open_seconds, d.busy_seconds, d.calls))


def working_days(first: date, count: int, hours: OpeningHours = DEFAULT_HOURS) -> list[date]:
    """``count`` days the office serves from ``first`` on: its opening hours' days (holidays skipped, make-up
    days worked; Monday to Friday by default)."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if sessions_on(hours, day):
            days.append(day)
        day += timedelta(days=1)
        if (day - first).days > 3660:  # hours that never open: ten years of nothing is enough to say so
            raise ValueError("the office's opening hours have no working day")
    return days


def run_days(profile: DayProfile, seed: int | str = 0, days: int = 1, remote_share: float = 0.0) -> DayRun:
    """Simulate ``days`` working days (the setup's opening hours) on one engine; tickets left at night expire as
    the engine says. ``remote_share`` of the citizens book from the web instead (``remote_day``)."""
    from queue_server.simulate.remote_day import RemoteDay

    office = _Office(seed)
    run = DayRun(state=office.state)
    for day in working_days(profile.day, days, profile.setup.hours):
        if remote_share > 0:
            RemoteDay(office, profile, day, seed, run, remote_share).simulate()
        else:
            _Day(office, profile, day, seed, run).simulate()
    run.events = office.events
    return run


def simulate_day(profile: DayProfile, seed: int | str = 0, *, days: int = 1) -> list[Event]:
    """The events of a simulated day (``OfficeConfigured`` first): the standard log, reproducible by seed."""
    return run_days(profile, seed, days).events
