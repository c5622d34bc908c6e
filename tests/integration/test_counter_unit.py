"""A counter unit on gpiozero's MockFactory against a real office (embedded broker, SQLite, server process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from firmware.counter_main import load_config, run
from firmware.counter_unit import CounterUnit
from hardware.gpio_buttons import GpioCounterPanel
from hardware.gpio_pinmap import PINMAPS, load_pinmap
from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.contract import topics
from queue_server.contract.device_link import DeviceLink
from queue_server.engine import events as ev
from tests.fakes import wait_until

PINMAP = load_pinmap(PINMAPS / "rpi-4b-counter.toml")


@pytest.fixture()
def office(tmp_path: Path) -> Iterator[OfficeUnderTest]:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1")})
    office.start_server()
    try:
        yield office
    finally:
        office.stop_server()


@pytest.fixture()
def unit(office: OfficeUnderTest, mock_factory: MockFactory) -> Iterator[tuple[CounterUnit, DeviceLink]]:
    link = office.link("counter-1", state_topics=(topics.counter_state(office.office_id, "quay-1"),))
    with GpioCounterPanel(PINMAP, bounce_seconds=None) as panel:
        counter = CounterUnit(link, panel, "quay-1", device_id="counter-1")
        link.on_reply, link.on_state = counter.on_reply, counter.on_state
        with link:
            assert link.wait_connected(10)
            yield counter, link


def press(factory: MockFactory, bcm: int) -> None:
    factory.pin(bcm).drive_low()
    factory.pin(bcm).drive_high()


def lit(factory: MockFactory, bcm: int) -> bool:
    return bool(factory.pin(bcm).state)


def ratings(office: OfficeUnderTest) -> list[ev.TicketRated]:
    store = open_store(office.settings)
    try:
        return [s.event for s in store.events() if isinstance(s.event, ev.TicketRated)]
    finally:
        store.close()


def issue(office: OfficeUnderTest) -> str:
    with office.link("kiosk-1") as kiosk:
        assert kiosk.wait_connected(10)
        reply = kiosk.request("issue_ticket", {"service_id": "ho-tich"})
        assert reply is not None and reply["ok"], reply
        return str(reply["result"]["ticket"]["ticket_id"])


def test_next_lights_the_rating_buttons_and_a_rating_is_stored(
    office: OfficeUnderTest, unit: tuple[CounterUnit, DeviceLink], mock_factory: MockFactory
) -> None:
    counter, link = unit
    ticket_id = issue(office)
    very_satisfied = PINMAP.ratings[0]
    assert not lit(mock_factory, very_satisfied.led)
    press(mock_factory, PINMAP.staff["next"])
    assert counter.busy
    wait_until(lambda: not counter.busy, "the reply to call_next")
    wait_until(lambda: lit(mock_factory, very_satisfied.led), "rating lights from the retained counter state")
    press(mock_factory, very_satisfied.button)
    assert not lit(mock_factory, very_satisfied.led)
    wait_until(lambda: link.pending() == 0, "the rating to be answered")
    rated = ratings(office)
    assert [(r.ticket_id, r.counter_id, r.level) for r in rated] == [(ticket_id, "quay-1", "very_satisfied")]


def test_outage_refuses_staff_commands_but_delivers_ratings(
    office: OfficeUnderTest, unit: tuple[CounterUnit, DeviceLink], mock_factory: MockFactory
) -> None:
    counter, link = unit
    ticket_id = issue(office)
    press(mock_factory, PINMAP.staff["next"])
    wait_until(lambda: counter.rating_open and not counter.busy, "the ticket to be served")
    office.stop_server()  # the embedded broker stops with it
    wait_until(lambda: not link.connected, "the link to drop")
    press(mock_factory, PINMAP.staff["skip"])  # refused, never sent
    assert not counter.busy
    press(mock_factory, PINMAP.ratings[2].button)  # accepted into the outbox
    assert link.pending() == 1
    office.start_server()
    wait_until(lambda: link.connected and link.pending() == 0, "the queued rating to be delivered", timeout=30)
    assert [(r.ticket_id, r.level) for r in ratings(office)] == [(ticket_id, "dissatisfied")]
    store = open_store(office.settings)
    try:
        skipped = [s for s in store.events() if isinstance(s.event, ev.TicketSkipped)]
    finally:
        store.close()
    assert skipped == []


def test_the_composition_root_runs_a_unit_from_its_config(
    office: OfficeUnderTest, mock_factory: MockFactory, tmp_path: Path
) -> None:
    password = tmp_path / "counter-1.password"
    password.write_text(office.passwords["counter-1"] + "\n")
    config = tmp_path / "counter.toml"
    config.write_text(
        f'[link]\noffice_id = "{office.office_id}"\ndevice_id = "counter-1"\npassword_file = "{password}"\n'
        f'port = {office.port}\noutbox = "{tmp_path / "outbox.db"}"\n'
        '[counter]\nid = "quay-1"\n[panel]\nkind = "gpio"\nbounce_seconds = 0\n'
    )
    stop = threading.Event()
    runner = threading.Thread(target=run, args=(load_config(config), stop), daemon=True)
    runner.start()
    try:
        wait_until(lambda: lit(mock_factory, PINMAP.status_led), "the status light (link up)")
        ticket_id = issue(office)
        press(mock_factory, PINMAP.staff["next"])
        wait_until(lambda: lit(mock_factory, PINMAP.ratings[1].led), "rating lights")
        press(mock_factory, PINMAP.ratings[1].button)
        wait_until(lambda: bool(ratings(office)), "the rating to be stored")
        assert [(r.ticket_id, r.level) for r in ratings(office)] == [(ticket_id, "satisfied")]
    finally:
        stop.set()
        runner.join(15)
    assert not runner.is_alive()
