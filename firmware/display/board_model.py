"""What the hall board shows, and which calls it must announce: pure, fed retained messages, no I/O.

Feed ``update(topic, payload)`` with every retained state message (``state/board``, ``state/counters/+``,
``state/waiting``, ``server/status``) and ``set_link`` with the link status; ask ``view()`` what to draw.

- **Calls** come from the board's ``recent`` list (newest first). A call the model has not seen before, i.e. a
  new ``(label, at, counter)`` entry, is returned by ``update`` to be announced, oldest first; a recall is such
  a new entry for a label already shown. The first board message after start is history: shown, not announced.
- **The newest call** is highlighted, and flashes for ``flash_seconds`` after it arrived (the injected clock).
- **Never a stale "now serving"**: a call is current only if the board says ``serving`` *and* the counter's own
  state (when known) serves that label; with the link or the server down nothing is current and a banner says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from queue_server.contract import topics
from queue_server.contract.messages import ContractError
from queue_server.contract.payloads import BoardCall, BoardState, CounterState, ServerStatus, WaitingState

logger = logging.getLogger(__name__)
LINK_LOST_BANNER = "MẤT KẾT NỐI — thông tin trên bảng có thể chưa cập nhật"
SERVER_OFFLINE_BANNER = "MÁY CHỦ TẠM NGỪNG — thông tin trên bảng có thể chưa cập nhật"
CallKey = tuple[str, str, str]


@dataclass(frozen=True)
class Announcement:
    label: str
    counter_number: int


@dataclass(frozen=True)
class CallRow:
    label: str
    counter_number: int | None
    current: bool
    """Still being served at that counter, as far as the latest counter state says."""
    highlighted: bool = False
    flashing: bool = False
    """The newest call, in its first ``flash_seconds``."""
    flash_on: bool = False
    """While flashing: True in the bright phase, False in the dark one."""


@dataclass(frozen=True)
class CounterRow:
    number: int
    label: str | None
    paused: bool


@dataclass(frozen=True)
class BoardView:
    calls: tuple[CallRow, ...]
    counters: tuple[CounterRow, ...]
    waiting: tuple[tuple[str, int], ...]
    banner: str | None

    @property
    def stale(self) -> bool:
        return self.banner is not None


class HallBoardModel:
    """See the module docstring. Thread-safe: the link thread updates, the drawing loop reads."""

    def __init__(
        self,
        office_id: str,
        services: Mapping[str, str] | None = None,
        *,
        max_calls: int = 6,
        flash_seconds: float = 6.0,
        flash_period: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = dict(services or {})
        self.max_calls, self.flash_seconds, self.flash_period = max_calls, flash_seconds, flash_period
        self.clock = clock
        self.office_id = office_id
        self._board_topic = topics.board_state(office_id)
        self._waiting_topic = topics.waiting_state(office_id)
        self._server_topic = topics.server_status(office_id)
        self._counter_prefix = topics.counter_state(office_id, "")
        self._recent: list[BoardCall] | None = None
        self._seen: set[CallKey] = set()
        self._arrived: dict[CallKey, float] = {}
        self._counters: dict[str, CounterState] = {}
        self._waiting: dict[str, int] = {}
        self._server_online: bool | None = None
        self._link = False
        self._lock = threading.Lock()
        self.notice_source: Callable[[bool], str | None] | None = None
        """Given the link state, what to say about the office copy (``OfficeFeed.notice``), shown as the banner
        when nothing worse is."""

    def set_services(self, services: Mapping[str, str]) -> None:
        """New field names (a new office copy): the waiting rows are relabelled from the next view on."""
        with self._lock:
            self.services = dict(services)

    @property
    def primed(self) -> bool:
        """A board message has arrived: from now on, new calls are announced."""
        with self._lock:
            return self._recent is not None

    def state_topics(self) -> tuple[str, ...]:
        """What the DeviceLink must subscribe to."""
        return (self._counter_prefix + "+", self._board_topic, self._waiting_topic, self._server_topic)

    # -- input ----------------------------------------------------------------------------------------------------
    def set_link(self, connected: bool) -> None:
        with self._lock:
            self._link = connected

    def update(self, topic: str, data: dict[str, Any]) -> list[Announcement]:
        """Take one retained message; returns the calls to announce now, oldest first."""
        where = topics.parse_topic(topic)
        if where is None or where.office != self.office_id:
            return []
        try:
            with self._lock:
                if where.kind == "board_state":
                    return self._board(BoardState.parse(data))
                if where.kind == "server_status":
                    self._server_online = ServerStatus.says_online(data)
                elif where.kind == "waiting_state":
                    self._waiting = dict(WaitingState.parse(data).waiting)
                elif where.kind == "counter_state":
                    state = CounterState.parse(data)
                    self._counters[state.counter_id] = state
        except ContractError as exc:
            logger.warning("hall board: %s not taken: %s", where.kind, exc.message)
        return []

    def _board(self, board: BoardState) -> list[Announcement]:
        recent = list(board.recent)
        first = self._recent is None
        self._recent = recent
        keys = [_key(e) for e in recent]
        fresh = [] if first else [(k, e) for k, e in zip(keys, recent, strict=True) if k not in self._seen]
        now = self.clock()
        announce = []
        for key, entry in reversed(fresh):  # the list is newest first; announce in the order they were called
            self._arrived[key] = now
            if entry.counter_number is not None:
                announce.append(Announcement(entry.label, entry.counter_number))
        self._seen = set(keys)
        self._arrived = {k: t for k, t in self._arrived.items() if k in self._seen}
        return announce

    # -- output ---------------------------------------------------------------------------------------------------
    def view(self) -> BoardView:
        notice = self.notice_source(self._link) if self.notice_source is not None else None
        with self._lock:
            now = self.clock()
            banner = None
            if not self._link:
                banner = LINK_LOST_BANNER
            elif self._server_online is False:
                banner = SERVER_OFFLINE_BANNER
            live = banner is None
            if notice:  # on the cached office copy: said (after a worse problem), the calls stay live
                banner = f"{banner} · {notice}" if banner else notice
            return BoardView(self._calls(now, live), self._counter_rows(live), self._waiting_rows(), banner)

    def _calls(self, now: float, live: bool) -> tuple[CallRow, ...]:
        rows: list[CallRow] = []
        shown: set[str] = set()
        for entry in self._recent or []:
            label = entry.label
            if label in shown:  # a recall puts the same ticket on top again: show it once, at its newest call
                continue
            shown.add(label)
            current = live and entry.serving and self._counter_serves(entry.counter_id, label)
            if not rows and current:
                age = now - self._arrived.get(_key(entry), float("-inf"))
                flashing = 0 <= age < self.flash_seconds
                flash_on = flashing and int(age / self.flash_period) % 2 == 0
                rows.append(
                    CallRow(label, entry.counter_number, True, highlighted=True, flashing=flashing, flash_on=flash_on)
                )
            else:
                rows.append(CallRow(label, entry.counter_number, current))
            if len(rows) == self.max_calls:
                break
        return tuple(rows)

    def _counter_serves(self, counter_id: str, label: str) -> bool:
        state = self._counters.get(counter_id)
        if state is None:
            return True  # no counter state yet: the board's own flag is all there is
        return state.serving is not None and state.serving.label == label

    def _counter_rows(self, live: bool) -> tuple[CounterRow, ...]:
        rows = []
        for state in self._counters.values():
            if state.number is None:
                continue
            label = state.serving.label if live and state.serving is not None else None
            rows.append(CounterRow(state.number, label, state.paused))
        return tuple(sorted(rows, key=lambda r: r.number))

    def _waiting_rows(self) -> tuple[tuple[str, int], ...]:
        order = [*self.services, *sorted(set(self._waiting) - set(self.services))]
        return tuple((self.services.get(s, s), self._waiting[s]) for s in order if s in self._waiting)


def _key(entry: BoardCall) -> CallKey:
    return (entry.label, str(entry.at), entry.counter_id)
