"""A counter unit: staff buttons and rating buttons turned into requests, rating lights driven by retained state.

Rules that matter at a real counter:

* **At most one staff command in flight.** A press while the previous one is unanswered is ignored, not queued:
  a nervous double press of "next" must not call two citizens.
* **Staff commands are refused while the link is down** (the status light blinks). They are not stored to be sent
  later: "next" pressed during an outage would call someone minutes after the staff member gave up.
* **Ratings are always accepted and queued** in the link's durable outbox, so a citizen's rating given during an
  outage still arrives. One rating per service, carrying the ticket id, so it lands on the right service.
* **Rating lights** are lit while the counter serves someone (from the retained ``state/counters/{id}`` topic) and
  for ``rating_window_seconds`` after that service ends, then go out; they go out at once after a rating.
* **Transfer is chosen, then confirmed** (``firmware.transfer``): a short press of "transfer" shows a target field
  on the counter display, further presses cycle, a hold (``transfer_hold``) sends it; left alone it times out.
* **Online** means the link is up *and* the server says it is (``server/status``, when ``server_topic`` is
  given): with the server down a "next" would only wait in the broker, so it is refused like in an outage.

The unit talks to a ``Link`` (``DeviceLink`` in production), a ``Panel`` (``GpioCounterPanel`` on a Pi) and
optionally a ``ChoiceDisplay`` (the counter display model); time comes from ``clock`` so tests need not
sleep. Wire the link's ``on_reply``/``on_state`` to the unit's methods and call ``tick()`` about twice a second
(``run_ticker`` does this).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from firmware.transfer import TransferChoice, TransferChooser
from queue_server.contract import topics
from queue_server.contract.link import Link
from queue_server.contract.messages import ContractError
from queue_server.contract.payloads import CounterState, Reply, ServerStatus

logger = logging.getLogger(__name__)
STAFF_REQUESTS = {"next": "call_next", "recall": "recall", "skip": "skip", "transfer_hold": "transfer"}
"""Button name -> request type; "pause" becomes "pause" or "resume" from the counter's state; a short press of
"transfer" only chooses the target (no request)."""


class Panel(Protocol):
    on_staff: Callable[[str], object] | None
    on_rating: Callable[[str], object] | None

    def set_rating_lights(self, on: bool) -> None: ...

    def set_status(self, online: bool) -> None: ...

    def close(self) -> None: ...


class Announcer(Protocol):
    def announce(self, label: str, counter_number: int) -> None: ...


class ChoiceDisplay(Protocol):
    def set_transfer(self, choice: TransferChoice | None) -> None: ...


class CounterUnit:
    def __init__(
        self,
        link: Link,
        panel: Panel,
        counter_id: str,
        *,
        device_id: str = "counter",
        rating_window_seconds: float = 60.0,
        reply_timeout_seconds: float = 20.0,
        transfer_targets: list[tuple[str, str]] | None = None,
        transfer_timeout_seconds: float = 10.0,
        display: ChoiceDisplay | None = None,
        server_topic: str | None = None,
        announcer: Announcer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link, self.panel, self.counter_id, self.device_id = link, panel, counter_id, device_id
        self.rating_window_seconds = rating_window_seconds
        self.reply_timeout_seconds = reply_timeout_seconds
        self.transfer = TransferChooser(transfer_targets or [], timeout_seconds=transfer_timeout_seconds, clock=clock)
        self.display, self.server_topic = display, server_topic
        self.announcer, self.clock = announcer, clock
        self._lock = threading.RLock()
        self._in_flight: tuple[str, str, float] | None = None  # (request id, type, sent at)
        self._serving: str | None = None
        self._ended: tuple[str, float] | None = None  # (ticket id, when its service ended)
        self._rated: deque[str] = deque(maxlen=32)
        self._paused = False
        self._number: int | None = None
        self._serving_service: str | None = None
        self._server_online: bool | None = None
        self._choice_shown: TransferChoice | None = None
        panel.on_staff = self.press
        panel.on_rating = self.rate
        self.tick()

    # -- inputs ---------------------------------------------------------------------------------------------------
    def press(self, button: str) -> str | None:
        """A staff button; returns the request id sent, or None when the press was ignored."""
        with self._lock:
            online = self.online
            self.panel.set_status(online)
            if not online:
                logger.warning("counter=%s %s refused: no link to the server", self.counter_id, button)
                return None
            if button == "transfer":
                self._step_transfer()
                return None
            if self._in_flight is not None:
                request_id, kind, sent_at = self._in_flight
                if self.clock() - sent_at < self.reply_timeout_seconds:
                    logger.info("counter=%s %s ignored: %s still unanswered", self.counter_id, button, kind)
                    return None
                logger.warning("counter=%s no reply to %s %s; accepting presses again", self.counter_id, kind,
                               request_id)  # fmt: skip
            if button == "pause":
                kind = "resume" if self._paused else "pause"
            elif button in STAFF_REQUESTS:
                kind = STAFF_REQUESTS[button]
            else:
                raise ValueError(f"unknown staff button {button!r}")
            body: dict[str, Any] = {"counter_id": self.counter_id}
            if kind == "transfer":
                choice = self.transfer.take()
                self._show_choice(None)
                if choice is None:
                    logger.info("counter=%s transfer hold ignored: press transfer first", self.counter_id)
                    return None
                body["to_service_id"] = choice.service_id
            request_id = self._new_id()
            self._in_flight = (request_id, kind, self.clock())
        # Staff commands live only until the press is stale: never replayed after an outage (ratings are).
        self.link.submit(kind, body, request_id, ttl=self.reply_timeout_seconds)
        logger.info("counter=%s sent %s (%s)", self.counter_id, kind, request_id)
        return request_id

    def rate(self, level: str) -> str | None:
        """A rating button; returns the request id queued, or None when nothing may be rated now."""
        with self._lock:
            ticket_id = self._rateable()
            if ticket_id is None:
                logger.info("counter=%s rating %s ignored: nothing to rate", self.counter_id, level)
                return None
            self._rated.append(ticket_id)
            self._refresh_lights()
            request_id = self._new_id()
        self.link.submit("rate", {"counter_id": self.counter_id, "level": level, "ticket_id": ticket_id}, request_id)
        return request_id

    def on_reply(self, reply: dict[str, Any]) -> None:
        try:
            answer = Reply.parse(reply)
        except ContractError as exc:
            logger.warning("counter=%s unreadable reply: %s", self.counter_id, exc.message)
            return
        with self._lock:
            if self._in_flight is None or answer.id != self._in_flight[0]:
                if not answer.ok:
                    logger.warning("counter=%s request %s refused: %s", self.counter_id, answer.id, answer.error)
                return
            kind = self._in_flight[1]
            self._in_flight = None
        if not answer.ok:
            logger.warning("counter=%s %s refused: %s", self.counter_id, kind, answer.error)
            return
        try:
            ticket = answer.ticket()
        except ContractError as exc:
            logger.warning("counter=%s %s: %s", self.counter_id, kind, exc.message)
            return
        label = ticket.label if ticket is not None else None
        if self.announcer is not None and kind in ("call_next", "recall") and label and self._number:
            self.announcer.announce(label, self._number)

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        """Retained ``state/counters/{id}``: who is being served, paused or not; ``server/status``: online."""
        if topic == self.server_topic:
            with self._lock:
                self._server_online = ServerStatus.says_online(data)
                self.panel.set_status(self.online)
                if not self._server_online:
                    self._cancel_transfer("server offline")
            return
        where = topics.parse_topic(topic)
        if where is None or where.kind != "counter_state" or where.id != self.counter_id:
            return  # the unit's private view (the masked name) is the display model's, not the counter's state
        try:
            state = CounterState.parse(data)
        except ContractError as exc:
            logger.warning("counter=%s state not taken: %s", self.counter_id, exc.message)
            return
        if state.counter_id != self.counter_id:
            return
        with self._lock:
            ticket_id = state.serving.ticket_id if state.serving else None
            if self._serving is not None and ticket_id != self._serving:
                self._ended = (self._serving, self.clock())
            if ticket_id != self._serving or state.paused:
                self._cancel_transfer("the counter's ticket changed")
            self._serving = ticket_id
            self._serving_service = state.serving.service_id if state.serving else None
            self._paused = state.paused
            self._number = state.number if state.number is not None else self._number
            self._refresh_lights()

    def tick(self) -> None:
        """Follow the clock and the link: rating lights and a transfer choice time out, the status light."""
        with self._lock:
            online = self.online
            self.panel.set_status(online)
            self._refresh_lights()
            if not online:
                self._cancel_transfer("offline")
            elif self._choice_shown is not None and self.transfer.current() is None:
                logger.info("counter=%s transfer choice timed out", self.counter_id)
                self._show_choice(None)

    def run_ticker(self, stop: threading.Event, interval: float = 0.5) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.tick()
                except Exception:
                    logger.exception("counter=%s tick failed", self.counter_id)

        thread = threading.Thread(target=loop, name=f"{self.counter_id}-tick", daemon=True)
        thread.start()
        return thread

    # -- transfer -------------------------------------------------------------------------------------------------
    def _step_transfer(self) -> None:
        if self._serving is None or self._paused:
            logger.info("counter=%s transfer ignored: nobody is being served", self.counter_id)
            return
        choice = self.transfer.step(exclude=self._serving_service)
        if choice is None:
            logger.warning("counter=%s transfer ignored: no other field configured", self.counter_id)
        self._show_choice(choice)

    def _cancel_transfer(self, why: str) -> None:
        if self.transfer.cancel() or self._choice_shown is not None:
            logger.info("counter=%s transfer choice cancelled: %s", self.counter_id, why)
            self._show_choice(None)

    def _show_choice(self, choice: TransferChoice | None) -> None:
        self._choice_shown = choice
        if self.display is not None:
            self.display.set_transfer(choice)

    # -- state ----------------------------------------------------------------------------------------------------
    @property
    def online(self) -> bool:
        """The link is up and the server has not said it is offline."""
        return self.link.connected and self._server_online is not False

    @property
    def transfer_choice(self) -> TransferChoice | None:
        with self._lock:
            return self.transfer.current()

    @property
    def busy(self) -> bool:
        """A staff command is waiting for its reply."""
        return self._in_flight is not None

    @property
    def rating_open(self) -> bool:
        with self._lock:
            return self._rateable() is not None

    def _rateable(self) -> str | None:
        if self._serving is not None:
            return None if self._serving in self._rated else self._serving
        if self._ended is not None:
            ticket_id, ended_at = self._ended
            if self.clock() - ended_at <= self.rating_window_seconds and ticket_id not in self._rated:
                return ticket_id
        return None

    def _refresh_lights(self) -> None:
        self.panel.set_rating_lights(self._rateable() is not None)

    def _new_id(self) -> str:
        return f"{self.device_id}-{uuid.uuid4().hex[:20]}"
