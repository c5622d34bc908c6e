"""The counter unit's composition root: read the config, choose drivers by name, wire link, panel and voice.

Run on the Pi as ``python -m firmware.counter_main --config /etc/motcua/counter.toml``. Example config::

    [link]
    office_id = "tuan-giao"
    device_id = "counter-1"
    password_file = "/etc/motcua/counter-1.password"
    host = "192.168.1.10"
    port = 1883
    outbox = "/var/lib/motcua/outbox.db"

    [counter]
    id = "quay-1"
    rating_window_seconds = 60
    office_cache = "/var/lib/motcua/office-counter-1.json"   # optional; default: beside the outbox

    [display]
    kind = "serial"                   # "serial" (LED board) | "screen" (pygame) | "none"
    port = "/dev/serial0"             # serial: the board's port and speed
    baudrate = 9600
    width = 800                       # screen: size, full screen
    height = 480
    fullscreen = true

    [transfer]
    targets = ["dat-dai", "cu-tru"]   # fields the transfer button cycles through; default: all the office's
    timeout_seconds = 10

    [panel]
    kind = "gpio"                     # "gpio" | "none"
    pinmap = "rpi-4b-counter.toml"    # a file in hardware/wiring/pinmaps, or a path
    hold_seconds = 2.0

    [voice]
    enabled = true                    # speak calls made at this counter
    clips_dir = "/usr/share/motcua/voice/vi"
    repeats = 2
    player = "aplay"                  # "aplay" | "none"

The office (field names for the display, the transfer list, the counter's number) comes from the server's
``state/office`` and changes live; the last copy is cached in ``office_cache`` so the unit starts with the
server down. ``office_config`` (the server's TOML) is no longer read: a config that has it is refused, saying so.

Nothing is opened or connected at import time; hardware libraries are imported only by the driver chosen.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from firmware.counter_unit import CounterUnit, Panel
from firmware.device_config import VoiceConfig
from queue_server.contract.config_keys import config_problems
from queue_server.contract.link_config import LinkConfig, StrictConfig
from queue_server.contract.office import Office
from queue_server.contract.systemd_notify import Watchdog

if TYPE_CHECKING:
    from firmware.display.counter_display import Output
    from firmware.voice.announcer import Player

logger = logging.getLogger(__name__)


class CounterConfig(StrictConfig):
    id: str
    rating_window_seconds: float = Field(default=60.0, ge=0)
    reply_timeout_seconds: float = Field(default=20.0, gt=0)
    office_cache: Path | None = None
    """The last ``state/office`` copy; default ``office-<device id>.json`` beside the outbox."""


class DisplayConfig(StrictConfig):
    kind: Literal["serial", "screen", "none"] = "none"
    port: str = "/dev/serial0"
    baudrate: int = Field(default=9600, gt=0)
    serial_mode: Literal["text", "bitmap"] = "text"
    """A serial board with a graphic mode: "bitmap" shows Vietnamese with diacritics (docs/serial-display.md)."""
    serial_pixels: tuple[int, int] = (128, 32)
    """The graphic board's size in pixels (P10 modules: 32x16 each)."""
    width: int = Field(default=800, ge=160)
    height: int = Field(default=480, ge=120)
    fullscreen: bool = True
    refresh_seconds: float = Field(default=5.0, gt=0)


class TransferConfig(StrictConfig):
    targets: tuple[str, ...] = ()
    """Service ids in the order the transfer button offers them; empty: every field of the office."""
    timeout_seconds: float = Field(default=10.0, gt=0)


class PanelConfig(StrictConfig):
    kind: Literal["gpio", "none"] = "gpio"
    pinmap: str = "rpi-4b-counter.toml"
    hold_seconds: float = Field(default=2.0, gt=0)
    bounce_seconds: float = Field(default=0.05, ge=0)


class CounterUnitConfig(StrictConfig):
    link: LinkConfig
    counter: CounterConfig
    panel: PanelConfig = PanelConfig()
    display: DisplayConfig = DisplayConfig()
    transfer: TransferConfig = TransferConfig()
    voice: VoiceConfig = VoiceConfig(enabled=False)


class CounterConfigError(Exception):
    """The counter unit's config file is unreadable or invalid; the message says where and why."""


def load_config(path: Path) -> CounterUnitConfig:
    try:
        return CounterUnitConfig.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CounterConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        problems = "\n".join(f"  {line}" for line in config_problems(exc, CounterUnitConfig))
        raise CounterConfigError(f"{path}: invalid counter unit configuration\n{problems}") from None


class NullPanel:
    """No buttons or lights (a unit run for its voice only, or on a desk without a Pi)."""

    def __init__(self) -> None:
        self.on_staff: Callable[[str], object] | None = None
        self.on_rating: Callable[[str], object] | None = None

    def set_rating_lights(self, on: bool) -> None:
        logger.debug("rating lights %s", "on" if on else "off")

    def set_status(self, online: bool) -> None:
        logger.debug("status %s", "online" if online else "offline")

    def close(self) -> None:
        pass


def make_panel(config: PanelConfig, pin_factory: Any = None) -> Panel:
    """The panel driver named in the config; the pin map is validated before any pin is opened."""
    if config.kind == "none":
        return NullPanel()
    from hardware.gpio_buttons import GpioCounterPanel
    from hardware.gpio_pinmap import PINMAPS, load_pinmap

    path = Path(config.pinmap) if "/" in config.pinmap else PINMAPS / config.pinmap
    return GpioCounterPanel(
        load_pinmap(path),
        hold_seconds=config.hold_seconds,
        bounce_seconds=config.bounce_seconds or None,
        pin_factory=pin_factory,
    )


