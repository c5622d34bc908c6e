"""The kiosk app driven by pygame events on SDL's dummy driver, with fakes that validate what they are sent.

Assertions read the app's view model (``app.texts()``, ``app.screen.name``), not pixels; every screen the test
reaches is also saved as a PNG under tests/artifacts/kiosk/ for a human to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import load_catalogue
from kiosk.config import CounterInfo, DisplaySection, KioskConfig, OfficeInfo, ServiceInfo, TimingSection
from kiosk.i18n import parse_po, translations
from queue_server.contract.masked_name import is_masked_name

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
OFFICE = OfficeInfo(
    name="Trung tâm Phục vụ hành chính công xã Tuần Giáo",
    services=(
        ServiceInfo("ho-tich", "Hộ tịch", "Civil status"),
        ServiceInfo("chung-thuc", "Chứng thực", "Certification"),
        ServiceInfo("dat-dai", "Đất đai", "Land"),
    ),
    counters=(CounterInfo("quay-1", 1, ("ho-tich", "chung-thuc")), CounterInfo("quay-2", 2, ("ho-tich",))),
)
PRIORITIES = {None, "elderly_60", "pregnant", "disabled", "merit"}


class FakeLink:
    """Checks each request as the server's contract would; answers with the next number, optionally held back."""

    def __init__(self, *, connected: bool = True, reply: dict[str, Any] | None = None) -> None:
        self.connected = connected
        self.on_state: Any = None
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.release = threading.Event()
        self.release.set()
        self.reply = reply

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = 10.0, *, ttl: float | None = None
    ) -> dict[str, Any] | None:
        assert self.connected, "request sent while the link is down"
        assert ttl is not None and 0 < ttl < timeout, "a ticket request must not outlive the citizen's wait"
        assert request_type == "issue_ticket" and set(body) - {"display_name"} == {"service_id", "priority"}, body
        assert "display_name" not in body or is_masked_name(body["display_name"]), "only a masked name is sent"
        assert body["service_id"] in {s.id for s in OFFICE.services} and body["priority"] in PRIORITIES, body
        self.requests.append((request_type, body))
        assert self.release.wait(5)
        if self.reply is not None:
            return self.reply
        n = len(self.requests)
        ticket = {"ticket_id": f"t{n}", "label": f"A{n:03d}", "number": n, "service_id": body["service_id"],
                  "priority": body["priority"], "day": "2026-11-23", "people_ahead": 5}  # fmt: skip
        return {"v": 1, "id": f"r{n}", "ok": True, "result": {"ticket": ticket}}


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 11, 23, 9, 30)


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    import pygame

    pygame.init()
    yield pygame
    pygame.quit()


def make_app(pg: Any, link: FakeLink, printer: Any = None, orientation: str = "landscape") -> Any:
    from hardware.printer import open_printer
    from kiosk.app import KioskApp

    config = KioskConfig(
        display=DisplaySection(orientation=orientation),  # type: ignore[arg-type]
        timing=TimingSection(idle_timeout_s=60, ticket_screen_s=10, avg_service_min=6),
    )
    printer = printer if printer is not None else open_printer("dummy")
    app = KioskApp(link, printer, load_catalogue(), OFFICE, clock=FakeClock(), config=config)
    app.update()
    return app


def tap(app: Any, key: str, *, finger: bool = False) -> None:
    """Post a real pygame touch or click on the button's centre, then run one frame."""
    import pygame

    x, y = app.button(key).rect.center
    if finger:
        w, h = app.surface.get_size()
        pygame.event.post(pygame.event.Event(pygame.FINGERDOWN, x=x / w, y=y / h, touch_id=0, finger_id=0))
    else:
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
    app.step()


