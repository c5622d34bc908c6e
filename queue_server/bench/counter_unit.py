"""Issue 4's ``make bench`` rows: from a staff button press to what the hall sees and hears, through Mosquitto.

One office (server process, real Mosquitto on loopback, SQLite) and, in this process, a counter unit run by its
composition root on gpiozero's ``MockFactory`` with a serial LED board on a pseudo-terminal, and a hall board
with the real voice (espeak-ng or clips) and a player that only notes when it is handed the WAV. For each press
of "next" (one at a time, the previous call fully spoken) three times are taken from the moment the pin goes low:

* **display**: the serial driver's ``write`` and ``flush`` of the frame with the new number have returned (the
  bytes are written); **display_pty** adds reading them back from the pty's other side (the kernel hands pty
  bytes over in a deferred work item, so on a busy machine this is mostly scheduling; a real UART adds the
  wire time instead: 24 bytes take 25 ms at 9600 baud, 2 ms at 115200);
* **board**: the hall board's model shows the new number as its newest call;
* **audio**: the WAV of the call is handed to the player, i.e. its first sample is queued for the sound card
  (rendering the chime and the sentence, said twice, is inside this time).

Example (what the lead wires into ``queue_server/bench/run.py``)::

    from queue_server.bench.counter_unit import bench_rows
    rows += [Row(*r) for r in bench_rows(presses=100)]
"""

from __future__ import annotations

import os
import select
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from queue_server.bench.percentile import percentile

GOALS_MS = {"display": 20.0, "display_pty": None, "board": 50.0, "audio": 150.0}
"""p99 goals from issue 4; None: shown for information only."""
WARM_UP = 1
"""Presses not counted: the very first call of a process also starts the synthesiser's caches and the pty."""
SERVICE = "ho-tich"


class _LedBoard:
    """Reads the pty's master side; notes when each ticket number first appears on the board."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.seen: dict[str, float] = {}
        self.changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from hardware.serial_display import FRAME_LENGTH

        buffer = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            buffer += os.read(self.master, 4096)
            now = time.perf_counter()
            while len(buffer) >= FRAME_LENGTH:
                frame, buffer = buffer[:FRAME_LENGTH], buffer[FRAME_LENGTH:]
                label = frame[2:14].decode("ascii", "replace").strip()
                with self.changed:
                    self.seen.setdefault(label, now)
                    self.changed.notify_all()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


class _TimedDisplay:
    """Wraps the serial display: notes when the frame for each ticket number has been written and flushed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.written: dict[str, float] = {}

    def show(self, view: Any) -> object:
        data = self.inner.show(view)
        if view.mode == "serving" and view.label:
            self.written.setdefault(view.label, time.perf_counter())
        return data

    def close(self) -> None:
        self.inner.close()


class _TimedPlayer:
    """A ``Player`` noting when each WAV is handed over (nothing is played)."""

    def __init__(self) -> None:
        self.started: list[float] = []

    def play(self, wav_path: Path) -> None:
        self.started.append(time.perf_counter())


