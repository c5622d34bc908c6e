"""The kiosk's composition root: config file -> DeviceLink, printer, scanner, catalogue, office -> the pygame app.

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
from typing import Any

from kiosk.config import KioskConfig, KioskConfigError, PrinterSection, load_kiosk_config, office_from_settings

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


def run(config: KioskConfig, stop: threading.Event | None = None, *, first_frame_exit: bool = False) -> int:
    """Run the kiosk until the window is closed or ``stop`` is set (SIGTERM from systemd)."""
    import pygame

    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from queue_server.config import load_settings
    from queue_server.contract import topics

    if config.link is None:
        raise KioskConfigError("the kiosk config has no [link] section (office_id, device_id, password_file, host)")
    stop = stop or threading.Event()
    settings = load_settings(config.office_config)
    if settings.office.id != config.link.office_id:
        raise KioskConfigError(
            f"link.office_id {config.link.office_id!r} is not the office in {config.office_config or 'the defaults'}"
            f" ({settings.office.id!r})"
        )
    office = office_from_settings(settings)
    catalogue = load_catalogue()
    link = config.link.open(state_topics=(topics.waiting_state(config.link.office_id),))
    pygame.display.init()  # display and fonts only: a kiosk has no sound, and SDL audio only logs ALSA noise
    pygame.font.init()
    flags = pygame.FULLSCREEN if config.display.fullscreen else 0
    surface = pygame.display.set_mode(config.display.size, flags)
    pygame.display.set_caption("motcua")
    app = KioskApp(link, None, catalogue, office, clock=SystemClock(), config=config, surface=surface)
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
        while app.running and not stop.is_set():
            app.step()
            frames.tick(config.display.fps)
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
