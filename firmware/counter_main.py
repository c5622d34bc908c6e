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
    office_config = "/etc/motcua/motcua.toml"   # optional: field names (Vietnamese) for display and transfer

    [display]
    kind = "serial"                   # "serial" (LED board) | "screen" (pygame) | "none"
    port = "/dev/serial0"             # serial: the board's port and speed
    baudrate = 9600
    width = 800                       # screen: size, full screen
    height = 480
    fullscreen = true

    [transfer]
    targets = ["dat-dai", "cu-tru"]   # fields the transfer button cycles through; default: all in office_config
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

from pydantic import Field

from firmware.counter_unit import CounterUnit, Panel
from firmware.device_config import VoiceConfig
from queue_server.contract.link_config import LinkConfig, StrictConfig

if TYPE_CHECKING:
    from firmware.display.counter_display import Output
    from firmware.voice.announcer import Player

logger = logging.getLogger(__name__)


class CounterConfig(StrictConfig):
    id: str
    rating_window_seconds: float = Field(default=60.0, ge=0)
    reply_timeout_seconds: float = Field(default=20.0, gt=0)
    office_config: Path | None = None
    """The office's own config file: field names for the display and the transfer targets."""


class DisplayConfig(StrictConfig):
    kind: Literal["serial", "screen", "none"] = "none"
    port: str = "/dev/serial0"
    baudrate: int = Field(default=9600, gt=0)
    width: int = Field(default=800, ge=160)
    height: int = Field(default=480, ge=120)
    fullscreen: bool = True
    refresh_seconds: float = Field(default=5.0, gt=0)


class TransferConfig(StrictConfig):
    targets: tuple[str, ...] = ()
    """Service ids in the order the transfer button offers them; empty: every field in ``office_config``."""
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


def load_config(path: Path) -> CounterUnitConfig:
    return CounterUnitConfig.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


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

        return [SerialCounterDisplay(config.port, config.baudrate)]
    if config.kind == "screen":
        from firmware.display.counter_screen import CounterScreen

        return [CounterScreen((config.width, config.height), fullscreen=config.fullscreen)]
    return []


def office_service_names(office_config: Path | None) -> dict[str, str]:
    """Field id -> Vietnamese name from the office's config; none without one (ids are shown instead)."""
    if office_config is None:
        return {}
    from queue_server.config import load_settings

    return {s.id: s.name_vi for s in load_settings(office_config).services}


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
) -> None:
    """Run the unit until ``stop`` is set; ``pin_factory``, ``outputs`` and ``player`` replace the configured
    hardware (the demo and tests pass gpiozero's MockFactory, off-screen displays and a recording player), and
    ``service_names`` the names read from ``office_config``."""
    from firmware.display.counter_display import CounterDisplay
    from firmware.display.counter_model import CounterDisplayModel
    from firmware.voice.announcer import Announcer, AplayPlayer, FakePlayer
    from firmware.voice.speech import Voice
    from queue_server.contract import topics

    names = service_names if service_names is not None else office_service_names(config.counter.office_config)
    office_id, counter_id = config.link.office_id, config.counter.id
    model = CounterDisplayModel(office_id, counter_id, services=names, device_id=config.link.device_id)
    link = config.link.open(state_topics=model.state_topics())
    panel = make_panel(config.panel, pin_factory)
    display_outputs = list(outputs) if outputs is not None else make_outputs(config.display)
    announcer = None
    if config.voice.enabled:
        if player is None:
            player = AplayPlayer() if config.voice.player == "aplay" else FakePlayer()
        announcer = Announcer(Voice(config.voice.clips_dir, repeats=config.voice.repeats), player)
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

    def on_state(topic: str, data: dict[str, Any]) -> None:
        unit.on_state(topic, data)
        model.on_state(topic, data)

    link.on_reply, link.on_state = unit.on_reply, on_state
    display = CounterDisplay(model, display_outputs, refresh_seconds=config.display.refresh_seconds)
    halt = threading.Event()  # this unit's threads end with it, even when it fails (``stop`` may be shared)
    drawer = threading.Thread(target=display.run, args=(link, halt), name=f"{counter_id}-display", daemon=True)
    try:
        with link:
            unit.run_ticker(halt)
            drawer.start()
            logger.info("counter unit %s for %s started", config.link.device_id, counter_id)
            stop.wait()
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
    run(load_config(args.config), stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
