"""The kiosk's composition root: config file -> DeviceLink, office feed, printer, scanner -> the pygame app.

The office (fields, counters, the catalogue) comes from the server's ``state/office``, or from the kiosk's cached
copy of it while the server is down; the config file holds only what is the kiosk's own.

Run on the kiosk (or ``motcua-kiosk --config ...``)::

    python -m kiosk.main --config /etc/motcua/kiosk.toml

``--first-frame-exit`` draws the first frame and exits (the cold-start benchmark). The headless tours (every
screen as a PNG, the demo's ticket) are rigs, not kiosk code: ``python -m queue_server.demo.kiosk_tour``.

See docs/kiosk.md for the config file, the offline behaviour and what happens to ID-card data.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import KioskConfig, KioskConfigError, PrinterSection, load_kiosk_config
from queue_server.contract.systemd_notify import Watchdog

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from queue_server.contract.device_link import DeviceLink

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


def open_kiosk(config: KioskConfig, surface: Any) -> tuple[KioskApp, DeviceLink]:
    """The kiosk app on ``surface``, its link (not started) and its office: the cached copy until the server's.

    Split from :func:`run` so a test can drive the very kiosk ``run`` builds, frame by frame."""
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from kiosk.config import NO_OFFICE, office_from_state
    from kiosk.office_copy import catalogue_of
    from queue_server.contract import topics
    from queue_server.contract.office_feed import OfficeFeed

    if config.link is None:
        raise KioskConfigError("the kiosk config has no [link] section (office_id, device_id, password, host)")
    # The office comes from the server (state/office); until it answers, from the last copy this kiosk kept.
    feed = OfficeFeed(config.link.office_id, config.office_cache_path())
    cached = feed.start()
    office = office_from_state(cached) if cached is not None else NO_OFFICE
    catalogue = load_catalogue()
    if cached is not None:
        catalogue = catalogue_of(cached, catalogue)
    link = config.link.open(state_topics=(topics.waiting_state(config.link.office_id), *feed.state_topics()))
    app = KioskApp(link, None, catalogue, office, clock=SystemClock(), config=config, surface=surface,
                   office_feed=feed)  # fmt: skip
    return app, link


def run(config: KioskConfig, stop: threading.Event | None = None, *, first_frame_exit: bool = False) -> int:
    """Run the kiosk until the window is closed or ``stop`` is set (SIGTERM from systemd)."""
    import pygame

    if config.link is None:
        raise KioskConfigError("the kiosk config has no [link] section (office_id, device_id, password, host)")
    stop = stop or threading.Event()
    pygame.display.init()  # display and fonts only: a kiosk has no sound, and SDL audio only logs ALSA noise
    pygame.font.init()
    flags = pygame.FULLSCREEN if config.display.fullscreen else 0
    surface = pygame.display.set_mode(config.display.size, flags)
    pygame.display.set_caption("motcua")
    app, link = open_kiosk(config, surface)
    scanner = None
    if config.scanner.kind == "serial":
        from hardware.scanner import SerialScanner

        scanner = SerialScanner(config.scanner.port, config.scanner.baudrate, on_scan=app.scan,
                                on_rejected=app.scan_rejected, on_status=app.scanner_status)  # fmt: skip
    frames = pygame.time.Clock()
    try:
        app.step()
        if first_frame_exit:
            return 0
        # Opened after the first frame (python-escpos takes ~0.6 s to load its printer profiles), on the app's
        # worker thread: a ticket requested meanwhile waits for it in the same queue.
        app.attach_printer(lambda: open_configured_printer(config.printer))
        link.start()
        if scanner is not None:
            scanner.start()
        logger.info("kiosk %s started (%s, printer %s, scanner %s)", config.link.device_id,
                    config.display.orientation, config.printer.kind, config.scanner.kind)  # fmt: skip
        watchdog = Watchdog()  # systemd's WatchdogSec: pinged from this loop, so a hung screen gets restarted
        watchdog.ready(f"kiosk {config.link.device_id}")
        while app.running and not stop.is_set():
            app.step()
            frames.tick(config.display.fps)
            watchdog.tick()
    finally:
        if scanner is not None:
            scanner.close()
        app.close()
        link.close()
        if app.printer is not None:
            app.printer.close()
        pygame.quit()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua-kiosk", description="motcua citizen kiosk")
    parser.add_argument("--config", type=Path, help="kiosk TOML file (see docs/kiosk.md)")
    parser.add_argument("--first-frame-exit", action="store_true", help="draw the first frame, then exit")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.config is None:
            parser.error("--config is required to run the kiosk")
        config = load_kiosk_config(args.config)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        return run(config, stop, first_frame_exit=args.first_frame_exit)
    except KioskConfigError as exc:
        logger.error("%s", exc)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
