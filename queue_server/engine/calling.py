"""The calling rule: which waiting ticket a counter takes next. One rule, used by the engine when it decides
``CallNext``, by the staff console's list (``call_order``) and by the forecast that runs the rule forward.

It lives apart from ``decide`` so that every reader of "who comes next" uses the same three functions instead
of a copy that drifts: ``serves`` (which tickets a counter may call), ``takes_priority`` (which line it calls
from now) and the line order itself, ``Ticket.queue_key`` (smallest first).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from queue_server.engine.setup import Counter, OfficeSetup, PriorityPolicy


class Waiting(Protocol):
    """What the rule reads of a waiting ticket (``engine.state.Ticket`` has it; so do lighter stand-ins)."""

    @property
    def service_id(self) -> str: ...
    @property
    def target_counter_id(self) -> str | None: ...
    @property
    def priority(self) -> str | None: ...
    @property
    def queue_key(self) -> tuple[int, int]: ...


T = TypeVar("T", bound=Waiting)


def serves(counter: Counter, service_id: str, target_counter_id: str | None) -> bool:
    """A ticket sent to a counter waits for that counter only; any other waits for every counter of its service."""
    return target_counter_id == counter.id or (target_counter_id is None and service_id in counter.service_ids)


def takes_priority(setup: OfficeSetup, normals_since_priority: int, has_priority: bool, has_normal: bool) -> bool:
    """Whether the counter's next call comes from the priority line: under strict whenever one waits, under
    interleave after every ``interleave_every`` normal calls at this counter (or when no normal ticket waits)."""
    return has_priority and (
        not has_normal
        or setup.priority_policy is PriorityPolicy.STRICT
        or normals_since_priority >= setup.interleave_every
    )


def choose_next(setup: OfficeSetup, normals_since_priority: int, candidates: Iterable[T]) -> T:
    """The ticket the counter calls next among ``candidates`` (already those it serves; at least one)."""
    priority: T | None = None
    normal: T | None = None
    for t in candidates:
        if t.priority is not None:
            if priority is None or t.queue_key < priority.queue_key:
                priority = t
        elif normal is None or t.queue_key < normal.queue_key:
            normal = t
    if takes_priority(setup, normals_since_priority, priority is not None, normal is not None):
        assert priority is not None
        return priority
    if normal is None:
        raise ValueError("choose_next needs at least one candidate")
    return normal


def call_order(candidates: Iterable[T], setup: OfficeSetup, normals_since_priority: int) -> list[T]:
    """The order repeated calls at one counter would take these tickets, if nothing else changed: ``choose_next``
    run forward, in one sort per line and a merge instead of one full scan per call."""
    items = list(candidates)
    priority = sorted((t for t in items if t.priority is not None), key=lambda t: t.queue_key)
    normal = sorted((t for t in items if t.priority is None), key=lambda t: t.queue_key)
    out: list[T] = []
    p = n = 0
    normals = normals_since_priority
    while p < len(priority) or n < len(normal):
        if takes_priority(setup, normals, p < len(priority), n < len(normal)):
            out.append(priority[p])
            p, normals = p + 1, 0
        else:
            out.append(normal[n])
            n, normals = n + 1, normals + 1
    return out
