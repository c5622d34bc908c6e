"""Headless tours of the kiosk (SDL's dummy video driver): screenshots for a review, and the ``make demo`` ticket.

Here, not in ``kiosk/``: the tours read the server's config and start an office server, which a kiosk Pi never
needs. ``make demo`` runs::

    python -m queue_server.demo.kiosk_tour --screenshots var/kiosk-screens   # every screen, in-memory office
    python -m queue_server.demo.kiosk_tour --demo-tour var/kiosk-demo         # the demo's server: one real ticket

* :func:`screenshot_tour`: every screen, landscape then portrait, against an in-memory office; no server.
* :func:`demo_tour`: the real thing, with the demo's office server started in-process (embedded broker, the
  demo's SQLite in ``var/motcua``): the kiosk connects as ``kiosk-01``, shows the waiting counts from retained
  state, takes a real ticket, prints it with the ``file`` printer (raw ESC/POS bytes) and saves the printed image
  as a PNG next to the screenshots.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, KioskConfigError, OfficeInfo, load_kiosk_config, office_from_settings

logger = logging.getLogger(__name__)
SAMPLE_CARD = "001050000001||NGUYỄN VĂN AN|01011950|Nam|Xã Tuần Giáo, tỉnh Điện Biên|15042021".encode()
"""A made-up ID-card QR payload (the 7-field layout, no old ID number) of a citizen born in 1950."""
GARBLED_SCAN = b"https://example.com/not-an-id-card"


def headless() -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


class DemoLink:
    """An in-memory office for the screenshot tour: numbers tickets per field, always connected."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes, self.issued = prefixes, {k: 0 for k in prefixes}
        self.on_state: Any = None
        self.connected = True

    def submit(
        self, request_type: str, body: dict[str, Any], request_id: str | None = None, *, ttl: float | None = None
    ) -> str:
        raise NotImplementedError("the screenshot tour only issues tickets, through request()")

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = 10.0, *, ttl: float | None = None
    ) -> dict[str, Any] | None:
        service_id = body["service_id"]
        self.issued[service_id] += 1
        number = self.issued[service_id]
        label = f"{self.prefixes[service_id]}{number:03d}"
        ticket = {"ticket_id": f"t-{label}", "label": label, "number": number, "service_id": service_id,
                  "priority": body.get("priority"), "day": "2026-11-23", "people_ahead": 4}  # fmt: skip
        return {"v": 1, "ok": True, "result": {"ticket": ticket}}


class PaperOutPrinter:
    """A serial printer's escpos object reporting paper out (DLE EOT 4 reply 0x72), so nothing is printed.

    python-escpos's own ``Dummy`` cannot answer a status query; the tour and the kiosk's unit tests use this."""

    def is_online(self) -> bool:
        return True

    def query_status(self, _: bytes) -> bytes:
        return b"\x72"

    def close(self) -> None:
        pass


def screenshot_tour(directory: Path, base: KioskConfig | None = None) -> list[Path]:
    """Run through every screen headless, landscape then portrait; return the PNGs written."""
    headless()
    import pygame

    from hardware.printer import TicketPrinter, open_printer
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from queue_server.config import load_settings
    from queue_server.contract import topics

    directory.mkdir(parents=True, exist_ok=True)
    settings = load_settings(None)
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

            app.on_state(topics.waiting_state(settings.office.id), {"waiting": {"ho-tich": 3, "dat-dai": 1}})
            app.update()
            shot("home")
            app.scan(GARBLED_SCAN)
            app.update()
            shot("garbled-scan")
            app.home()
            app.scan(SAMPLE_CARD)
            app.update()
            shot("scan-offer")
            app.home()
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
            app.printer = TicketPrinter("serial", PaperOutPrinter())
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


def demo_tour(directory: Path, office_config: Path | None = None, service_id: str | None = None) -> list[Path]:
    """Start the demo office in-process, take one real ticket at the kiosk, print it to a file; return the files.

    Writes ``kiosk-home.png``, ``kiosk-scan-offer.png``, ``kiosk-ticket.png`` (screens), ``printed-tickets.bin``
    (the ESC/POS bytes, appended) and ``printed-ticket.png`` (the image the printer received).
    """
    headless()
    import pygame

    from hardware.printer import open_printer
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from kiosk.screens.status import TicketScreen
    from kiosk.ticket import render_ticket
    from queue_server.app import OfficeServer
    from queue_server.config import load_settings
    from queue_server.contract import topics
    from queue_server.demo.office import _link, demo_devices

    directory.mkdir(parents=True, exist_ok=True)
    settings = load_settings(office_config)
    password = demo_devices(settings)["kiosk-01"]["password"]
    server = OfficeServer(settings).start()
    config = KioskConfig()
    written: list[Path] = []
    pygame.init()
    try:
        if server.link is not None:
            server.link.wait_connected(10)
        link = _link(settings, "kiosk-01", password, state_topics=(topics.waiting_state(settings.office.id),))
        printer = open_printer("file", path=directory / "printed-tickets.bin", width=config.printer.width)
        office = office_from_settings(settings)
        app = KioskApp(link, printer, load_catalogue(), office, clock=SystemClock(), config=config)
        try:
            if not link.wait_connected(15):
                raise RuntimeError("the kiosk could not connect to the demo's broker")
            deadline = time.monotonic() + 5
            while not app.waiting and time.monotonic() < deadline:  # retained counts (none on a fresh day)
                time.sleep(0.05)
            app.update()

            def shot(name: str) -> None:
                path = directory / f"kiosk-{name}.png"
                app.save_png(str(path))
                written.append(path)

            shot("home")
            app.scan(SAMPLE_CARD)
            app.update()
            shot("scan-offer")
            app.button("offer:yes").action()
            app.button(f"field:{service_id or office.services[0].id}").action()
            app.wait_idle(30)
            shot("ticket")
            if not isinstance(app.screen, TicketScreen):
                raise RuntimeError(f"no ticket: the kiosk shows {app.screen.name}: {app.texts()}")
            image = render_ticket(app.screen.view, base_url=config.printer.base_url, width=config.printer.width)
            image.save(directory / "printed-ticket.png")
            written += [directory / "printed-ticket.png", directory / "printed-tickets.bin"]
            logger.info("kiosk demo: ticket %s printed to %s", app.screen.view.label, directory / "printed-tickets.bin")
        finally:
            app.close()
            printer.close()
            link.close()
    finally:
        pygame.quit()
        server.stop()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queue_server.demo.kiosk_tour", description="kiosk tours")
    tour = parser.add_mutually_exclusive_group(required=True)
    tour.add_argument("--screenshots", type=Path, metavar="DIR", help="save a PNG of every screen and exit")
    tour.add_argument("--demo-tour", type=Path, metavar="DIR",
                      help="start the demo office, take one real ticket, print it to DIR; then exit")  # fmt: skip
    parser.add_argument("--config", type=Path, help="with --screenshots: a kiosk TOML file (display, printer)")
    parser.add_argument("--office-config", type=Path, help="with --demo-tour: the office's motcua.toml")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.screenshots is not None:
            config = load_kiosk_config(args.config) if args.config else None
            written = screenshot_tour(args.screenshots, config)
        else:
            written = demo_tour(args.demo_tour, args.office_config)
    except KioskConfigError as exc:
        logger.error("%s", exc)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