def shot(app: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app.save_png(str(ARTIFACTS / f"{name}.png"))


def test_home_shows_fields_with_waiting_counts_in_vietnamese_then_english(pg: Any) -> None:
    app = make_app(pg, FakeLink())
    app.link.on_state("motcua/v1/tuan-giao/state/waiting", {"v": 1, "waiting": {"ho-tich": 7, "dat-dai": 0}})
    app.step()
    shot(app, "home")
    texts = app.texts()
    assert OFFICE.name in texts and "Hộ tịch" in texts and "7 người đang chờ" in texts
    assert "Tra cứu thủ tục" in texts and "English" in texts
    assert all(b.rect.width >= 90 and b.rect.height >= 90 for b in app.buttons())
    tap(app, "language", finger=True)
    shot(app, "home-en")
    assert "Civil status" in app.texts() and "7 waiting" in app.texts() and "Tiếng Việt" in app.texts()


def test_tapping_a_field_issues_prints_and_shows_the_ticket_then_returns_home(pg: Any) -> None:
    link = FakeLink()
    app = make_app(pg, link)
    tap(app, "field:ho-tich", finger=True)
    app.wait_idle()
    shot(app, "ticket")
    assert link.requests == [("issue_ticket", {"service_id": "ho-tich", "priority": None})]
    assert app.screen.name == "ticket" and "A001" in app.texts()
    assert "Mời đến: Quầy 1, Quầy 2" in app.texts() and "Số người đang chờ trước bạn: 5" in app.texts()
    assert "Thời gian chờ dự kiến: khoảng 15 phút" in app.texts()  # ceil(5 x 6 min / 2 counters)
    printed = app.printer.escpos.output
    assert b"\x1dv0" in printed and b"\x1dV" in printed  # raster image, then cut
    app.clock.t += 10
    app.step()
    assert app.screen.name == "home"


def test_priority_category_is_sent_with_the_request(pg: Any) -> None:
    link = FakeLink()
    app = make_app(pg, link, orientation="portrait")
    tap(app, "priority")
    shot(app, "priority")
    tap(app, "priority:elderly_60")
    shot(app, "home-priority")
    assert "Ưu tiên: Người cao tuổi (từ 60 tuổi). Mời chọn lĩnh vực" in app.texts()
    tap(app, "field:dat-dai")
    app.wait_idle()
    assert link.requests == [("issue_ticket", {"service_id": "dat-dai", "priority": "elderly_60"})]
    assert app.priority is None  # the next citizen starts without it


def test_double_tap_issues_once(pg: Any) -> None:
    link = FakeLink()
    link.release.clear()  # hold the server's reply: the request is in flight
    app = make_app(pg, link)
    tap(app, "field:ho-tich")
    assert not app.button("field:ho-tich").enabled
    tap(app, "field:ho-tich")
    app.take_ticket("chung-thuc")  # even a direct call while in flight is ignored
    link.release.set()
    app.wait_idle()
    assert len(link.requests) == 1 and app.requests_sent == 1


def test_offline_shows_reconnecting_and_sends_nothing(pg: Any) -> None:
    link = FakeLink(connected=False)
    app = make_app(pg, link)
    shot(app, "offline")
    assert app.screen.name == "offline" and "Hệ thống đang kết nối lại..." in app.texts()
    app.take_ticket("ho-tich")
    assert link.requests == [] and app.requests_sent == 0
    link.connected = True
    app.step()
    assert app.screen.name == "home"


def test_printer_error_keeps_the_ticket_on_screen_and_reports_it(pg: Any) -> None:
    from hardware.printer import PrinterFault, TicketPrinter
    from queue_server.demo.kiosk_tour import PaperOutPrinter  # a serial printer answering DLE EOT 4 with "paper end"

    app = make_app(pg, FakeLink(), printer=TicketPrinter("serial", PaperOutPrinter()))
    tap(app, "field:ho-tich")
    app.wait_idle()
    shot(app, "printer-error")
    assert app.screen.name == "printer_error" and "A001" in app.texts()
    assert "Máy in hết giấy — vui lòng ghi lại số của bạn" in app.texts()
    assert [a.fault for a in app.alarms] == [PrinterFault.PAPER_OUT]
    app.clock.t += 15  # longer than a printed ticket's 10 s
    app.step()
    assert app.screen.name == "printer_error"


def test_refused_request_shows_a_message_not_a_ticket(pg: Any) -> None:
    link = FakeLink(reply={"v": 1, "id": "r", "ok": False, "error": {"code": "unknown_service", "message": "x"}})
    app = make_app(pg, link)
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "refused" and "Chưa lấy được số" in app.texts()


def test_search_with_on_screen_keyboard_detail_and_idle_timeout(pg: Any) -> None:
    import pygame

    app = make_app(pg, FakeLink())
    tap(app, "search")
    for key in "khai sinh":
        tap(app, "key:space" if key == " " else f"key:{key}")
    shot(app, "search-results")
    assert "Thủ tục đăng ký khai sinh" in app.texts()
    tap(app, "key:delete")
    assert app.screen.query == "khai sin"
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="h"))
    app.step()
    tap(app, "procedure:1.001193")
    shot(app, "detail")
    assert app.screen.name == "detail" and "Lệ phí: Miễn phí" in " ".join(app.texts())
    app.clock.t += 59
    app.step()
    assert app.screen.name == "detail"
    app.clock.t += 2
    app.step()
    assert app.screen.name == "home"