def press_to_outputs(office: Any, presses: int, work_dir: Path) -> dict[str, list[float]]:
    """Milliseconds from pin low to display bytes, board updated and audio queued, one list per output."""
    from gpiozero.pins.mock import MockFactory

    from firmware.counter_main import CounterConfig, CounterUnitConfig, PanelConfig, run
    from firmware.device_config import VoiceConfig
    from firmware.display.board_model import HallBoardModel
    from firmware.hall_board import HallBoard
    from firmware.voice.announcer import Announcer
    from hardware.gpio_pinmap import PINMAPS, load_pinmap
    from hardware.serial_display import SerialCounterDisplay
    from queue_server.contract.link_config import LinkConfig

    with office.link("kiosk-1") as kiosk:
        kiosk.wait_connected(10)
        for _ in range(presses + WARM_UP):
            kiosk.request("issue_ticket", {"service_id": SERVICE}, timeout=10)
    password_file = work_dir / "counter-1.password"
    password_file.write_text(office.passwords["counter-1"])
    link = LinkConfig(office_id=office.office_id, device_id="counter-1", password_file=password_file,
                      port=office.port, outbox=work_dir / "counter-outbox.db")  # fmt: skip
    config = CounterUnitConfig(link=link, counter=CounterConfig(id="quay-1"), panel=PanelConfig(bounce_seconds=0))
    pinmap = load_pinmap(PINMAPS / config.panel.pinmap)
    factory = MockFactory(revision=pinmap.revision)
    led = _LedBoard()
    player = _TimedPlayer()
    model = HallBoardModel(office.office_id)
    board_seen: dict[str, float] = {}
    stop = threading.Event()
    voice = VoiceConfig(clips_dir=work_dir / "voice-vi").voice()  # the board's default: a clip set made once
    with Announcer(voice, player, work_dir=work_dir) as announcer:
        hall = HallBoard(model, announcer)

        def on_board_state(topic: str, data: dict[str, Any]) -> None:
            hall.on_state(topic, data)
            calls = model.view().calls
            if calls:
                board_seen.setdefault(calls[0].label, time.perf_counter())

        display = _TimedDisplay(SerialCounterDisplay(os.ttyname(led.slave)))
        unit = threading.Thread(
            target=run, args=(config, stop), kwargs={"pin_factory": factory, "outputs": [display]}, daemon=True
        )
        out: dict[str, list[float]] = {key: [] for key in GOALS_MS}
        with office.link("board-1", on_state=on_board_state, state_topics=model.state_topics()) as hall_link:
            try:
                unit.start()
                hall_link.wait_connected(10)
                _wait(lambda: "---" in led.seen and model.primed, 15)
                pin = factory.pin(pinmap.staff["next"])
                for n in range(1, presses + WARM_UP + 1):
                    label, spoken = f"A{n:03d}", len(player.started)
                    t0 = time.perf_counter()
                    pin.drive_low()
                    pin.drive_high()
                    if not _wait(_all_seen(label, spoken, led.seen, board_seen, player.started), 30):
                        continue  # a lost press shows as fewer samples, not as a made-up time
                    announcer.wait_idle(30)
                    time.sleep(0.05)  # the unit takes the next press only once this one's reply is in
                    if n > WARM_UP:
                        out["display"].append((display.written[label] - t0) * 1000)
                        out["display_pty"].append((led.seen[label] - t0) * 1000)
                        out["board"].append((board_seen[label] - t0) * 1000)
                        out["audio"].append((player.started[spoken] - t0) * 1000)
            finally:
                stop.set()
                unit.join(10)
                led.close()
    return out


def _all_seen(
    label: str, spoken: int, display: dict[str, float], board: dict[str, float], audio: list[float]
) -> Callable[[], bool]:
    return lambda: label in display and label in board and len(audio) > spoken


def _wait(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0005)
    return True


def measure(presses: int = 50) -> dict[str, list[float]]:
    """Start Mosquitto and an office server, run ``press_to_outputs``, stop everything."""
    from queue_server.bench.office import OfficeUnderTest
    from queue_server.brokers.process import MosquittoProcess, free_port

    with tempfile.TemporaryDirectory(prefix="motcua-bench-counter-") as tmp:
        base = Path(tmp)
        office = OfficeUnderTest(base / "office", port=free_port())
        office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "board-1": ("display", None)})
        broker = MosquittoProcess(base / "mosquitto")
        broker.start_on(office.port, office.accounts(), office_id=office.office_id)
        try:
            office.start_server()
            return press_to_outputs(office, presses, base)
        finally:
            office.stop_server()
            broker.stop()


def bench_rows(presses: int = 50) -> list[tuple[str, str, str, bool | None]]:
    """``(name, goal, measured, met)`` rows for ``make bench``'s table (``Row(*row)`` in run.py)."""
    results = measure(presses)
    names = {
        "display": "button press -> counter LED bytes written (Mosquitto) p99",
        "display_pty": "  same, read back from the pty p99",
        "board": "button press -> hall board updated p99",
        "audio": "button press -> first audio sample queued p99",
    }
    rows: list[tuple[str, str, str, bool | None]] = []
    for key, name in names.items():
        p99, n, goal = percentile(results[key], 99), len(results[key]), GOALS_MS[key]
        met = None if goal is None else n == presses and p99 <= goal
        rows.append((f"{name} ({n}/{presses})", "" if goal is None else f"<= {goal:.0f} ms", f"{p99:.1f} ms", met))
    return rows


if __name__ == "__main__":
    import sys

    for row in bench_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
        print(*row, sep="  |  ")
