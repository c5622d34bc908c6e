"""The office's log replayed into its queue state, or exactly which event stopped the replay, and why.

Why: a corrupt or hand-edited log (a payload that does not decode, a call of a ticket that was never issued)
used to stop the server with a bare traceback, so the office could not even export its log. ``replay_store``
raises ``ReplayError`` naming the event (seq and id), with the state as far as it got; the service then starts
read-only (docs/architecture.md, "What the server promises under each failure").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from queue_server.contract.errors import MotcuaError
from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import EventNotApplicable, QueueState
from queue_server.store.event_store import CorruptEventError, EventStore


@dataclass(frozen=True)
class ReplayProblem:
    seq: int
    event_id: str
    reason: str

    def __str__(self) -> str:
        return f"event seq {self.seq} (id {self.event_id}) cannot be replayed: {self.reason}"


class ReplayError(MotcuaError):
    """The replay stopped at ``problem``; ``state`` holds every event before it (``last_seq``)."""

    def __init__(self, problem: ReplayProblem, state: QueueState, last_seq: int) -> None:
        super().__init__(str(problem))
        self.problem, self.state, self.last_seq = problem, state, last_seq


@dataclass
class Replayed:
    state: QueueState
    last_seq: int
    """The seq of the last event applied (``after_seq`` if there was none)."""
    setups: set[OfficeSetup] = field(default_factory=set)
    """Every office setup recorded in the events replayed."""
    last_at: datetime | None = None
    """The ``at`` of the last event applied: the floor of every stamp after a restart (``trusted_clock``)."""


def replay_store(store: EventStore, state: QueueState | None = None, after_seq: int = 0) -> Replayed:
    """Apply the store's events after ``after_seq`` to ``state`` (a new one by default)."""
    done = Replayed(QueueState() if state is None else state, after_seq)
    try:
        for stored in store.events(after_seq=after_seq):
            try:
                done.state.apply(stored.event)
            except EventNotApplicable as exc:
                problem = ReplayProblem(stored.seq, stored.event_id, str(exc))
                raise ReplayError(problem, done.state, done.last_seq) from exc
            if isinstance(stored.event, ev.OfficeConfigured):
                done.setups.add(stored.event.setup)
            done.last_seq, done.last_at = stored.seq, stored.event.at
    except CorruptEventError as exc:
        raise ReplayError(ReplayProblem(exc.seq, exc.event_id, exc.reason), done.state, done.last_seq) from exc
    return done