def test_search_results_paginate_instead_of_scrolling(pg: Any) -> None:
    app = make_app(pg, FakeLink())
    tap(app, "search")
    for key in "dang ky":
        tap(app, "key:space" if key == " " else f"key:{key}")
    first = [b.key for b in app.buttons("procedure:")]
    assert first and not app.button("page:prev").enabled and "1/" in " ".join(app.texts())
    tap(app, "page:next")
    second = [b.key for b in app.buttons("procedure:")]
    assert second and not set(first) & set(second)
    total = len(app.screen.results())
    assert total > len(first) and all(b.rect.bottom <= app.surface.get_height() for b in app.buttons())


def test_every_message_has_an_english_translation() -> None:
    import re

    import kiosk

    english = translations("en").messages
    source = "".join(p.read_text() for p in Path(kiosk.__file__).parent.rglob("*.py"))
    used = set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', source))
    assert used and not used - set(english), used - set(english)
    assert parse_po('msgid "a"\nmsgstr ""\n"b"\n') == {"a": "b"}


def test_screenshot_mode_saves_every_screen_in_both_orientations(monkeypatch: pytest.MonkeyPatch) -> None:
    from queue_server.demo.kiosk_tour import main

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    out = ARTIFACTS / "tour"
    for old in out.glob("*.png"):
        old.unlink()
    assert main(["--screenshots", str(out)]) == 0
    names = {p.stem for p in out.glob("*.png")}
    screens = ("home", "home-en", "priority", "home-priority", "search", "search-results", "procedures", "detail",
               "garbled-scan", "scan-offer")  # fmt: skip
    expected = {f"{s}-{o}" for s in (*screens, "ticket", "printer-error", "offline") for o in ("landscape", "portrait")}
    assert names == expected


def test_clock_refusal_says_the_server_is_not_ready(pg: Any) -> None:
    """``clock_not_synced`` (the server's clock is in doubt) is its own message, not "try again"."""
    error = {"code": "clock_not_synced", "message": "the server clock is not synchronised yet (NTP)"}
    app = make_app(pg, FakeLink(reply={"v": 1, "id": "r", "ok": False, "error": error}))
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "clock_not_synced" and "Hệ thống chưa sẵn sàng cấp số" in app.texts()


def test_a_rate_limited_kiosk_asks_to_wait_a_minute(pg: Any) -> None:
    """``rate_limited`` (the kiosk's budget is spent) says to wait, not that something broke."""
    error = {"code": "rate_limited", "message": "kiosk-01 is over its budget"}
    app = make_app(pg, FakeLink(reply={"v": 1, "id": "r", "ok": False, "error": error}))
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "busy" and "Xin chờ một chút" in app.texts()


def test_the_ticket_shows_office_time_whatever_the_pi_s_zone(pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pi left on UTC (02:30 UTC) prints the office's 09:30 (UTC+7), not its own clock face."""
    from datetime import UTC

    monkeypatch.setattr(FakeClock, "now", lambda self: datetime(2026, 11, 23, 2, 30, tzinfo=UTC))
    app = make_app(pg, FakeLink())
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "ticket"
    printed = app.screen.view.issued_at
    assert (printed.hour, printed.minute) == (9, 30) and printed.utcoffset().total_seconds() == 7 * 3600
