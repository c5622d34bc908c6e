"""Random command sequences over random small offices: the engine's invariants hold after every step."""

from __future__ import annotations

import copy
import json
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.codec import event_from_dict, event_to_dict
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected, Reason
from queue_server.engine.setup import (
    DEFAULT_RATING_SCALE,
    Counter,
    OfficeSetup,
    Outcome,
    PriorityPolicy,
    RatingLevel,
    Service,
    Staff,
)
from queue_server.engine.state import QueueState, Ticket, TicketStatus

START = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
FIVE_LEVELS = tuple(RatingLevel(f"l{i}", f"Mức {i}", f"Level {i}", i >= 4) for i in range(1, 6))


@st.composite
def office_setups(draw: st.DrawFn) -> OfficeSetup:
    n_services = draw(st.integers(1, 3))
    services = tuple(Service(f"s{i}", "ABC"[i], f"Lĩnh vực {i}") for i in range(n_services))
    n_counters = draw(st.integers(1, 3))
    counters = tuple(
        Counter(
            f"c{i}",
            i + 1,
            tuple(sorted(draw(st.sets(st.sampled_from([s.id for s in services]), min_size=1, max_size=3)))),
        )
        for i in range(n_counters)
    )
    return OfficeSetup(
        office_id="o",
        name="Văn phòng thử",
        services=services,
        counters=counters,
        staff=tuple(Staff(f"u{i}", f"Cán bộ {i}") for i in range(draw(st.integers(0, 2)))),
        priority_policy=draw(st.sampled_from(PriorityPolicy)),
        interleave_every=draw(st.integers(1, 3)),
        no_show_grace_seconds=draw(st.sampled_from([0, 60, 900, 3_600])),
        rating_window_seconds=draw(st.sampled_from([0, 30, 120, 600])),
        rating_scale=draw(st.sampled_from([DEFAULT_RATING_SCALE, FIVE_LEVELS])),
        number_width=draw(st.integers(1, 3)),
    )


def _gap(roll: int) -> int:
    """Mostly seconds to minutes between commands; now and then hours, sometimes over local midnight."""
    if roll < 900:
        return roll // 5  # 0..179 s
    if roll < 980:
        return (roll - 900) * 45  # up to an hour
    return (roll - 979) * 3_600  # up to 21 h: crosses 17:00 UTC (00:00 in Hà Nội) often enough


gaps = st.integers(0, 999).map(_gap)
indices = st.integers(0, 15)
"""Picks a counter / service / staff / rating level; 14 and 15 stand for an id the office does not know."""
UNKNOWN = 14
T = TypeVar("T")


