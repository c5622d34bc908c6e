"""The console's queue order (``call_order``) is the order the engine's own choice takes, call after call."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from queue_server.config import load_settings
from queue_server.engine.calling import choose_next
from queue_server.engine.setup import PriorityPolicy
from queue_server.engine.state import CounterState, Ticket
from queue_server.queue_order import call_order

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _tickets(kinds: list[tuple[bool, bool]]) -> list[Ticket]:
    """(priority?, put at the front by a transfer?) per ticket, in the order they joined the line."""
    return [
        Ticket(
            f"t{i}",
            "ho-tich",
            i,
            f"A{i:03d}",
            date(2026, 11, 23),
            "pregnant" if prio else None,
            AT,
            queue_key=(0 if front else 1, i),
        )
        for i, (prio, front) in enumerate(kinds, start=1)
    ]


@given(
    kinds=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=12),
    policy=st.sampled_from(list(PriorityPolicy)),
    every=st.integers(min_value=1, max_value=4),
    normals_since=st.integers(min_value=0, max_value=5),
)
def test_call_order_matches_the_engines_choice_call_after_call(
    kinds: list[tuple[bool, bool]], policy: PriorityPolicy, every: int, normals_since: int
) -> None:
    setup = replace(load_settings().office_setup(), priority_policy=policy, interleave_every=every)
    tickets = _tickets(kinds)
    counter = CounterState("quay-1", normals_since_priority=normals_since)
    left, engine_order = list(tickets), []
    while left:
        chosen = choose_next(setup, counter.normals_since_priority, left)
        engine_order.append(chosen.label)
        left.remove(chosen)
        counter.normals_since_priority = 0 if chosen.priority else counter.normals_since_priority + 1
    assert [t.label for t in call_order(tickets, setup, normals_since)] == engine_order


def test_strict_policy_puts_every_priority_ticket_first() -> None:
    setup = replace(load_settings().office_setup(), priority_policy=PriorityPolicy.STRICT)
    tickets = _tickets([(False, False), (True, False), (False, False), (True, False)])
    assert [t.label for t in call_order(tickets, setup, 0)] == ["A002", "A004", "A001", "A003"]
