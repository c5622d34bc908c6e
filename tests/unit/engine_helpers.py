"""Builders for engine tests: a small office and a driver that decides, checks purity and applies."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.setup import (
    Counter,
    OfficeSetup,
    PriorityPolicy,
    Service,
    Staff,
)
from queue_server.engine.state import QueueState, Ticket

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
"""Monday 3 March 2025, 08:00 in Hà Nội."""

E = TypeVar("E", bound=ev.Event)

LOCAL_MIDNIGHT = datetime(2025, 3, 3, 17, 0, tzinfo=UTC)
"""00:00 on Tuesday 4 March in Asia/Ho_Chi_Minh."""


def make_setup(**overrides: Any) -> OfficeSetup:
    """Land (A), justice (B), business (C); c1 serves land, c2 land + justice, c3 business."""
    base = OfficeSetup(
        office_id="xa-phu-dong",
        name="Trung tâm phục vụ hành chính công xã Phù Đổng",
        services=(
            Service("land", "A", "Đất đai", "Land"),
            Service("justice", "B", "Tư pháp - hộ tịch", "Justice"),
            Service("business", "C", "Đăng ký kinh doanh", "Business"),
        ),
        counters=(
            Counter("c1", 1, ("land",)),
            Counter("c2", 2, ("land", "justice")),
            Counter("c3", 3, ("business",)),
        ),
        staff=(Staff("s1", "Nguyễn Văn An"), Staff("s2", "Trần Thị Bình")),
        priority_policy=PriorityPolicy.INTERLEAVE,
        interleave_every=2,
    )
    return replace(base, **overrides)


class Office:
    """Drives the engine like the server does: decide, check that nothing was mutated, apply."""

    def __init__(self, setup: OfficeSetup | None = None, now: datetime = T0, configure: bool = True) -> None:
        self.state = QueueState()
        self.events: list[ev.Event] = []
        self.now = now
        self._next_id = 0
        if configure:
            self.run(cmd.ConfigureOffice(setup or make_setup()))

    def new_id(self) -> str:
        self._next_id += 1
        return f"T{self._next_id:05d}"

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def run(self, command: cmd.Command, at: datetime | None = None) -> list[ev.Event]:
        if at is not None:
            self.now = at
        before = copy.deepcopy(self.state)
        out = decide(self.state, command, self.now, self.new_id)
        assert self.state == before, "decide mutated the state"
        for event in out:
            self.state.apply(event)
        self.events.extend(out)
        return out

    def reject(self, command: cmd.Command, at: datetime | None = None) -> Reason:
        if at is not None:
            self.now = at
        before = copy.deepcopy(self.state)
        with pytest.raises(CommandRejected) as info:
            decide(self.state, command, self.now, self.new_id)
        assert self.state == before, "a rejected command mutated the state"
        return info.value.reason

    # -- shortcuts ---------------------------------------------------------------------------------------
    def issue(self, service_id: str, priority: str | None = None, at: datetime | None = None) -> ev.TicketIssued:
        return last_of(self.run(cmd.IssueTicket(service_id, priority), at), ev.TicketIssued)

    def call(self, counter_id: str, at: datetime | None = None) -> ev.TicketCalled:
        return last_of(self.run(cmd.CallNext(counter_id), at), ev.TicketCalled)

    def finish(self, counter_id: str, at: datetime | None = None) -> ev.ServiceFinished:
        return last_of(self.run(cmd.FinishService(counter_id), at), ev.ServiceFinished)

    def ticket(self, ticket_id: str) -> Ticket:
        return self.state.tickets[ticket_id]

    def label_of(self, ticket_id: str) -> str:
        return self.state.tickets[ticket_id].label


def last_of(events: list[ev.Event], kind: type[E]) -> E:
    matching = [e for e in events if isinstance(e, kind)]
    assert matching, f"no {kind.__name__} in {events}"
    return matching[-1]


def types_of(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events]
