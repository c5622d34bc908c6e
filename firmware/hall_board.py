"""The hall board's runner and composition root: a DeviceLink (kind "display"), the model, the screen, the voice.

Every retained state message goes to :class:`HallBoardModel`; each call it reports as new (a new call or a
recall) is queued on the one :class:`Announcer`, in order, none dropped. A drawing loop follows the link and
redraws the screen a few times a second (the flash needs it).

Run on the Pi as ``python -m firmware.hall_board --config /etc/motcua/board.toml``. Example config::

    [link]
    office_id = "tuan-giao"
    device_id = "board-01"
    password_file = "/etc/motcua/board-01.password"
    host = "192.168.1.10"
    port = 1883
    outbox = "/var/lib/motcua/board-outbox.db"

    [board]
    width = 1920
    height = 1080
    fullscreen = true
    office_config = "/etc/motcua/motcua.toml"   # the office's config: field names (Vietnamese) come from it

    [voice]
    enabled = true
    clips_dir = "/usr/share/motcua/voice/vi"
    player = "aplay"

Nothing is opened or connected at import time; pygame is imported only when a screen is made.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import tomllib
from pathlib import Path
from typing import Any, Protocol

from pydantic import Field

from firmware.device_config import VoiceConfig
from firmware.display.board_model import BoardView, HallBoardModel
from queue_server.contract.link import Link
from queue_server.contract.link_config import LinkConfig, StrictConfig

logger = logging.getLogger(__name__)


class Announcer(Protocol):
    def announce(self, label: str, counter_number: int) -> None: ...


class Screen(Protocol):
    def draw(self, view: BoardView) -> None: ...

    def close(self) -> None: ...


class HallBoard:
    """Wires a model to an announcer and a screen; ``on_state`` is the DeviceLink's state callback."""

    def __init__(self, model: HallBoardModel, announcer: Announcer | None, screen: Screen | None = None) -> None:
        self.model, self.announcer, self.screen = model, announcer, screen
        self._lock = threading.Lock()  # update + queue as one step: announcements keep the order of the calls

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        with self._lock:
            for call in self.model.update(topic, data):
                logger.info("Bảng gọi số: %s → Quầy %d", call.label, call.counter_number)
                if self.announcer is not None:
                    self.announcer.announce(call.label, call.counter_number)

    def tick(self, connected: bool) -> BoardView:
        """Follow the link and redraw once."""
        self.model.set_link(connected)
        view = self.model.view()
        if self.screen is not None:
            self.screen.draw(view)
        return view

    def run(self, link: Link, stop: threading.Event, fps: float = 10.0) -> None:
        """Redraw until ``stop`` is set; a failing frame is logged and the next one tried."""
        while not stop.wait(1.0 / fps):
            try:
                self.tick(link.connected)
            except Exception:
                logger.exception("hall board frame failed")


# -- composition root -----------------------------------------------------------------------------------------------
class BoardConfig(StrictConfig):
    width: int = Field(default=1920, ge=320)
    height: int = Field(default=1080, ge=240)
    fullscreen: bool = True
    fps: float = Field(default=10.0, gt=0, le=60)
    flash_seconds: float = Field(default=6.0, ge=0)
    office_config: Path | None = None


class HallBoardConfig(StrictConfig):
    link: LinkConfig
    board: BoardConfig = BoardConfig()
    voice: VoiceConfig = VoiceConfig()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firmware.hall_board", description="motcua hall board")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with args.config.open("rb") as fp:
        config = HallBoardConfig(**tomllib.load(fp))

    from firmware.display.board_screen import BoardScreen
    from firmware.voice.announcer import Announcer as VoiceQueue
    from firmware.voice.announcer import AplayPlayer, FakePlayer
    from firmware.voice.speech import Voice
    from queue_server.config import load_settings

    services = {s.id: s.name_vi for s in load_settings(config.board.office_config).services}
    model = HallBoardModel(config.link.office_id, services, flash_seconds=config.board.flash_seconds)
    voice = None
    if config.voice.enabled:
        player = AplayPlayer() if config.voice.player == "aplay" else FakePlayer()
        voice = VoiceQueue(Voice(config.voice.clips_dir, repeats=config.voice.repeats), player)
    screen = BoardScreen((config.board.width, config.board.height), fullscreen=config.board.fullscreen)
    board = HallBoard(model, voice, screen)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    link = config.link.open(on_state=board.on_state, state_topics=model.state_topics())
    try:
        with link:
            board.run(link, stop, config.board.fps)
    except KeyboardInterrupt:
        pass
    finally:
        screen.close()
        if voice is not None:
            voice.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
