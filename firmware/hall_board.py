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
    office_cache = "/var/lib/motcua/office-board-01.json"   # optional; default: beside the outbox

    [voice]
    enabled = true
    clips_dir = "/var/lib/motcua/voice/vi"     # made by `motcua voice clips build` (or at first start)
    repeats = 2                                 # the call's length: docs/voice.md, "Call length"
    gap_seconds = 0.7
    chime = true
    backlog = "shorten"                         # calls queued up: said once each, chimed once, duplicates merged
    player = "aplay"

Field names come from the server's ``state/office`` (live: a renamed field is relabelled at once), cached in
``office_cache`` so the board starts with the server down and says so in its banner. ``office_config`` (the
server's TOML) is no longer read: a config that has it is refused, saying so.

Nothing is opened or connected at import time; pygame is imported only when a screen is made.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pydantic import Field, ValidationError

from firmware.device_config import VoiceConfig
from firmware.display.board_model import BoardView, HallBoardModel
from queue_server.contract.config_keys import config_problems
from queue_server.contract.link import Link
from queue_server.contract.link_config import LinkConfig, StrictConfig
from queue_server.contract.office import Office
from queue_server.contract.systemd_notify import Watchdog

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
        watchdog = Watchdog()  # systemd's WatchdogSec: pinged from this loop, so a hung board gets restarted
        watchdog.ready("hall board")
        while not stop.wait(1.0 / fps):
            try:
                self.tick(link.connected)
            except Exception:
                logger.exception("hall board frame failed")
            watchdog.tick()


# -- composition root -----------------------------------------------------------------------------------------------
class BoardConfig(StrictConfig):
    width: int = Field(default=1920, ge=320)
    height: int = Field(default=1080, ge=240)
    fullscreen: bool = True
    fps: float = Field(default=10.0, gt=0, le=60)
    flash_seconds: float = Field(default=6.0, ge=0)
    office_cache: Path | None = None
    """The last ``state/office`` copy; default ``office-<device id>.json`` beside the outbox."""


class HallBoardConfig(StrictConfig):
    link: LinkConfig
    board: BoardConfig = BoardConfig()
    voice: VoiceConfig = VoiceConfig()


class HallBoardConfigError(Exception):
    """The board's config file is unreadable or invalid; the message says where and why."""


def load_config(path: Path) -> HallBoardConfig:
    try:
        with path.open("rb") as fp:
            return HallBoardConfig.model_validate(tomllib.load(fp))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HallBoardConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        problems = "\n".join(f"  {line}" for line in config_problems(exc, HallBoardConfig))
        raise HallBoardConfigError(f"{path}: invalid hall board configuration\n{problems}") from None


def service_names(office: Office | None) -> dict[str, str]:
    return {s.id: s.name_vi for s in office.services} if office is not None else {}


def run(
    config: HallBoardConfig,
    stop: threading.Event,
    *,
    screen: Screen | None = None,
    voice: Announcer | None = None,
    on_started: Callable[[HallBoard], None] | None = None,
) -> None:
    """Run the board until ``stop`` is set; ``screen`` and ``voice`` replace the configured ones (tests pass an
    off-screen one), ``on_started`` is given the board once wired."""
    from queue_server.contract.office_feed import NOTICE_VI, OfficeFeed, default_cache_path

    cache = config.board.office_cache or default_cache_path(config.link.device_id, config.link.outbox)
    feed = OfficeFeed(config.link.office_id, cache)
    model = HallBoardModel(config.link.office_id, service_names(feed.start()), flash_seconds=config.board.flash_seconds)
    model.notice_source = lambda connected: NOTICE_VI[n] if (n := feed.notice(connected)) is not None else None
    feed.on_change(lambda office: model.set_services(service_names(office)))
    if voice is None and config.voice.enabled:
        from firmware.voice.announcer import Announcer as VoiceQueue
        from firmware.voice.announcer import AplayPlayer, FakePlayer

        player = AplayPlayer() if config.voice.player == "aplay" else FakePlayer()
        voice = VoiceQueue(config.voice.voice(), player, backlog=config.voice.backlog)
    if screen is None:
        from firmware.display.board_screen import BoardScreen

        screen = BoardScreen((config.board.width, config.board.height), fullscreen=config.board.fullscreen)
    board = HallBoard(model, voice, screen)

    def on_state(topic: str, data: dict[str, Any]) -> None:
        if topic == feed.topic:
            feed.on_state(topic, data)
            return
        if topic == feed.server_topic:
            feed.on_state(topic, data)
        board.on_state(topic, data)

    link = config.link.open(on_state=on_state, state_topics=(*model.state_topics(), feed.topic))
    if on_started is not None:
        on_started(board)
    try:
        with link:
            board.run(link, stop, config.board.fps)
    finally:
        screen.close()
        close = getattr(voice, "close", None)
        if callable(close):
            close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firmware.hall_board", description="motcua hall board")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
    except HallBoardConfigError as exc:
        logger.error("%s", exc)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run(config, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
