"""End to end with the real server and Mosquitto: a (mock) GPIO button press on a counter unit run by its
composition root reaches the engine, and comes back as the counter display's bytes on a pty, the hall board's
state and a queued announcement; transfer is chosen on the display and confirmed by a hold."""

from __future__ import annotations

import os
import select
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from firmware.counter_main import CounterConfig, CounterUnitConfig, PanelConfig, TransferConfig, run
from firmware.display.board_model import HallBoardModel
from firmware.hall_board import HallBoard
from firmware.voice.announcer import Announcer, Call, FakePlayer
from firmware.voice.speech import Voice
from hardware.gpio_pinmap import PINMAPS, load_pinmap
from hardware.serial_display import FRAME_LENGTH, SerialCounterDisplay
from queue_server.bench.office import OfficeUnderTest
from queue_server.contract.link_config import LinkConfig
from tests.fakes import wait_until
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [
    pytest.mark.mosquitto,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]
PINMAP = load_pinmap(PINMAPS / "rpi-4b-counter.toml")
HOLD = 0.2
NAMES = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "dat-dai": "Đất đai"}


class Board:
    """What the LED board received: the pty's master side, read frame by frame."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.buffer = b""

    def until(self, wanted: bytes, timeout: float = 15.0) -> bytes:
        """Read frames until one whose command and text start with ``wanted``; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.1)[0]:
                self.buffer += os.read(self.master, 1024)
            while len(self.buffer) >= FRAME_LENGTH:
                frame, self.buffer = self.buffer[:FRAME_LENGTH], self.buffer[FRAME_LENGTH:]
                assert frame[0] == 0x02 and frame[-2] == 0x03, frame
                if frame[1:].startswith(wanted):
                    return frame
        raise AssertionError(f"no frame {wanted!r} within {timeout}s")

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def office(tmp_path: Path, mosquitto: MosquittoBroker) -> Iterator[OfficeUnderTest]:
    office = OfficeUnderTest(tmp_path / "office", port=free_port())
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "board-1": ("display", None)})
    mosquitto.start_on(office.port, office.accounts(), office_id=office.office_id)
    office.start_server()
    yield office
    office.stop_server()


def unit_config(office: OfficeUnderTest, tmp_path: Path) -> CounterUnitConfig:
    password_file = tmp_path / "counter-1.password"
    password_file.write_text(office.passwords["counter-1"])
    link = LinkConfig(office_id=office.office_id, device_id="counter-1", password_file=password_file,
                      port=office.port, outbox=tmp_path / "counter-1-outbox.db")  # fmt: skip
    return CounterUnitConfig(
        link=link,
        counter=CounterConfig(id="quay-1"),
        panel=PanelConfig(hold_seconds=HOLD, bounce_seconds=0),
        transfer=TransferConfig(targets=tuple(NAMES)),
    )


def tap(factory: MockFactory, bcm: int, held: float = 0.0) -> None:
    factory.pin(bcm).drive_low()
    time.sleep(held)
    factory.pin(bcm).drive_high()


def test_a_button_press_reaches_the_counter_display_the_hall_board_and_the_voice(
    office: OfficeUnderTest, mock_factory: MockFactory, tmp_path: Path
) -> None:
    board = Board()
    stop = threading.Event()
    hall_model = HallBoardModel(office.office_id, NAMES, flash_seconds=60)
    announcer = Announcer(Voice(None, repeats=1), FakePlayer())
    hall = HallBoard(hall_model, announcer)
    hall_link = office.link("board-1", on_state=hall.on_state, state_topics=hall_model.state_topics())
    led_board = SerialCounterDisplay(os.ttyname(board.slave), 115200)
    hardware = {"pin_factory": mock_factory, "outputs": [led_board], "service_names": NAMES}
    unit = threading.Thread(target=run, args=(unit_config(office, tmp_path), stop), kwargs=hardware)
    try:
        with hall_link, office.link("kiosk-1") as kiosk:
            unit.start()
            assert hall_link.wait_connected(10) and kiosk.wait_connected(10)
            board.until(b"N---         " + b"  QUAY 1")  # connected, nobody at the counter yet
            wait_until(lambda: hall_model.primed, "the hall board's first retained state")
            for _ in range(2):
                assert (kiosk.request("issue_ticket", {"service_id": "ho-tich"}) or {}).get("ok")

            tap(mock_factory, PINMAP.staff["next"])  # the staff member's finger
            board.until(b"NA001        " + b"  QUAY 1")
            wait_until(lambda: bool(hall.tick(hall_link.connected).calls), "the call on the hall board")
            top = hall.tick(hall_link.connected).calls[0]
            assert (top.label, top.counter_number, top.current, top.highlighted) == ("A001", 1, True, True)
            assert announcer.wait_idle(60) and announcer.spoken == [Call("A001", 1)]
            assert len(announcer.player.played) == 1  # type: ignore[attr-defined]

            tap(mock_factory, PINMAP.staff["transfer"])  # choose: the first field other than the ticket's own
            board.until(b"TCHUNG THUC  " + b"  CHUYEN")
            tap(mock_factory, PINMAP.staff["transfer"])
            board.until(b"TDAT DAI     " + b"  CHUYEN")
            tap(mock_factory, PINMAP.staff["transfer"], held=HOLD * 3)  # confirm
            board.until(b"N---         " + b"  QUAY 1")  # the ticket left this counter
            wait_until(lambda: hall.tick(True).counters and hall.tick(True).counters[0].label is None, "counter freed")
            waiting = dict(hall.tick(True).waiting)
            assert waiting["Đất đai"] == 1 and waiting["Hộ tịch"] == 1

            office.stop_server()  # the server's will says offline: no number the server cannot vouch for
            board.until(b"LMAT KET NOI " + b"  QUAY 1")
            assert hall.tick(hall_link.connected).banner is not None
    finally:
        stop.set()
        unit.join(10)
        announcer.close()
        board.close()
