"""The kiosk's composition root: config file -> DeviceLink, printer, catalogue, office -> the pygame app.

Run on the kiosk::

    python -m kiosk.main --config /etc/motcua/kiosk.toml

Or, on a machine without a display (``make demo``, CI, a review of the layout)::

    python -m kiosk.main --screenshots var/kiosk-screens

which runs headless (SDL's dummy video driver) through every screen, with an in-memory office link and printers,
and saves one PNG per screen, in landscape and portrait.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, OfficeInfo, PrinterSection, load_kiosk_config, office_from_settings

logger = logging.getLogger(__name__)


def open_configured_printer(section: PrinterSection) -> Any:
    """The printer named by ``printer.kind``, or None (kind "none", or it failed to open: logged, not fatal)."""
    from hardware.printer import PrinterError, open_printer

    if section.kind == "none":
        return None
    try:
        return open_printer(section.kind, width=section.width, **dict(section.options))
    except PrinterError:
        logger.exception("printer not available; tickets will be shown on screen only")
        return None


def run(config_path: Path | None) -> int:
    import pygame

    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from queue_server.config import load_settings
    from queue_server.contract import topics
    from queue_server.mqtt.device_link import DeviceLink

    config = load_kiosk_config(config_path)
    settings = load_settings(config.office_config)
    office = office_from_settings(settings)
    catalogue = load_catalogue()
    config.link.outbox.parent.mkdir(parents=True, exist_ok=True)
    link = DeviceLink(
        office_id=settings.office.id,
        device_id=config.link.device_id,
        password=config.link.password.get_secret_value(),
        host=config.link.host,
        port=config.link.port,
        outbox_path=config.link.outbox,
        state_topics=(topics.waiting_state(settings.office.id),),
    )
    printer = open_configured_printer(config.printer)
    pygame.init()
    flags = pygame.FULLSCREEN if config.display.fullscreen else 0
    surface = pygame.display.set_mode(config.display.size, flags)
    pygame.display.set_caption("motcua")
    app = KioskApp(link, printer, catalogue, office, clock=SystemClock(), config=config, surface=surface)
    link.start()
    frames = pygame.time.Clock()
    try:
        while app.running:
            app.step()
            frames.tick(config.display.fps)
    finally:
        app.close()
        link.close()
        if printer is not None:
            printer.close()
        pygame.quit()
    return 0


class DemoLink:
    """An in-memory office for the screenshot tour: numbers tickets per field, always connected."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes, self.issued = prefixes, {k: 0 for k in prefixes}
        self.on_state: Any = None
        self.connected = True

    def request(self, request_type: str, body: dict[str, Any], timeout: float = 10.0) -> dict[str, Any] | None:
        service_id = body["service_id"]
        self.issued[service_id] += 1
        number = self.issued[service_id]
        label = f"{self.prefixes[service_id]}{number:03d}"
        ticket = {"ticket_id": f"t-{label}", "label": label, "number": number, "service_id": service_id,
                  "priority": body.get("priority"), "day": "2026-11-23", "people_ahead": 4}  # fmt: skip
        return {"v": 1, "ok": True, "result": {"ticket": ticket}}


class _PaperOut:
    """A serial printer's escpos object reporting paper out (DLE EOT 4 reply 0x72), so nothing is printed."""

    def is_online(self) -> bool:
        return True

    def query_status(self, _: bytes) -> bytes:
        return b"\x72"

    def close(self) -> None:
        pass


def screenshot_tour(directory: Path, base: KioskConfig | None = None) -> list[Path]:
    """Run through every screen headless, landscape then portrait; return the PNGs written."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    from hardware.printer import TicketPrinter, open_printer
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from queue_server.config import load_settings

    directory.mkdir(parents=True, exist_ok=True)
    settings = load_settings(base.office_config if base else None)
    office: OfficeInfo = office_from_settings(settings)
    catalogue = load_catalogue()
    prefixes = {s.id: s.prefix for s in settings.services}
    written: list[Path] = []
    pygame.init()
    try:
        for orientation in ("landscape", "portrait"):
            config = (base or KioskConfig()).model_copy(
                update={"display": (base or KioskConfig()).display.model_copy(update={"orientation": orientation})}
            )
            link = DemoLink(prefixes)
            printer = open_printer("dummy")
            surface = pygame.display.set_mode(config.display.size)
            app = KioskApp(link, printer, catalogue, office, clock=SystemClock(), config=config, surface=surface)

            def shot(name: str, app: KioskApp = app, suffix: str = orientation) -> None:
                path = directory / f"{name}-{suffix}.png"
                app.save_png(str(path))
                written.append(path)

            app.on_state(f"motcua/v1/{settings.office.id}/state/waiting", {"waiting": {"ho-tich": 3, "dat-dai": 1}})
            app.update()
            shot("home")
            app.button("language").action()
            shot("home-en")
            app.home()
            app.button("priority").action()
            shot("priority")
            app.button("priority:elderly_60").action()
            app.rebuild()
            shot("home-priority")
            app.home()
            app.button("search").action()
            shot("search")
            for key in "dang ky":
                app.button("key:space" if key == " " else f"key:{key}").action()
            app.rebuild()
            shot("search-results")
            app.home()
            app.button("search").action()
            app.button("browse:Hộ tịch").action()
            shot("procedures")
            app.buttons("procedure:")[0].action()
            shot("detail")
            app.home()
            app.button("field:ho-tich").action()
            app.wait_idle()
            shot("ticket")
            app.printer = TicketPrinter("serial", _PaperOut())
            app.home()
            app.button("field:dat-dai").action()
            app.wait_idle()
            shot("printer-error")
            link.connected = False
            app.home()
            app.update()
            shot("offline")
            app.close()
            printer.close()
    finally:
        pygame.quit()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.main", description="motcua citizen kiosk")
    parser.add_argument("--config", type=Path, help="kiosk TOML file (default: built-in defaults)")
    parser.add_argument("--screenshots", type=Path, metavar="DIR", help="save a PNG of every screen and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.screenshots is not None:
        config = load_kiosk_config(args.config) if args.config else None
        for path in screenshot_tour(args.screenshots, config):
            print(path)
        return 0
    return run(args.config)


if __name__ == "__main__":
    raise SystemExit(main())
