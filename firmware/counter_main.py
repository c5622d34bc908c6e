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
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from firmware.counter_unit import CounterUnit, Panel
from firmware.device_config import LinkConfig, StrictConfig, VoiceConfig

logger = logging.getLogger(__name__)


class CounterConfig(StrictConfig):
    id: str
    rating_window_seconds: float = Field(default=60.0, ge=0)
    reply_timeout_seconds: float = Field(default=20.0, gt=0)


class PanelConfig(StrictConfig):
    kind: Literal["gpio", "none"] = "gpio"
    pinmap: str = "rpi-4b-counter.toml"
    hold_seconds: float = Field(default=2.0, gt=0)
    bounce_seconds: float = Field(default=0.05, ge=0)


class CounterUnitConfig(StrictConfig):
    link: LinkConfig
    counter: CounterConfig
    panel: PanelConfig = PanelConfig()
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


def run(config: CounterUnitConfig, stop: threading.Event) -> None:
    """Run the unit until ``stop`` is set."""
    from firmware.voice.announcer import Announcer, AplayPlayer, FakePlayer, Player
    from firmware.voice.speech import Voice
    from queue_server.contract import topics

    link = config.link.open(state_topics=(topics.counter_state(config.link.office_id, config.counter.id),))
    panel = make_panel(config.panel)
    announcer = None
    if config.voice.enabled:
        player: Player = AplayPlayer() if config.voice.player == "aplay" else FakePlayer()
        announcer = Announcer(Voice(config.voice.clips_dir, repeats=config.voice.repeats), player)
    unit = CounterUnit(
        link,
        panel,
        config.counter.id,
        device_id=config.link.device_id,
        rating_window_seconds=config.counter.rating_window_seconds,
        reply_timeout_seconds=config.counter.reply_timeout_seconds,
        announcer=announcer,
    )
    link.on_reply, link.on_state = unit.on_reply, unit.on_state
    try:
        with link:
            unit.run_ticker(stop)
            logger.info("counter unit %s for %s started", config.link.device_id, config.counter.id)
            stop.wait()
    finally:
        if announcer is not None:
            announcer.close()
        panel.close()


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
