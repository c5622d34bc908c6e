"""The kiosk's check-in of remote numbers on SDL's dummy driver: typed on the keypad or scanned, code only."""

from __future__ import annotations

import threading
from typing import Any

from kiosk.config import DisplaySection, KioskConfig, RemoteSection, TimingSection
from tests.unit.test_kiosk_app import OFFICE, FakeClock, pg, tap

__all__ = ["pg"]


class CheckInLink:
    """Checks each request as the server's contract would: a check-in carries six digits and nothing else."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.connected = True
        self.on_state: Any = None
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.reply = reply
        self.lock = threading.Lock()

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = 10.0, *, ttl: float | None = None
    ) -> dict[str, Any] | None:
        from queue_server.contract.messages import CheckInBody

        assert request_type == "check_in" and ttl is not None and 0 < ttl < timeout
        CheckInBody.model_validate(body)
        self.requests.append((request_type, body))
        return self.reply

    def submit(
        self, request_type: str, body: dict[str, Any], request_id: str | None = None, *, ttl: float | None = None
    ) -> str:
        raise AssertionError("a check-in is a request with a time to live, never a durable submit")


def make_app(pg: Any, link: CheckInLink) -> Any:
    from hardware.printer import open_printer
    from kiosk.app import KioskApp
    from kiosk.catalogue import load_catalogue

    config = KioskConfig(
        display=DisplaySection(orientation="portrait"),
        timing=TimingSection(idle_timeout_s=60, ticket_screen_s=10, avg_service_min=6),
        remote=RemoteSection(check_in=True),
    )
    app = KioskApp(link, open_printer("dummy"), load_catalogue(), OFFICE, clock=FakeClock(), config=config)
    app.update()
    return app


OK = {
    "v": 1,
    "id": "r1",
    "ok": True,
    "result": {"events": ["RemoteCheckedIn"], "ticket": {"ticket_id": "t1", "label": "A006"}},
}


def test_typing_the_code_checks_the_number_in(pg: Any) -> None:
    link = CheckInLink(OK)
    app = make_app(pg, link)
    tap(app, "check_in")
    assert app.screen.name == "check_in" and not app.button("checkin:ok").enabled
    for digit in "424242":
        tap(app, f"checkin:{digit}")
    tap(app, "checkin:del")
    tap(app, "checkin:2")
    tap(app, "checkin:ok")
    app.wait_idle()
    assert link.requests == [("check_in", {"check_in_code": "424242"})]
    assert app.screen.name == "check_in_done" and "Đã xác nhận số A006" in app.texts()


def test_a_scanned_ticket_page_qr_checks_in_from_the_home_screen(pg: Any) -> None:
    link = CheckInLink(OK)
    app = make_app(pg, link)
    app.scan(b"MOTCUA-CHECKIN:424242")
    app.step()
    app.wait_idle()
    assert link.requests == [("check_in", {"check_in_code": "424242"})]
    assert app.screen.name == "check_in_done"


def test_too_early_says_from_when(pg: Any) -> None:
    error = {"code": "check_in_early", "message": "later", "opens_at": "2026-11-23T10:15:00+07:00"}
    app = make_app(pg, CheckInLink({"v": 1, "id": "r1", "ok": False, "error": error}))
    app.scan(b"MOTCUA-CHECKIN:424242")
    app.step()
    app.wait_idle()
    assert "Chưa đến giờ xác nhận" in app.texts() and "Xin quay lại từ 10:15." in app.texts()
