"""``make demo``'s counters and hall board: two counter units on simulated GPIO, their displays and the voice.

Against an office already running (``motcua demo`` starts it and a kiosk), this runs, in this process:

* **two counter units** (``firmware.counter_main.run``, the production code path) on gpiozero's ``MockFactory``:
  a script presses their buttons (next, a rating, sometimes recall, once a transfer chosen and held) by driving
  the mock pins low and high, exactly as a finger on a real button would;
* **their displays, headless**: the first counter has a pygame screen, saved as PNG files after each change;
  the second a serial LED board on a pseudo-terminal, every byte kept in ``serial.bin`` and decoded in
  ``serial.txt``;
* **the hall board** (``firmware.hall_board.HallBoard``) drawn off-screen, a PNG after each new call, and its
  **voice** rendered to one WAV per call (espeak-ng or recorded clips; no sound card needed), listed in
  ``voice/calls.txt``.

Example (what ``queue_server/demo/office.py`` calls, in a thread, after its server and kiosk are up)::

    from queue_server.demo.counters import run_counters
    outputs = run_counters(settings, demo_devices(settings), stop, Path("var/demo"))
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queue_server.demo.serial_capture import PtyCapture

if TYPE_CHECKING:
    from queue_server.config import Settings

logger = logging.getLogger("motcua.demo.counters")
RATINGS = ("very_satisfied", "satisfied", "satisfied", "very_satisfied", "dissatisfied")
HOLD_SECONDS = 0.3


@dataclass
class DemoOutputs:
    """Where the demo's artefacts went (filled while it runs)."""

    out_dir: Path
    counter_screens: list[Path] = field(default_factory=list)
    serial_log: Path | None = None
    board_screens: list[Path] = field(default_factory=list)
    calls: list[Path] = field(default_factory=list)


