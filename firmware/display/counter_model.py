"""What a counter's own display shows, from the counter's retained state and the link: pure, no I/O.

The display above a counter shows the ticket being served there ("A025"), the counter ("Quầy 3") and the field
("Hộ tịch"). It never shows a number it cannot vouch for: while the link or the server is down it says
"MẤT KẾT NỐI", while the counter is paused "TẠM DỪNG", and with nobody at the counter a dash. While staff
choose where to transfer the citizen (``set_transfer``), it shows the field chosen ("transfer" mode).

``wait_changed`` lets a display runner sleep until something changed instead of polling: the press-to-display
latency is then the broker's, not a polling period's.

Example::

    model = CounterDisplayModel("tuan-giao", "quay-3", services={"dat-dai": "Đất đai"}, device_id="counter-3")
    model.on_state(topics.counter_state("tuan-giao", "quay-3"), retained_payload)
    model.set_link(link.connected)
    display.show(model.view())
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from hardware.counter_view import Mode
from queue_server.contract import payloads, topics
from queue_server.contract.masked_name import is_masked_name
from queue_server.contract.messages import ContractError

if TYPE_CHECKING:
    from firmware.transfer import TransferChoice

logger = logging.getLogger(__name__)
Parsed = TypeVar("Parsed", bound=payloads.Payload)
PAUSED_TEXT = "TẠM DỪNG"
LINK_LOST_TEXT = "MẤT KẾT NỐI"
IDLE_TEXT = "---"
TRANSFER_TEXT = "CHUYỂN"


@dataclass(frozen=True)
class CounterView:
    """One screenful: ``label`` in modes "serving" and "transfer"; ``counter_number`` when known. The display
    drivers read it as ``hardware.counter_view.CounterView``.

    In "transfer" mode ``service`` is the field chosen as the target and ``position`` says "2/3".
    ``display_name`` is the citizen's masked name ("Nguyễn V. A."), in "serving" mode only and only when the
    office lets the kiosk send it; anything that is not a masked name is not shown. It comes from the unit's own
    private topic (``dev/{device}/view``), never from the public counter state every device may read.
    """

    mode: Mode
    counter_number: int | None
    label: str | None = None
    service: str | None = None
    position: str | None = None
    display_name: str | None = None
    notice: str | None = None
    """A line about the unit's copy of the office ("Đang dùng cấu hình lưu sẵn ..."), for screens with room."""

    @property
    def counter_text(self) -> str:
        return f"Quầy {self.counter_number}" if self.counter_number is not None else "Quầy"

    @property
    def headline(self) -> str:
        """The big text: the ticket number, or the state that replaces it."""
        if self.mode == "serving" and self.label:
            return self.label
        if self.mode == "transfer" and self.service:
            return f"→ {self.service}"
        return {"paused": PAUSED_TEXT, "link_lost": LINK_LOST_TEXT}.get(self.mode, IDLE_TEXT)


class CounterDisplayModel:
    """Feed it ``on_state`` (the DeviceLink callback) and ``set_link``; ask ``view()``. Thread-safe."""

    def __init__(
        self,
        office_id: str,
        counter_id: str,
        *,
        services: Mapping[str, str] | None = None,
        number: int | None = None,
        device_id: str | None = None,
    ) -> None:
        """``device_id``: this unit's own id, whose private view carries the masked name (none without it)."""
        self.counter_id = counter_id
        self._view_topic = topics.device_view(office_id, device_id) if device_id else None
        self._private: payloads.CounterView | None = None
        self.services = dict(services or {})
        self._counter_topic = topics.counter_state(office_id, counter_id)
        self._server_topic = topics.server_status(office_id)
        self._number = number
        self._state: payloads.CounterState | None = None
        self._server_online: bool | None = None
        self._link = False
        self._transfer: TransferChoice | None = None
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self.notice_source: Callable[[bool], str | None] | None = None
        """Given the link state, what to say about the office copy (``OfficeFeed.notice``); None: nothing."""

    def set_services(self, services: Mapping[str, str]) -> None:
        """New field names (a new office copy): shown from the next view on."""
        with self._lock:
            self.services = dict(services)
        self._changed.set()

    def state_topics(self) -> tuple[str, ...]:
        """What the DeviceLink must subscribe to for this model."""
        own = (self._view_topic,) if self._view_topic else ()
        return (self._counter_topic, self._server_topic, *own)

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        with self._lock:
            if topic == self._server_topic:
                self._server_online = payloads.ServerStatus.says_online(data)
            elif topic == self._view_topic:
                view = _parsed(payloads.CounterView, data) if data else None  # empty: cleared (unit revoked)
                self._private = view if view is not None and view.counter_id == self.counter_id else None
            elif topic == self._counter_topic:
                state = _parsed(payloads.CounterState, data)
                if state is not None and state.counter_id == self.counter_id:
                    self._state = state
                    self._number = state.number if state.number is not None else self._number
        self._changed.set()

    def set_link(self, connected: bool) -> None:
        with self._lock:
            self._link = connected

    def set_transfer(self, choice: TransferChoice | None) -> None:
        """The transfer target staff are choosing (None: no choice in progress)."""
        with self._lock:
            self._transfer = choice
        self._changed.set()

    def wait_changed(self, timeout: float) -> bool:
        """Sleep until new state or a transfer choice arrives (True) or ``timeout`` passes (False)."""
        changed = self._changed.wait(timeout)
        self._changed.clear()
        return changed

    def view(self) -> CounterView:
        notice = self.notice_source(self._link) if self.notice_source is not None else None
        view = self._view()
        return dataclasses.replace(view, notice=notice) if notice else view

    def _view(self) -> CounterView:
        with self._lock:
            if not self._link or self._server_online is False or self._state is None:
                return CounterView("link_lost", self._number)
            if self._state.paused:
                return CounterView("paused", self._number)
            serving = self._state.serving
            if serving is None or not serving.label:
                return CounterView("idle", self._number)
            if self._transfer is not None:
                choice = self._transfer
                return CounterView("transfer", self._number, serving.label, choice.name, choice.position)
            private = self._private.serving if self._private is not None else None
            mine = private is not None and private.ticket_id == serving.ticket_id
            name = private.display_name if mine and private is not None else None
            return CounterView(
                "serving",
                self._number,
                serving.label,
                self.services.get(serving.service_id),
                display_name=name if is_masked_name(name) else None,
            )


def _parsed(model: type[Parsed], data: dict[str, Any]) -> Parsed | None:
    """The payload as ``model``, or None (logged) if it does not fit: the display keeps what it showed."""
    try:
        return model.parse(data)
    except ContractError as exc:
        logger.warning("display: state not taken: %s", exc.message)
        return None
