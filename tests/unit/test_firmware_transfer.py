"""Transfer by one button on gpiozero's MockFactory: a press shows a field, presses cycle, a hold sends it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from firmware.counter_unit import CounterUnit
from firmware.display.counter_model import CounterDisplayModel
from firmware.transfer import TransferChooser
from hardware.gpio_buttons import GpioCounterPanel
from hardware.gpio_pinmap import PINMAPS, load_pinmap
from hardware.serial_display import frame_for
from queue_server.contract import topics
from tests.fakes import MonotonicClock
from tests.unit.test_firmware_counter_unit import FakeLink

PINMAP = load_pinmap(PINMAPS / "rpi-4b-counter.toml")
TARGETS = [("ho-tich", "Hộ tịch"), ("dat-dai", "Đất đai"), ("cu-tru", "Đăng ký, quản lý cư trú")]
HOLD = 0.05
COUNTER_TOPIC = topics.counter_state("tuan-giao", "quay-1")
SERVER_TOPIC = topics.server_status("tuan-giao")


def state(ticket_id: str | None, service_id: str = "ho-tich", *, paused: bool = False) -> dict[str, Any]:
    serving = (
        {"ticket_id": ticket_id, "label": "A007", "service_id": service_id, "priority": False} if ticket_id else None
    )
    return {"v": 1, "counter_id": "quay-1", "number": 1, "paused": paused, "serving": serving}


@pytest.fixture()
def panel(mock_factory: MockFactory) -> Iterator[GpioCounterPanel]:
    with GpioCounterPanel(PINMAP, hold_seconds=HOLD, bounce_seconds=None) as p:
        yield p


class Rig:
    def __init__(self, panel: GpioCounterPanel, factory: MockFactory) -> None:
        self.link, self.clock, self.factory = FakeLink(), MonotonicClock(), factory
        self.model = CounterDisplayModel("tuan-giao", "quay-1", services=dict(TARGETS))
        self.model.set_link(True)
        self.unit = CounterUnit(self.link, panel, "quay-1", device_id="counter-1", transfer_targets=TARGETS,
                                transfer_timeout_seconds=10, display=self.model, server_topic=SERVER_TOPIC,
                                clock=self.clock)  # fmt: skip
        self.serve("t-1")

    def serve(self, ticket_id: str | None, **kwargs: Any) -> None:
        data = state(ticket_id, **kwargs)
        self.unit.on_state(COUNTER_TOPIC, data)
        self.model.on_state(COUNTER_TOPIC, data)

    def tap(self) -> None:
        pin = self.factory.pin(PINMAP.staff["transfer"])
        pin.drive_low()
        pin.drive_high()

    def hold(self) -> None:
        pin = self.factory.pin(PINMAP.staff["transfer"])
        pin.drive_low()
        deadline = time.monotonic() + 5
        while not self.link.sent and time.monotonic() < deadline:  # gpiozero's hold thread fires when_held
            time.sleep(HOLD / 5)
        pin.drive_high()

    def shown(self) -> str:
        view = self.model.view()
        return view.mode if view.mode != "transfer" else f"transfer {view.service} {view.position}"


@pytest.fixture()
def rig(panel: GpioCounterPanel, mock_factory: MockFactory) -> Rig:
    return Rig(panel, mock_factory)


def test_a_press_shows_the_first_other_field_and_further_presses_cycle(rig: Rig) -> None:
    assert rig.shown() == "serving"
    rig.tap()
    assert rig.shown() == "transfer Đất đai 1/2"  # the ticket's own field (Hộ tịch) is not offered
    rig.tap()
    assert rig.shown() == "transfer Đăng ký, quản lý cư trú 2/2"
    rig.tap()
    assert rig.shown() == "transfer Đất đai 1/2"
    assert rig.link.sent == []  # choosing sends nothing


def test_a_hold_confirms_the_field_shown(rig: Rig) -> None:
    rig.tap()
    rig.tap()
    rig.hold()
    assert [(t, b) for t, b, _ in rig.link.sent] == [("transfer", {"counter_id": "quay-1", "to_service_id": "cu-tru"})]
    assert rig.shown() == "serving" and rig.unit.transfer_choice is None
    assert rig.link.ttls["transfer"] == rig.unit.reply_timeout_seconds  # volatile like every staff command


def test_the_end_of_a_hold_does_not_move_the_choice_on(rig: Rig) -> None:
    rig.tap()
    rig.hold()
    rig.unit.on_reply({"id": rig.link.sent[0][2], "ok": True, "result": {}})
    assert rig.link.sent[0][1]["to_service_id"] == "dat-dai"
    assert rig.shown() == "serving"


def test_a_hold_without_a_choice_sends_nothing(rig: Rig) -> None:
    pin = rig.factory.pin(PINMAP.staff["transfer"])
    pin.drive_low()
    time.sleep(HOLD * 6)
    pin.drive_high()
    assert rig.link.sent == [] and rig.shown() == "serving"


def test_a_choice_left_alone_times_out(rig: Rig) -> None:
    rig.tap()
    rig.clock.now += 9
    rig.unit.tick()
    assert rig.shown().startswith("transfer")
    rig.clock.now += 2
    rig.unit.tick()
    assert rig.shown() == "serving"
    rig.hold()
    assert rig.link.sent == []  # the timed-out choice cannot be confirmed
    rig.tap()
    assert rig.shown() == "transfer Đất đai 1/2"  # and the next press starts again at the first field


@pytest.mark.parametrize("event", ["next ticket", "paused", "server offline", "link lost"])
def test_a_choice_is_cancelled_when_the_counter_moves_on(rig: Rig, event: str) -> None:
    rig.tap()
    if event == "next ticket":
        rig.serve("t-2")
    elif event == "paused":
        rig.serve("t-1", paused=True)
    elif event == "server offline":
        rig.unit.on_state(SERVER_TOPIC, {"online": False})
    else:
        rig.link.connected = False
        rig.unit.tick()
    assert rig.unit.transfer_choice is None
    assert not rig.shown().startswith("transfer")


def test_nothing_to_transfer_when_nobody_is_served(rig: Rig) -> None:
    rig.serve(None)
    rig.tap()
    assert rig.shown() == "idle" and rig.unit.transfer_choice is None


def test_staff_commands_are_refused_while_the_server_is_offline(rig: Rig) -> None:
    rig.unit.on_state(SERVER_TOPIC, {"online": False})
    rig.model.on_state(SERVER_TOPIC, {"online": False})
    rig.factory.pin(PINMAP.staff["next"]).drive_low()
    rig.factory.pin(PINMAP.staff["next"]).drive_high()
    assert rig.link.sent == []
    assert rig.model.view().mode == "link_lost"
    states, deadline = set(), time.monotonic() + 3  # and the status light blinks, as in an outage
    while time.monotonic() < deadline and len(states) < 2:
        states.add(bool(rig.factory.pin(PINMAP.status_led).state))
        time.sleep(0.02)
    assert states == {True, False}


def test_the_led_board_shows_the_choice_transliterated() -> None:
    model = CounterDisplayModel("tuan-giao", "quay-1")
    model.set_link(True)
    model.on_state(COUNTER_TOPIC, {**state("t-1"), "number": 3})
    model.set_transfer(TransferChooser(TARGETS).step(exclude="ho-tich"))
    data = frame_for(model.view())
    assert data == bytes.fromhex("02 54 44 41 54 20 44 41 49 20 20 20 20 20 20 20 43 48 55 59 45 4e 03 46")
    model.set_transfer(TransferChooser([("cu-tru", "Đăng ký, quản lý cư trú")]).step())
    assert frame_for(model.view())[1:22] == b"TDANG KY, QUA  CHUYEN"  # cut to the board's 12 characters


def test_the_chooser_offers_nothing_when_no_other_field_exists() -> None:
    chooser = TransferChooser([("ho-tich", "Hộ tịch")])
    assert chooser.step(exclude="ho-tich") is None and chooser.take() is None
