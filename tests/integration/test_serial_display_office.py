"""The serial counter display against a real embedded office: a staff "next" reaches the LED board's bytes."""

from __future__ import annotations

import os
import select
import statistics
import threading
import time
from pathlib import Path

from firmware.display.counter_display import CounterDisplay
from firmware.display.counter_model import CounterDisplayModel
from hardware.serial_display import FRAME_LENGTH, SerialCounterDisplay
from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port

CALLS = 8


def frames_until(master: int, wanted: bytes, timeout: float = 10.0) -> bytes:
    """Read frames from the pty master until one whose text starts with ``wanted``; returns that frame."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            buffer += os.read(master, 1024)
        while len(buffer) >= FRAME_LENGTH:
            frame, buffer = buffer[:FRAME_LENGTH], buffer[FRAME_LENGTH:]
            assert frame[0] == 0x02 and frame[-2] == 0x03, frame
            if frame[2:].startswith(wanted):
                return frame
    raise AssertionError(f"no frame with {wanted!r} in {timeout}s")


def test_next_reaches_the_led_board_and_pause_clears_it(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "disp-1": ("display", None)})
    model = CounterDisplayModel(office.office_id, "quay-1")
    master, slave = os.openpty()
    stop = threading.Event()
    office.start_server()
    try:
        display_link = office.link("disp-1", on_state=model.on_state, state_topics=model.state_topics())
        with (
            display_link,
            office.link("kiosk-1") as kiosk,
            office.link("counter-1") as counter,
            SerialCounterDisplay(os.ttyname(slave), 115200) as board,
        ):
            runner = threading.Thread(target=CounterDisplay(model, [board]).run, args=(display_link, stop, 0.01))
            runner.start()
            assert display_link.wait_connected(10) and kiosk.wait_connected(10) and counter.wait_connected(10)
            frames_until(master, b"---         " + b"  QUAY 1")  # connected, nobody at the counter yet
            for _ in range(CALLS):
                assert (kiosk.request("issue_ticket", {"service_id": "ho-tich"}) or {}).get("ok")
            latencies = []
            for n in range(1, CALLS + 1):
                pressed = time.monotonic()
                counter.submit("call_next", {"counter_id": "quay-1"}, ttl=10)
                frames_until(master, f"A{n:03d}".encode().ljust(12) + b"  QUAY 1")
                latencies.append(time.monotonic() - pressed)
            print(f"press-to-display-bytes: median {statistics.median(latencies) * 1000:.0f} ms, "
                  f"max {max(latencies) * 1000:.0f} ms over {CALLS} calls")  # fmt: skip
            assert max(latencies) < 2.0
            assert (counter.request("pause", {"counter_id": "quay-1"}) or {}).get("ok")
            frames_until(master, b"TAM DUNG    " + b"  QUAY 1")
            office.stop_server()  # the embedded broker goes with it: the board must stop showing a number
            frames_until(master, b"MAT KET NOI " + b"  QUAY 1")
            stop.set()
            runner.join(5)
    finally:
        stop.set()
        office.stop_server()
        os.close(master)
        os.close(slave)