def _pick(items: tuple[T, ...] | list[T], index: int) -> T | None:
    return items[index % len(items)] if items and index < UNKNOWN else None


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = QueueState()
        self.events: list[ev.Event] = []
        self.now = START
        self.next_id = 0
        self.issued: list[str] = []
        self.setup: OfficeSetup | None = None
        self.encoded = 0

    # -- driving ----------------------------------------------------------------------------------------
    def execute(self, command: cmd.Command, gap: int = 0) -> list[ev.Event] | Reason:
        self.now += timedelta(seconds=gap)
        before = copy.deepcopy(self.state)
        first_id = self.next_id

        def new_id() -> str:
            self.next_id += 1
            return f"T{self.next_id}"

        try:
            out = decide(self.state, command, self.now, new_id)
        except CommandRejected as rejected:
            assert self.state == before, f"rejected {command} mutated the state"
            return rejected.reason
        assert self.state == before, f"{command} mutated the state"
        # deterministic: same state, command, clock and ids give the same events
        replayed_ids = iter(f"T{n}" for n in range(first_id + 1, first_id + 100))
        assert decide(self.state, command, self.now, lambda: next(replayed_ids)) == out
        for event in out:
            assert event.at == self.now
            self.state.apply(event)
            if isinstance(event, ev.TicketIssued):
                self.issued.append(event.ticket_id)
        self.events.extend(out)
        return out

    def counter_id(self, index: int) -> str:
        assert self.setup is not None
        counter = _pick(self.setup.counters, index)
        return counter.id if counter else "nowhere"

    def service_id(self, index: int) -> str:
        assert self.setup is not None
        service = _pick(self.setup.services, index)
        return service.id if service else "nothing"

    @staticmethod
    def eligible(state: QueueState, counter: Counter, expired: set[str] | dict[str, Ticket]) -> list[Ticket]:
        """Waiting tickets the counter may call (tickets of an earlier day expire first)."""
        return [
            t
            for t in state.waiting.values()
            if t.id not in expired
            and (
                t.target_counter_id == counter.id
                or (t.target_counter_id is None and t.service_id in counter.service_ids)
            )
        ]

    # -- rules ------------------------------------------------------------------------------------------
    @initialize(setup=office_setups(), start=st.integers(0, 86_399))
    def configure(self, setup: OfficeSetup, start: int) -> None:
        self.now = START + timedelta(seconds=start)
        self.setup = setup
        assert self.execute(cmd.ConfigureOffice(setup)) == [ev.OfficeConfigured(at=self.now, setup=setup)]

    @rule(
        service=indices,
        priority=st.sampled_from([None, None, None, "elderly_60", "disabled", "vip"]),
        count=st.integers(1, 4),
        gap=gaps,
    )
    def issue(self, service: int, priority: str | None, count: int, gap: int) -> None:
        for _ in range(count):
            result = self.execute(cmd.IssueTicket(self.service_id(service), priority, device_id="kiosk"), gap)
            gap = 0
            if service >= UNKNOWN:
                assert result is Reason.UNKNOWN_SERVICE
            elif priority == "vip":
                assert result is Reason.UNKNOWN_PRIORITY
            else:
                assert isinstance(result, list)
                issued = result[-1]
                assert isinstance(issued, ev.TicketIssued)
                assert (issued.service_id, issued.priority) == (self.service_id(service), priority)

    @rule(counter=indices, gap=gaps)
    def call_next(self, counter: int, gap: int) -> None:
        counter_id = self.counter_id(counter)
        before = copy.deepcopy(self.state)
        result = self.execute(cmd.CallNext(counter_id), gap)
        if counter_id not in before.counters:
            assert result is Reason.UNKNOWN_COUNTER
            return
        if before.counters[counter_id].paused:
            assert result is Reason.COUNTER_PAUSED
            return
        assert self.setup is not None
        setup_counter = self.setup.counter(counter_id)
        assert setup_counter is not None
        expired = before.waiting if before.day != self.day_of(self.now) else {}
        eligible = self.eligible(before, setup_counter, expired)
        if isinstance(result, Reason):
            assert result is Reason.NOTHING_WAITING
            assert not eligible
            return
        called = result[-1]
        assert isinstance(called, ev.TicketCalled)
        serving_before = before.counters[counter_id].serving_ticket_id
        if serving_before is not None:
            finished = result[-2]
            assert isinstance(finished, ev.ServiceFinished)
            assert (finished.ticket_id, finished.outcome) == (serving_before, None)
        # the choice follows the policy: FIFO within the class, strict or interleaved between classes
        chosen = next(t for t in eligible if t.id == called.ticket_id)
        same_class = [t for t in eligible if (t.priority is None) == (chosen.priority is None)]
        assert chosen.queue_key == min(t.queue_key for t in same_class)
        assert called.segment == chosen.segment + 1
        other_class_waits = len(same_class) < len(eligible)
        if other_class_waits:
            since = before.counters[counter_id].normals_since_priority
            strict = self.setup.priority_policy is PriorityPolicy.STRICT
            if chosen.priority is None:
                assert not strict and since < self.setup.interleave_every
            else:
                assert strict or since >= self.setup.interleave_every

    def day_of(self, moment: datetime) -> date:
        return (moment + timedelta(minutes=420)).date()

    @rule(counter=indices, gap=gaps)
    def recall(self, counter: int, gap: int) -> None:
        self.expect_serving_rule(cmd.Recall(self.counter_id(counter)), gap)

    @rule(counter=indices, gap=gaps)
    def skip(self, counter: int, gap: int) -> None:
        self.expect_serving_rule(cmd.SkipTicket(self.counter_id(counter)), gap)

    @rule(
        counter=indices,
        outcome=st.sampled_from([None, *Outcome]),
        dossier=st.sampled_from([None, "H26.99-250303-0001"]),
        gap=gaps,
    )
    def finish(self, counter: int, outcome: Outcome | None, dossier: str | None, gap: int) -> None:
        self.expect_serving_rule(cmd.FinishService(self.counter_id(counter), outcome, dossier), gap)

    def expect_serving_rule(self, command: cmd.Recall | cmd.SkipTicket | cmd.FinishService, gap: int) -> None:
        known = command.counter_id in self.state.counters
        serving = known and self.state.counters[command.counter_id].serving_ticket_id
        result = self.execute(command, gap)
        if not known:
            assert result is Reason.UNKNOWN_COUNTER
        elif not serving:
            assert result is Reason.NOT_SERVING
        else:
            assert isinstance(result, list)
            assert getattr(result[-1], "ticket_id", None) == serving

    @precondition(lambda self: bool(self.issued))
    @rule(pick=st.integers(0, 10_000), no_show=st.booleans(), gap=gaps)
    def requeue(self, pick: int, no_show: bool, gap: int) -> None:
        absent = [t.id for t in self.state.tickets.values() if t.status is TicketStatus.NO_SHOW]
        choices = absent if no_show and absent else list(self.state.tickets) if pick % 5 else []
        choices = choices or self.issued
        ticket_id = choices[pick % len(choices)]
        before = self.state.tickets.get(ticket_id)
        since = before.status_since if before else None
        status = before.status if before else None
        result = self.execute(cmd.Requeue(ticket_id), gap)
        if isinstance(result, list):
            assert status is TicketStatus.NO_SHOW
            assert since is not None
            assert self.now - since <= timedelta(seconds=self.setup.no_show_grace_seconds if self.setup else 0)
            assert self.state.tickets[ticket_id].status is TicketStatus.WAITING
        elif before is None:
            assert result is Reason.UNKNOWN_TICKET
        else:
            assert result in (Reason.NOT_NO_SHOW, Reason.GRACE_EXPIRED)

    @rule(requeue_unknown=st.just("T0"), gap=gaps)
    def requeue_unknown(self, requeue_unknown: str, gap: int) -> None:
        assert self.execute(cmd.Requeue(requeue_unknown), gap) is Reason.UNKNOWN_TICKET

    @rule(
        counter=indices,
        to_service=st.none() | indices,
        to_counter=st.none() | indices,
        to_front=st.booleans(),
        gap=gaps,
    )
    def transfer(self, counter: int, to_service: int | None, to_counter: int | None, to_front: bool, gap: int) -> None:
        counter_id = self.counter_id(counter)
        serving = self.state.counters[counter_id].serving_ticket_id if counter_id in self.state.counters else None
        command = cmd.Transfer(
            counter_id,
            None if to_service is None else self.service_id(to_service),
            None if to_counter is None else self.counter_id(to_counter),
            to_front,
        )
        result = self.execute(command, gap)
        if isinstance(result, list):
            moved = result[-1]
            assert isinstance(moved, ev.TicketTransferred)
            assert moved.ticket_id == serving
            ticket = self.state.tickets[moved.ticket_id]
            assert ticket.status is TicketStatus.WAITING
            assert (ticket.service_id, ticket.target_counter_id) == (moved.to_service_id, moved.to_counter_id)
            if to_front:
                line = [t for t in self.state.waiting.values() if t.service_id == ticket.service_id]
                assert all(t.queue_key[0] == 0 for t in line if t.queue_key < ticket.queue_key)
        elif serving is not None:
            assert result in (Reason.UNKNOWN_SERVICE, Reason.UNKNOWN_COUNTER, Reason.SAME_DESTINATION)
        elif counter_id in self.state.counters:
            assert result is Reason.NOT_SERVING
        else:
            assert result is Reason.UNKNOWN_COUNTER

    @rule(counter=indices, level=indices, by_id=st.booleans(), gap=gaps)
    def rate(self, counter: int, level: int, by_id: bool, gap: int) -> None:
        assert self.setup is not None
        counter_id = self.counter_id(counter)
        scale = self.setup.rating_scale
        code = scale[level % len(scale)].code if level < UNKNOWN else "bogus"
        before = copy.deepcopy(self.state.counters.get(counter_id))
        rated_before = set(self.state.rated)
        ticket_id = None
        if by_id and before is not None and before.last_finished is not None:
            ticket_id = before.last_finished[0]
        result = self.execute(cmd.RateService(counter_id, code, ticket_id), gap)
        if not isinstance(result, list):
            if before is not None and code == "bogus":
                assert result is Reason.UNKNOWN_RATING_LEVEL
            return
        assert before is not None and self.setup is not None
        rated = result[-1]
        assert isinstance(rated, ev.TicketRated)
        assert (rated.ticket_id, rated.segment) not in rated_before
        if rated.ticket_id != before.serving_ticket_id:
            assert before.last_finished is not None
            finished_id, segment, finished_at = before.last_finished
            assert (rated.ticket_id, rated.segment) == (finished_id, segment)
            assert self.now - finished_at <= timedelta(seconds=self.setup.rating_window_seconds)

    @rule(counter=indices, wrong_way=st.integers(0, 4), gap=gaps)
    def pause_or_resume(self, counter: int, wrong_way: int, gap: int) -> None:
        """Resume a paused counter, pause a running one; once in five the pointless opposite."""
        counter_id = self.counter_id(counter)
        paused = counter_id in self.state.counters and self.state.counters[counter_id].paused
        if paused == (wrong_way == 0):
            self.toggle(cmd.PauseCounter(counter_id), gap, paused_after=True)
        else:
            self.toggle(cmd.ResumeCounter(counter_id), gap, paused_after=False)

    @rule(
        counter=indices,
        then=st.sampled_from(["finish", "skip", "transfer", "rate", "rate_later", "leave"]),
        other=indices,
        arrivals=st.integers(0, 2),
        gaps=st.tuples(gaps, gaps),
    )
    def serve(self, counter: int, then: str, other: int, arrivals: int, gaps: tuple[int, int]) -> None:
        """A whole visit at a counter: citizens arrive for its services, a call, then what the officer does."""
        assert self.setup is not None
        served = _pick(self.setup.counters, counter)
        if served is not None and arrivals:
            service = self.setup.services.index(self.setup.service(served.service_ids[other % len(served.service_ids)]))
            self.issue(service, "merit" if other % 3 == 0 else None, arrivals, 0)
        self.call_next(counter, gaps[0])
        if then == "finish":
            self.finish(counter, Outcome.DOSSIER_RECEIVED, None, gaps[1])
        elif then == "skip":
            self.skip(counter, gaps[1])
        elif then == "transfer":
            if other % 2:  # someone already waits in the destination line
                self.issue(other, None, 1, 0)
            to_counter = None if other % 3 == 1 else (counter + 1) % UNKNOWN  # mostly another counter
            self.transfer(counter, other if other % 2 else None, to_counter, other % 4 < 2, gaps[1])
        elif then == "rate":
            self.rate(counter, other, False, gaps[1])
            self.finish(counter, None, None, 0)
            self.rate(counter, other + 1, other % 2 == 0, 0)  # a second press: already rated
        elif then == "rate_later":
            self.finish(counter, Outcome.GUIDANCE_ONLY, None, gaps[1])
            self.rate(counter, other, other % 2 == 0, gaps[1] // 2)

    def toggle(self, command: cmd.PauseCounter | cmd.ResumeCounter, gap: int, paused_after: bool) -> None:
        known = command.counter_id in self.state.counters
        paused_before = known and self.state.counters[command.counter_id].paused
        result = self.execute(command, gap)
        if not known:
            assert result is Reason.UNKNOWN_COUNTER
        elif paused_before == paused_after:
            assert result is (Reason.COUNTER_PAUSED if paused_after else Reason.COUNTER_NOT_PAUSED)
        else:
            assert isinstance(result, list)
            assert self.state.counters[command.counter_id].paused is paused_after

    @rule(counter=indices, staff=indices, gap=gaps)
    def sign_in(self, counter: int, staff: int, gap: int) -> None:
        assert self.setup is not None
        member = _pick(self.setup.staff, staff)
        counter_id, staff_id = self.counter_id(counter), member.id if member else "ghost"
        result = self.execute(cmd.SignIn(counter_id, staff_id), gap)
        if counter_id not in self.state.counters:
            assert result is Reason.UNKNOWN_COUNTER
        elif member is None:
            assert result is Reason.UNKNOWN_STAFF
        else:
            assert isinstance(result, list)
            assert self.state.counters[counter_id].staff_id == staff_id

    @rule(counter=indices, gap=gaps)
    def sign_out(self, counter: int, gap: int) -> None:
        self.execute(cmd.SignOut(self.counter_id(counter)), gap)

    @precondition(lambda self: len(self.events) % 4 == 0)  # now and then, not every other step
    @rule(policy=st.sampled_from(PriorityPolicy), every=st.integers(1, 3), gap=gaps)
    def reconfigure(self, policy: PriorityPolicy, every: int, gap: int) -> None:
        """The office changes its priority policy mid-day: counters and lines carry on."""
        assert self.setup is not None
        self.setup = replace(self.setup, priority_policy=policy, interleave_every=every)
        counters_before = copy.deepcopy(self.state.counters)
        result = self.execute(cmd.ConfigureOffice(self.setup), gap)
        assert isinstance(result, list)
        assert self.state.counters == counters_before

    @rule(gap=gaps)
    def wait(self, gap: int) -> None:
        self.now += timedelta(seconds=gap)

    # -- invariants -------------------------------------------------------------------------------------
    @invariant()
    def numbers_are_gapless_per_service_and_day(self) -> None:
        numbers: dict[tuple[str, date], list[int]] = defaultdict(list)
        for event in self.events:
            if isinstance(event, ev.TicketIssued):
                numbers[event.service_id, event.day].append(event.number)
                assert self.setup is not None
                service = self.setup.service(event.service_id)
                assert service is not None
                assert event.label == f"{service.prefix}{event.number:0{self.setup.number_width}d}"
                assert event.day == self.day_of(event.at)
        for issued in numbers.values():
            assert issued == list(range(1, len(issued) + 1))

    @invariant()
    def every_ticket_is_in_exactly_one_place(self) -> None:
        s = self.state
        waiting = {t.id for t in s.tickets.values() if t.status is TicketStatus.WAITING}
        assert set(s.waiting) == waiting
        assert all(s.tickets[k] is t for k, t in s.waiting.items())
        serving_at = Tally(c.serving_ticket_id for c in s.counters.values() if c.serving_ticket_id is not None)
        assert all(n == 1 for n in serving_at.values()), "a ticket is served at two counters"
        serving = {t.id for t in s.tickets.values() if t.status is TicketStatus.SERVING}
        assert set(serving_at) == serving
        for counter in s.counters.values():
            if counter.serving_ticket_id is not None:
                assert s.tickets[counter.serving_ticket_id].counter_id == counter.id
        today = [t for t in s.tickets.values() if t.day == s.day]
        assert all(t.status is not TicketStatus.EXPIRED for t in today)
        keys = [t.queue_key for t in s.waiting.values()]
        assert len(set(keys)) == len(keys)

    @invariant()
    def nothing_waits_from_before_the_day_started(self) -> None:
        """Waiting and no-show tickets of earlier days expired at the start of the day."""
        started = [e.at for e in self.events if isinstance(e, ev.DayStarted)]
        for ticket in self.state.tickets.values():
            if ticket.status in (TicketStatus.WAITING, TicketStatus.NO_SHOW):
                assert ticket.status_since is not None and ticket.status_since >= started[-1]

    @invariant()
    def issued_tickets_of_today_are_all_known(self) -> None:
        today = [e.ticket_id for e in self.events if isinstance(e, ev.TicketIssued) and e.day == self.state.day]
        assert set(today) <= set(self.state.tickets)

    @invariant()
    def each_segment_is_rated_at_most_once(self) -> None:
        ratings = Tally((e.ticket_id, e.segment) for e in self.events if isinstance(e, ev.TicketRated))
        assert all(n == 1 for n in ratings.values())

    @invariant()
    def staff_sessions_are_balanced(self) -> None:
        """Per counter the log reads in, out, in, out...: nobody is replaced without being signed out."""
        at_counter: dict[str, str | None] = defaultdict(lambda: None)
        for event in self.events:
            if isinstance(event, ev.StaffSignedIn):
                assert at_counter[event.counter_id] in (None, event.staff_id)
                at_counter[event.counter_id] = event.staff_id
            elif isinstance(event, ev.StaffSignedOut):
                assert at_counter[event.counter_id] == event.staff_id
                at_counter[event.counter_id] = None
        assert {k: v for k, v in at_counter.items() if v} == {
            c.id: c.staff_id for c in self.state.counters.values() if c.staff_id
        }

    @invariant()
    def state_is_the_replay_of_its_events(self) -> None:
        assert QueueState.replay(self.events) == self.state
        assert self.state.event_count == len(self.events)

    @invariant()
    def events_round_trip_through_the_codec(self) -> None:
        for event in self.events[self.encoded :]:
            encoded = event_to_dict(event)
            assert event_from_dict(encoded) == event
            assert event_from_dict(json.loads(json.dumps(encoded))) == event
        self.encoded = len(self.events)


EngineMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineMachine = EngineMachine.TestCase