def make_outputs(config: DisplayConfig) -> list[Output]:
    """The counter display named in the config (pyserial or pygame imported only here)."""
    if config.kind == "serial":
        from hardware.serial_display import SerialCounterDisplay

        return [
            SerialCounterDisplay(config.port, config.baudrate, mode=config.serial_mode, pixels=config.serial_pixels)
        ]
    if config.kind == "screen":
        from firmware.display.counter_screen import CounterScreen

        return [CounterScreen((config.width, config.height), fullscreen=config.fullscreen)]
    return []


def office_service_names(office: Office | None) -> dict[str, str]:
    """Field id -> Vietnamese name, in the office's order; none before any copy (ids are shown instead)."""
    return {s.id: s.name_vi for s in office.services} if office is not None else {}


def transfer_targets(config: TransferConfig, names: dict[str, str]) -> list[tuple[str, str]]:
    return [(service_id, names.get(service_id, service_id)) for service_id in config.targets or list(names)]


def run(
    config: CounterUnitConfig,
    stop: threading.Event,
    *,
    pin_factory: Any = None,
    outputs: Sequence[Output] | None = None,
    player: Player | None = None,
    service_names: dict[str, str] | None = None,
    on_started: Callable[[CounterUnit], None] | None = None,
) -> None:
    """Run the unit until ``stop`` is set; ``pin_factory``, ``outputs`` and ``player`` replace the configured
    hardware (the demo and tests pass gpiozero's MockFactory, off-screen displays and a recording player), and
    ``service_names`` the names shown until the server's ``state/office`` (or the cached copy) gives them;
    ``on_started`` is given the unit once wired (tests look at its transfer cycle)."""
    from firmware.display.counter_display import CounterDisplay
    from firmware.display.counter_model import CounterDisplayModel
    from firmware.voice.announcer import Announcer, AplayPlayer, FakePlayer
    from queue_server.contract import topics
    from queue_server.contract.office_feed import NOTICE_VI, OfficeFeed, default_cache_path

    office_id, counter_id = config.link.office_id, config.counter.id
    cache = config.counter.office_cache or default_cache_path(config.link.device_id, config.link.outbox)
    feed = OfficeFeed(office_id, cache)
    cached = feed.start()
    names = service_names if service_names is not None and cached is None else office_service_names(cached)
    model = CounterDisplayModel(office_id, counter_id, services=names, device_id=config.link.device_id)
    link = config.link.open(state_topics=(*model.state_topics(), feed.topic))
    panel = make_panel(config.panel, pin_factory)
    display_outputs = list(outputs) if outputs is not None else make_outputs(config.display)
    announcer = None
    if config.voice.enabled:
        if player is None:
            player = AplayPlayer() if config.voice.player == "aplay" else FakePlayer()
        announcer = Announcer(config.voice.voice(), player, backlog=config.voice.backlog)
    unit = CounterUnit(
        link,
        panel,
        counter_id,
        device_id=config.link.device_id,
        rating_window_seconds=config.counter.rating_window_seconds,
        reply_timeout_seconds=config.counter.reply_timeout_seconds,
        transfer_targets=transfer_targets(config.transfer, names),
        transfer_timeout_seconds=config.transfer.timeout_seconds,
        display=model,
        server_topic=topics.server_status(office_id),
        announcer=announcer,
    )

    def on_office(office: Office) -> None:
        """A new office copy, live: the display's field names and the transfer cycle change at once."""
        names = office_service_names(office)
        model.set_services(names)
        unit.transfer.targets = transfer_targets(config.transfer, names)
        logger.info("counter unit %s: office %s applied", config.link.device_id, office.version)

    def on_state(topic: str, data: dict[str, Any]) -> None:
        if topic == feed.server_topic:
            feed.on_state(topic, data)
        elif feed.on_state(topic, data):
            return
        unit.on_state(topic, data)
        model.on_state(topic, data)

    feed.on_change(on_office)
    model.notice_source = lambda connected: NOTICE_VI[n] if (n := feed.notice(connected)) is not None else None
    if on_started is not None:
        on_started(unit)
    link.on_reply, link.on_state = unit.on_reply, on_state
    display = CounterDisplay(model, display_outputs, refresh_seconds=config.display.refresh_seconds)
    halt = threading.Event()  # this unit's threads end with it, even when it fails (``stop`` may be shared)
    drawer = threading.Thread(target=display.run, args=(link, halt), name=f"{counter_id}-display", daemon=True)
    try:
        with link:
            unit.run_ticker(halt)
            drawer.start()
            logger.info("counter unit %s for %s started", config.link.device_id, counter_id)
            watchdog = Watchdog()  # systemd's WatchdogSec: pinged while the display thread runs
            watchdog.ready(f"counter unit {config.link.device_id}")
            while not stop.wait(1.0):
                watchdog.tick(drawer.is_alive())
    finally:
        halt.set()
        if drawer.is_alive():
            drawer.join(5)
        for output in display_outputs:
            _close(output)
        if announcer is not None:
            announcer.close()
        panel.close()


def _close(output: object) -> None:
    close = getattr(output, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            logger.exception("could not close display %r", output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="motcua counter unit")
    parser.add_argument("--config", type=Path, default=Path("/etc/motcua/counter.toml"))
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        config = load_config(args.config)
    except CounterConfigError as exc:
        logger.error("%s", exc)
        return 2
    run(config, stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
