"""A savepoint undoes a batch exactly: after ``rollback`` the state equals a deep copy taken before the batch.

Every event type goes through it (the savepoint copies only the tickets an event names, so an apply function that
changed anything else in place would break this test), and random days through hypothesis.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.savepoint import Savepoint
from queue_server.engine.setup import Outcome
from queue_server.engine.state import _APPLY, EventNotApplicable, QueueState, TicketStatus
from tests.unit.analytics_helpers import SETUP, START, run_steps, steps


def every_kind_of_event() -> list[ev.Event]:
    """A day and the next morning, with each event type at least once (checked below)."""

    def requeue(state: QueueState) -> cmd.Command:
        return cmd.Requeue(next(t.id for t in state.tickets.values() if t.status is TicketStatus.NO_SHOW))

    commands: list[tuple[int, cmd.Command | Callable[[QueueState], cmd.Command]]] = [
        (0, cmd.ConfigureOffice(SETUP)),
        (10, cmd.UploadCatalogue('{"procedures": []}')),
        (10, cmd.SignIn("c1", "s1")),
        (10, cmd.IssueTicket("land")),
        (10, cmd.IssueTicket("land", "elderly_60")),
        (10, cmd.IssueTicket("justice")),
        (10, cmd.CallNext("c1")),
        (10, cmd.Recall("c1")),
        (10, cmd.SkipTicket("c1")),
        (10, requeue),
        (10, cmd.CallNext("c1")),
        (10, cmd.Transfer("c1", to_service_id="justice")),
        (10, cmd.CallNext("c2")),
        (10, cmd.FinishService("c2", Outcome.DOSSIER_RECEIVED, "HS-1")),
        (10, cmd.RateService("c2", "satisfied")),
        (10, cmd.PauseCounter("c3")),
        (10, cmd.ResumeCounter("c3")),
        (10, cmd.SignOut("c1")),
        (0, cmd.BookRemote("justice", "123456")),
        (0, cmd.BookRemote("justice", "654321")),
        (10, cmd.CheckIn("123456")),
        (0, cmd.IssueTicket("business")),
        (20 * 3600, cmd.IssueTicket("land")),  # the next day: DayStarted expires what still waits
        (10, cmd.CallNext("c1")),
    ]
    state, now, ids = QueueState(), START, iter(f"T{n}" for n in range(1, 1000))
    events: list[ev.Event] = []
    for gap, order in commands:
        now += timedelta(seconds=gap)
        command = order(state) if callable(order) else order
        try:
            out = decide(state, command, now, lambda: next(ids))
        except CommandRejected:
            continue
        for event in out:
            state.apply(event)
        events += out
    return events


def rolled_back_equals_before(events: list[ev.Event], start: int, length: int) -> None:
    state = QueueState.replay(events[:start])
    before = copy.deepcopy(state)
    savepoint = Savepoint(state)
    for event in events[start : start + length]:
        savepoint.apply(event)
    savepoint.rollback()
    assert state == before
    # ... and the state is the real one, not a look-alike: the rest of the log still applies to it.
    for event in events[start:]:
        state.apply(event)
    assert state == QueueState.replay(events)


def test_the_scenario_has_every_event_type() -> None:
    assert {type(e) for e in every_kind_of_event()} == set(_APPLY)
    day_started = [e for e in every_kind_of_event() if isinstance(e, ev.DayStarted)]
    assert any(e.expired_ticket_ids for e in day_started), "a DayStarted that expires tickets"


@pytest.mark.parametrize("length", [1, 2, 5, 100])
def test_rollback_of_any_batch_restores_the_state_exactly(length: int) -> None:
    events = every_kind_of_event()
    for start in range(len(events)):
        rolled_back_equals_before(events, start, length)


@settings(max_examples=60, deadline=None)
@given(steps, st.integers(0, 200), st.integers(1, 30))
def test_rollback_on_random_days(day: list[tuple[int, int, int]], start: int, length: int) -> None:
    events, _, _ = run_steps(SETUP, day)
    rolled_back_equals_before(events, min(start, len(events)), length)


def test_a_used_savepoint_refuses_more_events() -> None:
    events = every_kind_of_event()
    savepoint = Savepoint(QueueState.replay(events[:3]))
    savepoint.rollback()
    with pytest.raises(RuntimeError):
        savepoint.apply(events[3])


def test_an_event_that_does_not_fit_raises_a_typed_error_not_an_assertion() -> None:
    events = every_kind_of_event()
    called = next(e for e in events if isinstance(e, ev.TicketCalled))
    state = QueueState.replay(events[:2])  # configured, signed in: no ticket yet
    with pytest.raises(EventNotApplicable, match="not waiting"):
        state.apply(called)
    finished = next(e for e in events if isinstance(e, ev.ServiceFinished))
    with pytest.raises(EventNotApplicable, match="ServiceFinished"):
        QueueState().apply(finished)
