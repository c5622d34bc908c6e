"""Counter unit on gpiozero's MockFactory: presses become requests, one in flight, rating lights from state."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from firmware.counter_unit import CounterUnit
from hardware.gpio_buttons import GpioCounterPanel
from hardware.gpio_pinmap import PINMAPS, load_pinmap
from queue_server.contract import topics
from queue_server.contract.messages import SCHEMA_VERSION, parse_request
from queue_server.contract.payloads import CounterState, ServingTicket
from queue_server.contract.permissions import MAY_SEND, DeviceKind
from tests.fakes import MonotonicClock

PINMAP = load_pinmap(PINMAPS / "rpi-4b-counter.toml")


class FakeLink:
    """A DeviceLink stand-in that checks every request against the MQTT contract and records it."""

    def __init__(self) -> None:
        self.connected = True
        self.sent: list[tuple[str, dict[str, Any], str]] = []
        self.ttls: dict[str, float | None] = {}

    def submit(
        self, request_type: str, body: dict[str, Any], request_id: str | None = None, *, ttl: float | None = None
    ) -> str:
        assert request_id is not None
        payload = json.dumps({"v": SCHEMA_VERSION, "id": request_id, "type": request_type, "body": body})
        envelope, _ = parse_request(payload.encode(), 4096)
        assert envelope.type in MAY_SEND[DeviceKind.COUNTER]
        self.sent.append((request_type, body, request_id))
        self.ttls[request_type] = ttl
        return request_id

    @property
    def types(self) -> list[str]:
        return [t for t, _, _ in self.sent]


@pytest.fixture()
def panel(mock_factory: MockFactory) -> Iterator[GpioCounterPanel]:
    with GpioCounterPanel(PINMAP, hold_seconds=0.05, bounce_seconds=None) as p:
        yield p


def press(factory: MockFactory, bcm: int) -> None:
    pin = factory.pin(bcm)
    pin.drive_low()
    pin.drive_high()


def lit(factory: MockFactory, bcm: int) -> bool:
    return bool(factory.pin(bcm).state)


COUNTER_TOPIC = topics.counter_state("tuan-giao", "quay-1")


def serving(ticket_id: str | None, *, paused: bool = False) -> dict[str, Any]:
    ticket = None
    if ticket_id is not None:
        ticket = ServingTicket(ticket_id=ticket_id, label="A001", service_id="ho-tich", priority=False)
    return CounterState(counter_id="quay-1", number=1, paused=paused, serving=ticket).payload()


def make_unit(panel: GpioCounterPanel, link: FakeLink, clock: MonotonicClock | None = None) -> CounterUnit:
    return CounterUnit(
        link, panel, "quay-1", device_id="counter-1", rating_window_seconds=30, clock=clock or MonotonicClock()
    )


@pytest.mark.parametrize(("button", "request_type"), [("next", "call_next"), ("recall", "recall"), ("skip", "skip")])
def test_each_staff_button_sends_its_request(
    panel: GpioCounterPanel, mock_factory: MockFactory, button: str, request_type: str
) -> None:
    link = FakeLink()
    make_unit(panel, link)
    press(mock_factory, PINMAP.staff[button])
    assert link.types == [request_type]
    assert link.sent[0][1] == {"counter_id": "quay-1"}


def test_a_second_press_while_unanswered_is_ignored_not_queued(
    panel: GpioCounterPanel, mock_factory: MockFactory
) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    press(mock_factory, PINMAP.staff["next"])
    press(mock_factory, PINMAP.staff["next"])
    press(mock_factory, PINMAP.staff["skip"])
    assert link.types == ["call_next"] and unit.busy
    unit.on_reply({"id": link.sent[0][2], "ok": True, "result": {}})
    assert not unit.busy
    press(mock_factory, PINMAP.staff["next"])
    assert link.types == ["call_next", "call_next"]


def test_a_lost_reply_frees_the_buttons_after_the_timeout(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link, clock = FakeLink(), MonotonicClock()
    unit = make_unit(panel, link, clock)
    unit.press("next")
    clock.now += unit.reply_timeout_seconds - 1
    assert unit.press("next") is None
    clock.now += 2
    assert unit.press("next") is not None and link.types == ["call_next", "call_next"]


def test_staff_commands_are_refused_while_the_link_is_down(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    assert lit(mock_factory, PINMAP.status_led)
    link.connected = False
    press(mock_factory, PINMAP.staff["next"])
    assert link.types == [] and not unit.busy
    link.connected = True
    unit.tick()
    assert link.types == []  # nothing was kept to be sent later
    assert lit(mock_factory, PINMAP.status_led)


def test_status_light_blinks_while_offline(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    link.connected = False
    unit.tick()
    states: set[bool] = set()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and len(states) < 2:
        states.add(lit(mock_factory, PINMAP.status_led))
        time.sleep(0.02)
    assert states == {True, False}


def test_pause_needs_a_hold_and_toggles_with_state(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    pin = mock_factory.pin(PINMAP.staff["pause"])
    press(mock_factory, PINMAP.staff["pause"])  # a brush of the button does nothing
    time.sleep(0.15)
    assert link.types == []
    pin.drive_low()
    time.sleep(0.4)
    pin.drive_high()
    assert link.types == ["pause"]
    unit.on_reply({"id": link.sent[0][2], "ok": True, "result": {}})
    unit.on_state(COUNTER_TOPIC, serving(None, paused=True))
    pin.drive_low()
    time.sleep(0.4)
    pin.drive_high()
    assert link.types == ["pause", "resume"]


def test_rating_lights_follow_the_service_and_the_window(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link, clock = FakeLink(), MonotonicClock()
    unit = make_unit(panel, link, clock)
    leds = [r.led for r in PINMAP.ratings]
    assert not any(lit(mock_factory, p) for p in leds)
    unit.on_state(COUNTER_TOPIC, serving("t-1"))
    assert all(lit(mock_factory, p) for p in leds)
    unit.on_state(COUNTER_TOPIC, serving(None))  # finished: still lit during the window
    clock.now += 29
    unit.tick()
    assert all(lit(mock_factory, p) for p in leds)
    clock.now += 2
    unit.tick()
    assert not any(lit(mock_factory, p) for p in leds)
    press(mock_factory, PINMAP.ratings[0].button)  # too late: nothing sent
    assert link.sent == []


def test_one_rating_per_service_with_its_ticket(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    unit.on_state(COUNTER_TOPIC, serving("t-1"))
    press(mock_factory, PINMAP.ratings[1].button)
    press(mock_factory, PINMAP.ratings[0].button)
    assert link.sent[0][:2] == ("rate", {"counter_id": "quay-1", "level": "satisfied", "ticket_id": "t-1"})
    assert len(link.sent) == 1
    assert not any(lit(mock_factory, r.led) for r in PINMAP.ratings)
    unit.on_state(COUNTER_TOPIC, serving("t-2"))  # the next citizen may rate again
    assert all(lit(mock_factory, r.led) for r in PINMAP.ratings)


def test_the_ended_service_is_rated_within_the_window(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    unit.on_state(COUNTER_TOPIC, serving("t-1"))
    unit.on_state(COUNTER_TOPIC, serving(None))
    press(mock_factory, PINMAP.ratings[2].button)
    assert link.sent[0][1] == {"counter_id": "quay-1", "level": "dissatisfied", "ticket_id": "t-1"}


def test_ratings_are_queued_even_while_offline(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    unit.on_state(COUNTER_TOPIC, serving("t-1"))
    link.connected = False
    press(mock_factory, PINMAP.ratings[0].button)
    assert link.types == ["rate"]  # handed to the outbox, which delivers it on reconnect


def test_state_of_another_counter_is_ignored(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    unit = make_unit(panel, FakeLink())
    unit.on_state(COUNTER_TOPIC, {**serving("t-9"), "counter_id": "quay-2"})
    assert not unit.rating_open


def test_a_called_ticket_is_announced(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    calls: list[tuple[str, int]] = []

    class Recorder:
        def announce(self, label: str, counter_number: int) -> None:
            calls.append((label, counter_number))

    link = FakeLink()
    unit = CounterUnit(link, panel, "quay-1", announcer=Recorder(), clock=MonotonicClock())
    unit.on_state(COUNTER_TOPIC, serving(None))
    request_id = unit.press("next")
    unit.on_reply({"id": request_id, "ok": True, "result": {"ticket": {"ticket_id": "t-7", "label": "A007"}}})
    refused = unit.press("recall")
    unit.on_reply({"id": refused, "ok": False, "error": {"code": "not_serving"}})
    assert calls == [("A007", 1)]


def test_panel_uses_the_default_factory_and_closes_its_pins(mock_factory: MockFactory) -> None:
    panel = GpioCounterPanel(PINMAP)
    assert panel.staff_buttons["next"].pin_factory is mock_factory
    panel.close()
    panel.close()
    again = GpioCounterPanel(PINMAP)  # the pins were released
    again.close()


def test_a_failing_handler_does_not_break_the_button(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    seen: list[str] = []

    def handler(name: str) -> None:
        seen.append(name)
        raise RuntimeError("boom")

    panel.on_staff = handler
    press(mock_factory, PINMAP.staff["next"])
    press(mock_factory, PINMAP.staff["next"])
    assert seen == ["next", "next"]


def test_staff_commands_expire_but_ratings_are_durable(panel: GpioCounterPanel, mock_factory: MockFactory) -> None:
    link = FakeLink()
    unit = make_unit(panel, link)
    unit.on_state(COUNTER_TOPIC, serving("t-1"))
    press(mock_factory, PINMAP.ratings[0].button)
    unit.on_reply({"id": link.sent[-1][2], "ok": True})
    press(mock_factory, PINMAP.staff["next"])
    assert link.ttls["call_next"] == unit.reply_timeout_seconds  # dropped if stale, never replayed later
    assert link.ttls["rate"] is None  # kept in the durable outbox until delivered


def test_the_units_private_view_does_not_change_what_it_serves(
    panel: GpioCounterPanel, mock_factory: MockFactory
) -> None:
    """``dev/{device}/view`` (the masked name, for the display) names the counter too, but is not its state."""
    from queue_server.contract import topics

    link = FakeLink()
    unit = make_unit(panel, link)
    unit.on_state(topics.counter_state("tuan-giao", "quay-1"), serving(None, paused=True))
    private = {"v": 1, "counter_id": "quay-1", "serving": {"ticket_id": "t-9", "label": "A009"}}
    unit.on_state(topics.device_view("tuan-giao", "counter-1"), private)
    assert not any(lit(mock_factory, r.led) for r in PINMAP.ratings), "still paused, nobody to rate"
