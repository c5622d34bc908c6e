"""The serial LED driver on a pseudo-terminal: pyserial opens the slave, the test reads the master byte by byte."""

from __future__ import annotations

import os
import select
from collections.abc import Iterator

import pytest

from firmware.display.counter_model import CounterDisplayModel, CounterView
from hardware.serial_display import FRAME_LENGTH, SerialCounterDisplay
from queue_server.contract import topics

OFFICE, COUNTER = "tuan-giao", "quay-3"


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    name = os.ttyname(slave)
    try:
        yield master, name
    finally:
        os.close(master)
        os.close(slave)


def read_frame(master: int, length: int = FRAME_LENGTH, timeout: float = 2.0) -> bytes:
    data = b""
    while len(data) < length:
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"only {data!r} arrived"
        data += os.read(master, length - len(data))
    return data


def expected(command: bytes, text: bytes) -> bytes:
    assert len(text) == 20
    body = command + text + b"\x03"
    bcc = 0
    for byte in body:
        bcc ^= byte
    return b"\x02" + body + bytes([bcc])


def counter_state(**overrides: object) -> dict[str, object]:
    state: dict[str, object] = {"counter_id": COUNTER, "number": 3, "services": ["dat-dai"], "paused": False,
                                "staff_id": "nv-lan", "serving": None, "at": "2026-11-23T08:00:00+07:00"}  # fmt: skip
    state.update(overrides)
    return state


def test_each_state_goes_out_as_its_exact_bytes(pty: tuple[int, str]) -> None:
    master, name = pty
    model = CounterDisplayModel(OFFICE, COUNTER, services={"dat-dai": "Đất đai"})
    serving = {"ticket_id": "t1", "label": "C025", "service_id": "dat-dai", "priority": False, "since": "x"}
    with SerialCounterDisplay(name, 9600) as display:
        display.show(model.view())  # nothing known yet: link lost
        assert read_frame(master) == expected(b"L", b"MAT KET NOI " + b"    QUAY")
        model.set_link(True)
        model.on_state(topics.counter_state(OFFICE, COUNTER), counter_state(serving=serving))
        display.show(model.view())
        assert read_frame(master) == expected(b"N", b"C025        " + b"  QUAY 3")
        model.on_state(topics.counter_state(OFFICE, COUNTER), counter_state(paused=True))
        display.show(model.view())
        assert read_frame(master) == expected(b"P", b"TAM DUNG    " + b"  QUAY 3")
        model.on_state(topics.counter_state(OFFICE, COUNTER), counter_state())
        display.show(model.view())
        assert read_frame(master) == expected(b"N", b"---         " + b"  QUAY 3")
        model.on_state(topics.server_status(OFFICE), {"online": False})
        display.show(model.view())
        assert read_frame(master) == expected(b"L", b"MAT KET NOI " + b"  QUAY 3")
        display.clear()
        assert read_frame(master) == expected(b"C", b" " * 20)
    # close() clears the board once more; a second close is a no-op
    assert read_frame(master) == expected(b"C", b" " * 20)
    display.close()


def test_a_label_the_board_cannot_show_exactly_becomes_the_dash(pty: tuple[int, str]) -> None:
    master, name = pty
    with SerialCounterDisplay(name, 115200) as display:
        display.show(CounterView("serving", 12, "Ă025"))
        assert read_frame(master) == expected(b"N", b"---         " + b" QUAY 12")


def test_many_frames_arrive_byte_for_byte_and_each_checks_out(pty: tuple[int, str]) -> None:
    """No byte added or changed by the tty (pyserial puts it in raw mode); each frame's BCC verifies."""
    master, name = pty
    with SerialCounterDisplay(name, 9600) as display:
        for n in range(1, 60):
            sent = display.show(CounterView("serving", n, f"A{n:03d}"))
            got = read_frame(master)
            assert got == sent and got == expected(got[1:2], got[2:22])
