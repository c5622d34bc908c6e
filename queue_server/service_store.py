"""The service's side of the store's health: what it answers, shows and publishes while the database fails.

Split from ``service.py`` (``OfficeService`` inherits it) so that the request path stays readable: here is the
read-only start, ``server/status`` with the store's problem, the ``store_unavailable`` / ``read_only`` replies,
the check that a commit reported as failed was not stored after all, and ``tick`` (free space, a failing store
tried again, the WAL checkpoint) which the ingest thread runs between batches.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from queue_server.contract import messages as msg
from queue_server.contract import topics
from queue_server.contract.payloads import Reply, ServerStatus
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.state import QueueState
from queue_server.live import LiveOffice
from queue_server.store import db
from queue_server.store.event_store import EventStore
from queue_server.store.health import ServerReadOnly, StoreHealth
from queue_server.store.replay import ReplayError, ReplayProblem, replay_store

logger = logging.getLogger("queue_server.service")
PROBE_SECONDS = 2.0
"""While the store is failing, ``tick`` tries it this often, so the alarm clears without waiting for a request."""
WAL_CHECKPOINT_SECONDS = 300.0


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = msg.QOS


class StoreUpkeep:
    """Mixed into ``OfficeService``, whose ``__init__`` sets these."""

    office_id: str
    state: QueueState
    store: EventStore
    live: LiveOffice
    health: StoreHealth
    read_only: ReplayProblem | None
    _seq: int
    _uncertain: bool
    _status_sent: tuple[object, ...] | None
    _probed: float
    _checkpointed: float
    _checkpoint_every: float

    def retained_state(self, only_changed: bool = True, touched: list[ev.Event] | None = None) -> list[Publish]:
        raise NotImplementedError

    def _stamp(self) -> str:
        raise NotImplementedError

    def _start_read_only(self, exc: ReplayError) -> list[Publish]:
        """Serve what can be read (pages, export), change nothing: better than not starting at all."""
        self.state, self._seq, self.read_only = exc.state, exc.last_seq, exc.problem
        logger.error(
            "replay stopped at seq=%d event_id=%s: %s. The server starts READ-ONLY: every request is refused with "
            "read_only; the pages show the office as of seq %d. `motcua events export` saves the rest of the log.",
            exc.problem.seq,
            exc.problem.event_id,
            exc.problem.reason,
            exc.last_seq,
        )
        self.health.set_read_only(str(exc.problem))
        self._show_health()
        return self._status_publishes() + self.retained_state(only_changed=False)

    def status_publish(self) -> Publish:
        """``server/status``, retained: online, and what is wrong with the store when something is."""
        status = self.health.status
        problem = status.problem
        body = ServerStatus(online=True, store=problem and problem.value, reason=status.reason if problem else None)
        return Publish(topics.server_status(self.office_id), body.encode(), retain=True)

    def _show_health(self) -> None:
        self.live.store_status(self.health.status)

    def _status_publishes(self) -> list[Publish]:
        """``server/status`` again if the store's health changed since it was last published."""
        self._show_health()
        key = self.health.status.shown()
        if key == self._status_sent:
            return []
        self._status_sent = key
        return [self.status_publish()]

    def tick(self, quiet: bool = True) -> list[Publish]:
        """Between batches, on the ingest thread: free space, a failing store tried again, the WAL checkpoint.

        ``quiet``: nothing is waiting to be handled (the checkpoint waits for such a moment, up to twice its
        interval). Returns what to publish (``server/status`` when the store's health changed).
        """
        with self.live.writing():
            out: list[Publish] = []
            self.health.check_space()
            now = time.monotonic()
            if self.health.failing and self.read_only is None and now - self._probed >= PROBE_SECONDS:
                self._probed = now
                count = self.state.event_count
                try:
                    self._reconcile()
                    self.store.last_seq()
                    self.health.succeeded(wrote=False)
                except ServerReadOnly:
                    pass
                except Exception as exc:
                    self.health.failed(exc, writing=False)
                if self.state.event_count != count:
                    out += self.retained_state()
            since = now - self._checkpointed
            if since >= self._checkpoint_every * (1 if quiet else 2) and not self.health.failing:
                self._checkpointed = now
                self._checkpoint()
            return out + self._status_publishes()

    def _checkpoint(self) -> None:
        try:
            result = db.checkpoint_wal(self.store.engine)
        except Exception as exc:
            logger.warning("WAL checkpoint failed: %s", exc)
            return
        if result is not None:
            busy, frames, done = result
            logger.debug("WAL checkpoint (TRUNCATE): busy=%d frames=%d checkpointed=%d", busy, frames, done)

    def _reconcile(self) -> None:
        """After a failed commit, before anything else: was it stored after all (the connection lost after the
        COMMIT)? Then its events are applied from the store, and its devices' resends get the stored replies."""
        if not self._uncertain:
            return
        last = self.store.last_seq()
        if last > self._seq:
            try:
                replayed = replay_store(self.store, self.state, after_seq=self._seq)
            except ReplayError as exc:
                self._start_read_only(exc)
                raise ServerReadOnly(str(exc.problem)) from exc
            logger.warning(
                "a commit reported as failed was stored after all: events seq %d-%d applied from the store",
                self._seq + 1,
                replayed.last_seq,
            )
            self._seq = replayed.last_seq
        self._uncertain = False

    def _refused_for_space(self, command: cmd.Command) -> bool:
        """Under the free-space floor new tickets wait; the people already in line are still served."""
        return isinstance(command, cmd.IssueTicket) and self.health.refuses_new_tickets

    def _not_now(self, device_id: str, request_id: str) -> Publish:
        """``store_unavailable`` or ``read_only``: nothing decided, nothing remembered; the device resends."""
        if self.read_only is not None:
            code, reason = msg.ErrorCode.READ_ONLY, str(self.read_only)
        else:
            code, reason = msg.ErrorCode.STORE_UNAVAILABLE, self.health.status.reason or "the store is unavailable"
        reply = Reply.refused(request_id, code.value, reason, self._stamp()).payload()
        return Publish(topics.reply(self.office_id, device_id), msg.encode(reply))
