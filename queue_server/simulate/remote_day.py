"""A simulated day where a share of the citizens take their number from the web (issue 14).

Who: each arrival of the day's demand is, with probability ``remote_share``, a remote citizen (never a
priority one: priority is shown at the kiosk). Their arrival time is their **booking** (``BookRemote``: the
number's place is taken then); they come when the "near" SMS says so, i.e. when at most ``NEAR_POSITION``
tickets of their service are ahead, plus a travel time drawn uniformly in ``TRAVEL_SECONDS``, and check in
(``CheckIn``). ``NEVER_COME`` of them never check in. Everything else (calls, service, no-shows) is the day's.

What it reports (``format_remote``): the walk-ins' mean wait beside the remote citizens' time on site (check-in
to call: their wait by docs/statistics.md) and their time from booking, so the rule "walk-ins are never
starved" (``engine/remote.py``) can be measured against the same day without remote numbers.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable
from datetime import date
from typing import Any

from queue_server.engine import commands as cmd
from queue_server.engine.events import RemoteBooked
from queue_server.simulate.day import _ARRIVE, _CHECK_IN, DayRun, VisitResult, _Day, _Office, _Visitor
from queue_server.simulate.profile import DayProfile

NEAR_POSITION = 3
TRAVEL_SECONDS = (5 * 60.0, 20 * 60.0)
NEVER_COME = 0.1


@dataclasses.dataclass(slots=True)
class _Plan:
    visitor: _Visitor
    comes: bool
    travel: float
    booked_at: float = 0.0
    told: bool = False
    checked_in_at: float | None = None


class RemoteDay(_Day):
    def __init__(
        self, office: _Office, profile: DayProfile, day: date, seed: object, run: DayRun, remote_share: float
    ) -> None:
        super().__init__(office, profile, day, seed, run)
        rng = random.Random(f"{seed}:{day.isoformat()}:remote")
        self.plans: dict[int, _Plan] = {}
        """By ``id(visitor)``: the remote citizens of the day."""
        self.booked: dict[str, _Plan] = {}
        """By ticket id: booked, not checked in yet."""
        self.codes = 0
        for _, _, kind, payload in self.heap:
            if kind == _ARRIVE and rng.random() < remote_share:
                payload.priority = None
                self.plans[id(payload)] = _Plan(payload, rng.random() >= NEVER_COME, rng.uniform(*TRAVEL_SECONDS))
        self.by_ticket: dict[str, _Plan] = {}

    def _arrive(self, t: float, visitor: _Visitor) -> None:
        plan = self.plans.get(id(visitor))
        if plan is None:
            super()._arrive(t, visitor)
            return
        self.codes += 1
        events = self.office.run(cmd.BookRemote(visitor.service_id, f"{self.codes % 1_000_000:06d}"), t)
        if events is None:
            return
        booked = events[-1]
        assert isinstance(booked, RemoteBooked)
        visitor.ticket_id, plan.booked_at = booked.ticket_id, t
        self.visitors[booked.ticket_id] = visitor
        self.booked[booked.ticket_id] = self.by_ticket[booked.ticket_id] = plan
        self._tell_near(t)

    def _call(self, desk: Any, t: float) -> bool:
        called = super()._call(desk, t)
        if called and self.booked:
            self._tell_near(t)
        return called

    def _tell_near(self, t: float) -> None:
        """The "near" SMS: a booked number with at most ``NEAR_POSITION`` tickets of its service ahead."""
        state = self.office.state
        for ticket_id, plan in list(self.booked.items()):
            if plan.told:
                continue
            ticket = state.booked.get(ticket_id)
            if ticket is None:
                continue
            ahead = sum(
                1
                for w in state.waiting.values()
                if w.service_id == ticket.service_id and w.queue_key < ticket.queue_key
            )
            if ahead <= NEAR_POSITION:
                plan.told = True
                if plan.comes:
                    self.push(t + plan.travel, _CHECK_IN, plan)

    def _check_in(self, t: float, plan: _Plan) -> None:
        visitor = plan.visitor
        self.booked.pop(visitor.ticket_id, None)
        code = next((c for c, tid in self.office.state.check_in_codes.items() if tid == visitor.ticket_id), None)
        if code is None or self.office.run(cmd.CheckIn(code), t) is None:
            return  # its place passed longer ago than the grace: refused, as the kiosk would say
        plan.checked_in_at = visitor.line_since = t
        self._dispatch(t)

    def _results(self) -> None:
        start = len(self.run.visits)
        super()._results()
        for i in range(start, len(self.run.visits)):
            visit = self.run.visits[i]
            plan = self.by_ticket.get(visit.ticket_id)
            if plan is None:
                continue
            status = visit.status if plan.checked_in_at is not None else "not_checked_in"
            from_booking = None if plan.checked_in_at is None else plan.checked_in_at - plan.booked_at
            self.run.visits[i] = dataclasses.replace(
                visit, status=status, remote=True, from_booking_seconds=from_booking
            )


def format_remote(visits: Iterable[VisitResult]) -> str:
    """Walk-ins' mean wait and remote citizens' time on site and from booking (``motcua simulate``)."""
    from queue_server.simulate.figures import minutes, wait_figures

    visits = list(visits)
    walk_ins = wait_figures(v for v in visits if not v.remote)
    remote = [v for v in visits if v.remote]
    came = wait_figures(v for v in remote if v.status != "not_checked_in")
    booking = [v.from_booking_seconds for v in remote if v.from_booking_seconds is not None]
    return "\n".join(
        [
            "Số lấy trực tuyến / remote numbers:"
            f" {len(remote)} ({sum(v.status == 'not_checked_in' for v in remote)} không đến / never came)",
            f"  Người đến trực tiếp, chờ TB / walk-ins' mean wait: {minutes(walk_ins.mean_wait_seconds)}"
            f" (P90 {minutes(walk_ins.p90_wait_seconds)})",
            f"  Số trực tuyến, thời gian tại trụ sở TB / remote citizens' mean time on site (check-in to call):"
            f" {minutes(came.mean_wait_seconds)} (P90 {minutes(came.p90_wait_seconds)})",
            f"  Từ lúc đặt đến lúc xác nhận TB / mean booking to check-in:"
            f" {minutes(sum(booking) / len(booking) if booking else None)}",
        ]
    )
