"""What a counter's own display shows, from the counter's retained state and the link: pure, no I/O.

The display above a counter shows the ticket being served there ("A025"), the counter ("Quầy 3") and the field
("Hộ tịch"). It never shows a number it cannot vouch for: while the link or the server is down it says
"MẤT KẾT NỐI", while the counter is paused "TẠM DỪNG", and with nobody at the counter a dash.

Example::

    model = CounterDisplayModel("tuan-giao", "quay-3", services={"dat-dai": "Đất đai"})
    model.on_state(topics.counter_state("tuan-giao", "quay-3"), retained_payload)
    model.set_link(link.connected)
    display.show(model.view())
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from queue_server.contract import topics

Mode = Literal["serving", "idle", "paused", "link_lost"]
PAUSED_TEXT = "TẠM DỪNG"
LINK_LOST_TEXT = "MẤT KẾT NỐI"
IDLE_TEXT = "---"


@dataclass(frozen=True)
class CounterView:
    """One screenful: ``label`` only in mode "serving"; ``counter_number`` when known."""

    mode: Mode
    counter_number: int | None
    label: str | None = None
    service: str | None = None

    @property
    def counter_text(self) -> str:
        return f"Quầy {self.counter_number}" if self.counter_number is not None else "Quầy"

    @property
    def headline(self) -> str:
        """The big text: the ticket number, or the state that replaces it."""
        if self.mode == "serving" and self.label:
            return self.label
        return {"paused": PAUSED_TEXT, "link_lost": LINK_LOST_TEXT}.get(self.mode, IDLE_TEXT)


class CounterDisplayModel:
    """Feed it ``on_state`` (the DeviceLink callback) and ``set_link``; ask ``view()``. Thread-safe."""

    def __init__(
        self, office_id: str, counter_id: str, *, services: Mapping[str, str] | None = None, number: int | None = None
    ) -> None:
        self.counter_id = counter_id
        self.services = dict(services or {})
        self._counter_topic = topics.counter_state(office_id, counter_id)
        self._server_topic = topics.server_status(office_id)
        self._number = number
        self._state: dict[str, Any] | None = None
        self._server_online: bool | None = None
        self._link = False
        self._lock = threading.Lock()

    def state_topics(self) -> tuple[str, ...]:
        """What the DeviceLink must subscribe to for this model."""
        return (self._counter_topic, self._server_topic)

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        with self._lock:
            if topic == self._server_topic:
                self._server_online = bool(data.get("online"))
            elif topic == self._counter_topic and data.get("counter_id") == self.counter_id:
                self._state = data
                if isinstance(data.get("number"), int):
                    self._number = data["number"]

    def set_link(self, connected: bool) -> None:
        with self._lock:
            self._link = connected

    def view(self) -> CounterView:
        with self._lock:
            if not self._link or self._server_online is False or self._state is None:
                return CounterView("link_lost", self._number)
            if self._state.get("paused"):
                return CounterView("paused", self._number)
            serving = self._state.get("serving")
            if not isinstance(serving, dict) or not serving.get("label"):
                return CounterView("idle", self._number)
            service_id = str(serving.get("service_id") or "")
            return CounterView("serving", self._number, str(serving["label"]), self.services.get(service_id))
