"""The kiosk app against a real office: embedded broker, server process, SQLite, and the file printer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.contract import topics

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    import pygame

    pygame.init()
    yield pygame
    pygame.quit()


def test_tap_a_field_issues_on_the_server_and_prints_the_ticket(tmp_path: Path, pg: Any) -> None:
    from hardware.printer import open_printer
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from kiosk.config import KioskConfig, office_from_settings

    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None)})
    office.start_server()
    ticket_log = tmp_path / "tickets.bin"
    try:
        link = office.link("kiosk-1", state_topics=(topics.waiting_state(office.office_id),))
        printer = open_printer("file", path=ticket_log)
        config = KioskConfig()
        app = KioskApp(
            link, printer, load_catalogue(), office_from_settings(office.settings), clock=SystemClock(), config=config
        )
        with link, printer:
            assert link.wait_connected(10)
            app.step()
            assert app.screen.name == "home"
            x, y = app.button("field:ho-tich").rect.center
            pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
            app.step()
            app.wait_idle(20)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            app.save_png(str(ARTIFACTS / "e2e-ticket.png"))
            assert app.screen.name == "ticket", app.texts()
            assert "A001" in app.texts() and "Mời đến: Quầy 1, Quầy 2" in app.texts()
            # The server now has one ticket waiting for ho-tich, and says so on the retained topic.
            deadline = time.monotonic() + 10
            while app.waiting.get("ho-tich") != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert app.waiting.get("ho-tich") == 1
            app.close()
        printed = ticket_log.read_bytes()
        assert b"\x1dv0" in printed, "no raster image (GS v 0)"
        assert printed.endswith(b"\x1dV\x00"), printed[-16:]  # the full cut comes last, after the image
    finally:
        office.stop_server()
