"""Retained views rebuilt only for what events touched must never go stale: after every command, the views
kept up to date incrementally equal the views built from scratch."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from queue_server.config import load_settings
from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.errors import CommandRejected
from queue_server.engine.setup import Outcome
from queue_server.engine.state import QueueState
from queue_server.views import retained_views

OFFICE = "tuan-giao"


def random_command(rng: random.Random, state: QueueState) -> cmd.Command:
    setup = state.setup
    assert setup is not None
    counter = rng.choice(setup.counters).id
    service = rng.choice(setup.services).id
    choices: list[cmd.Command] = [
        cmd.IssueTicket(service, rng.choice([None, None, "elderly_60"])),
        cmd.IssueTicket(service),
        cmd.CallNext(counter),
        cmd.CallNext(counter),
        cmd.Recall(counter),
        cmd.SkipTicket(counter),
        cmd.Transfer(counter, to_service_id=service),
        cmd.FinishService(counter, rng.choice(list(Outcome))),
        cmd.RateService(counter, rng.choice(["satisfied", "dissatisfied"])),
        cmd.PauseCounter(counter),
        cmd.ResumeCounter(counter),
        cmd.SignIn(counter, "nv-lan"),
    ]
    if state.tickets:
        choices.append(cmd.Requeue(rng.choice(sorted(state.tickets))))
    return rng.choice(choices)


@pytest.mark.parametrize("seed", range(8))
def test_incremental_views_equal_full_views(seed: int) -> None:
    rng = random.Random(seed)
    ids = (f"t{i}" for i in itertools.count())
    state = QueueState()
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for event in decide(state, cmd.ConfigureOffice(load_settings().office_setup()), now, lambda: next(ids)):
        state.apply(event)
    published = retained_views(state, OFFICE)
    for _ in range(400):
        now += timedelta(seconds=rng.choice([5, 30, 300, 3600 * 6]))
        try:
            events = decide(state, random_command(rng, state), now, lambda: next(ids))
        except CommandRejected:
            continue
        for event in events:
            state.apply(event)
        published.update(retained_views(state, OFFICE, events))
        assert published == retained_views(state, OFFICE)
        counted = Counter(t.service_id for t in state.waiting.values())
        assert {k: v for k, v in state.waiting_counts().items() if v} == dict(counted)
        for ticket in state.waiting.values():  # the fast path for the newest ticket agrees with a full count
            ahead = sum(
                1
                for o in state.waiting.values()
                if o.service_id == ticket.service_id and o.queue_key < ticket.queue_key
            )
            assert state.people_ahead(ticket.id) == ahead