class ArchivePlayer:
    """A ``Player`` that keeps each call's WAV (numbered, in the order spoken) instead of playing it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.saved: list[Path] = []

    def play(self, wav_path: Path) -> None:
        target = self.folder / f"call-{len(self.saved) + 1:03d}.wav"
        shutil.copyfile(wav_path, target)
        self.saved.append(target)


def run_counters(
    settings: Settings,
    devices: dict[str, dict[str, Any]],
    stop: threading.Event,
    out_dir: Path,
    *,
    counters: int = 2,
    pause_between: tuple[float, float] = (3.0, 6.0),
    rng: random.Random | None = None,
) -> DemoOutputs:
    """Run the simulated counters and the hall board until ``stop`` is set; see the module docstring.
    ``rng`` draws the staff's pauses and the citizens' ratings (seeded: the same script every run).

    ``devices`` is ``queue_server.demo.office.demo_devices(settings)`` (``counter-<n>`` and ``board-01`` passwords).
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from gpiozero.pins.mock import MockFactory

    from firmware import counter_main
    from firmware.display.offscreen import PngCounterOutput
    from hardware.gpio_pinmap import PINMAPS, load_pinmap
    from hardware.serial_display import SerialCounterDisplay

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = DemoOutputs(out_dir)
    names = {s.id: s.name_vi for s in settings.services}
    pinmap = load_pinmap(PINMAPS / "rpi-4b-counter.toml")
    threads: list[threading.Thread] = []
    factories: list[tuple[int, MockFactory]] = []
    capture = None
    halt = threading.Event()
    try:
        for i, counter in enumerate(settings.counters[:counters]):
            config = _counter_config(settings, devices, counter.id, counter.number, out_dir)
            factory = MockFactory(revision=pinmap.revision)
            display: Any
            if i == 0:
                display = PngCounterOutput((800, 480), out_dir / f"quay-{counter.number}")
                outputs.counter_screens = display.saved
            else:
                capture = PtyCapture(out_dir / f"quay-{counter.number}-serial")
                display = SerialCounterDisplay(capture.slave_name, 9600)
                outputs.serial_log = capture.text_path
            thread = threading.Thread(
                target=counter_main.run,
                args=(config, halt),
                kwargs={"pin_factory": factory, "outputs": [display], "service_names": names},
                name=f"demo-{counter.id}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
            factories.append((counter.number, factory))
        board = threading.Thread(target=_hall_board, args=(settings, devices, halt, out_dir, outputs), daemon=True)
        board.start()
        threads.append(board)
        _press_buttons(factories, pinmap, stop, pause_between, rng or random.Random())
    finally:
        halt.set()
        for thread in threads:
            thread.join(15)
        if capture is not None:
            capture.close()
    logger.info("demo: màn hình quầy %s, bảng LED %s, %d cuộc gọi (WAV) trong %s", out_dir / "quay-1",
                outputs.serial_log, len(outputs.calls), out_dir / "voice")  # fmt: skip
    return outputs


def _counter_config(
    settings: Settings, devices: dict[str, dict[str, Any]], counter_id: str, number: int, out_dir: Path
) -> Any:
    from firmware.counter_main import CounterConfig, CounterUnitConfig, PanelConfig, TransferConfig

    device_id = f"counter-{number}"
    return CounterUnitConfig(
        link=_link_config(settings, device_id, devices[device_id]["password"], out_dir),
        counter=CounterConfig(id=counter_id, rating_window_seconds=settings.queue.rating_window_seconds),
        panel=PanelConfig(kind="gpio", pinmap="rpi-4b-counter.toml", hold_seconds=HOLD_SECONDS, bounce_seconds=0),
        transfer=TransferConfig(targets=tuple(s.id for s in settings.services)),
    )


def _link_config(settings: Settings, device_id: str, password: str, out_dir: Path) -> Any:
    from queue_server.contract.link_config import LinkConfig

    secrets = out_dir / "secrets"
    secrets.mkdir(mode=0o700, exist_ok=True)
    password_file = secrets / f"{device_id}.password"
    password_file.write_text(password, encoding="utf-8")
    password_file.chmod(0o600)
    return LinkConfig(
        office_id=settings.office.id,
        device_id=device_id,
        password_file=password_file,
        host=settings.broker.host,
        port=settings.broker.port,
        outbox=settings.server.data_dir / f"outbox-{device_id}-unit.db",
    )


def _hall_board(
    settings: Settings, devices: dict[str, dict[str, Any]], halt: threading.Event, out_dir: Path, outputs: DemoOutputs
) -> None:
    from firmware.device_config import VoiceConfig
    from firmware.display.board_model import HallBoardModel
    from firmware.display.offscreen import PngBoardScreen
    from firmware.hall_board import HallBoard
    from firmware.voice.announcer import Announcer

    model = HallBoardModel(settings.office.id, {s.id: s.name_vi for s in settings.services})
    player = ArchivePlayer(out_dir / "voice")
    outputs.calls = player.saved
    screen = PngBoardScreen((1920, 1080))
    voice = VoiceConfig(clips_dir=settings.server.data_dir / "voice" / "vi").voice()  # clips made once
    with Announcer(voice, player) as announcer:
        board = HallBoard(model, announcer, screen)
        shots = _Screenshots(screen, out_dir / "hall", outputs.board_screens, halt)
        on_state = _also(board.on_state, shots.on_state)
        config = _link_config(settings, "board-01", devices["board-01"]["password"], out_dir)
        with config.open(on_state=on_state, state_topics=model.state_topics()) as link:
            board.run(link, halt, fps=4)
        announcer.wait_idle(60)
        _write_index(out_dir / "voice" / "calls.txt", player.saved, [(c.label, c.counter_number) for c in
                                                                      announcer.spoken])  # fmt: skip


class _Screenshots:
    """Saves the hall board after each new call (the frame drawn just after it arrives)."""

    def __init__(self, screen: Any, folder: Path, saved: list[Path], halt: threading.Event) -> None:
        self.screen, self.folder, self.saved, self.halt = screen, folder, saved, halt
        self._due = threading.Event()
        self._latest: tuple[str, str] | None = None
        threading.Thread(target=self._loop, daemon=True).start()

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        recent = data.get("recent")
        if topic.endswith("/state/board") and recent:
            key = (str(recent[0].get("label")), str(recent[0].get("at")))
            if key != self._latest:
                self._latest = key
                self._due.set()

    def _loop(self) -> None:
        while not self.halt.is_set():
            if not self._due.wait(0.5):
                continue
            self.halt.wait(0.6)  # let the board draw the call (and its counter state) first
            self._due.clear()
            if self.screen.last is not None:
                self.saved.append(self.screen.save(self.folder / f"board-{len(self.saved) + 1:03d}.png"))
                self.screen.save(self.folder / "latest.png")


def _also(*callbacks: Callable[[str, dict[str, Any]], None]) -> Callable[[str, dict[str, Any]], None]:
    def fan_out(topic: str, data: dict[str, Any]) -> None:
        for callback in callbacks:
            callback(topic, data)

    return fan_out


def _press_buttons(
    factories: list[tuple[int, Any]],
    pinmap: Any,
    stop: threading.Event,
    pause: tuple[float, float],
    rng: random.Random,
) -> None:
    """The staff script: each counter in turn calls the next citizen, who rates; a recall, one transfer."""
    rounds = 0
    while not stop.wait(rng.uniform(*pause)):
        rounds += 1
        number, factory = factories[rounds % len(factories)]
        _tap(factory, pinmap.staff["next"])
        logger.info("Quầy %d: nhấn nút GỌI SỐ TIẾP THEO (mô phỏng)", number)
        if stop.wait(rng.uniform(*pause)):
            return
        if rounds % 5 == 0:
            _tap(factory, pinmap.staff["recall"])
            logger.info("Quầy %d: nhấn nút GỌI LẠI (mô phỏng)", number)
        elif rounds % 7 == 3:
            _tap(factory, pinmap.staff["transfer"])
            stop.wait(1.5)  # the counter display shows the first target field
            _hold(factory, pinmap.staff["transfer"])
            logger.info("Quầy %d: chuyển hồ sơ (nhấn rồi giữ nút CHUYỂN, mô phỏng)", number)
        else:
            level = rng.choice(RATINGS)
            _tap(factory, next(r.button for r in pinmap.ratings if r.level == level))
            logger.info("Quầy %d: công dân đánh giá %s (mô phỏng)", number, level)


def _tap(factory: Any, bcm: int) -> None:
    pin = factory.pin(bcm)
    pin.drive_low()
    threading.Event().wait(0.05)
    pin.drive_high()


def _hold(factory: Any, bcm: int) -> None:
    pin = factory.pin(bcm)
    pin.drive_low()
    threading.Event().wait(HOLD_SECONDS * 2)
    pin.drive_high()


def _write_index(path: Path, files: list[Path], calls: list[tuple[str, int]]) -> None:
    lines = [f"{f.name}\t{label} → Quầy {counter}" for f, (label, counter) in zip(files, calls, strict=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
