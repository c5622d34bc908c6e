"""The kiosk side of the capacity cut-off: an ``after_closing`` refusal is explained before anything is printed,
and the citizen takes the number anyway (``accept_late: true``) or is told when the office next opens.

The replies follow the documented shape (docs/protocol.md, "after_closing"); the server's side is tested with the
forecast. Screens run on SDL's dummy driver and are saved under tests/artifacts/kiosk/.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from kiosk.late import LateNotice, late_notice
from tests.unit.test_kiosk_app import OFFICE, PRIORITIES, FakeClock, FakeLink, make_app, pg, shot, tap

__all__ = ["pg"]  # fixture
AFTER_CLOSING: dict[str, Any] = {
    "code": "after_closing",
    "message": "the predicted call time is after closing",
    "forecast": {"position": 31, "wait_minutes": {"low": 95, "high": 130}, "call_at": "2026-11-23T09:50:00Z"},
    "next_opening": "2026-11-24T00:30:00Z",
    "closing_at": "2026-11-23T17:00:00+07:00",
}


class CutOffLink(FakeLink):
    """Refuses a ticket with ``after_closing`` unless the request says ``accept_late: true``; records bodies."""

    def __init__(self, error: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.error = AFTER_CLOSING if error is None else error
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def request(
        self, request_type: str, body: dict[str, Any], timeout: float = 10.0, *, ttl: float | None = None
    ) -> dict[str, Any] | None:
        assert request_type == "issue_ticket" and ttl is not None and 0 < ttl < timeout
        assert set(body) - {"display_name", "accept_late"} == {"service_id", "priority"}, body
        assert body["service_id"] in {s.id for s in OFFICE.services} and body["priority"] in PRIORITIES, body
        assert body.get("accept_late", True) is True, "accept_late is sent only as true"
        with self.lock:
            self.bodies.append(body)
        if not body.get("accept_late"):
            return {"v": 1, "id": f"r{len(self.bodies)}", "ok": False, "error": self.error}
        ticket = {"ticket_id": "t1", "label": "A031", "number": 31, "service_id": body["service_id"],
                  "priority": body["priority"], "day": "2026-11-23", "people_ahead": 30}  # fmt: skip
        return {"v": 1, "id": f"r{len(self.bodies)}", "ok": True, "result": {"ticket": ticket}}


@pytest.fixture
def late_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """16:20 in the office (09:20 UTC), on a Pi whose own clock face is UTC."""
    monkeypatch.setattr(FakeClock, "now", lambda self: datetime(2026, 11, 23, 9, 20, tzinfo=UTC))


def printed(app: Any) -> bytes:
    """What reached python-escpos's Dummy printer behind the kiosk's own ``TicketPrinter``."""
    return bytes(app.printer.escpos.output)


def test_after_closing_is_explained_before_printing_then_the_number_anyway(pg: Any, late_clock: None) -> None:
    link = CutOffLink()
    app = make_app(pg, link)
    app.priority = "elderly_60"
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "after_closing"
    texts = app.texts()
    shot(app, "after-closing")
    assert "Hôm nay có thể không kịp phục vụ bạn" in texts
    assert "Dự kiến đến lượt bạn sau khoảng 95–130 phút (dự kiến gọi lúc 16:50)." in texts
    assert "Giờ làm việc hôm nay kết thúc lúc 17:00." in texts
    assert app.button("come_back").text == "Quay lại lúc 07:30, Thứ Ba 24/11"
    assert printed(app) == b"", "nothing is printed before the citizen decides"
    tap(app, "language")
    assert "Your turn is expected in about 95–130 minutes (expected call at 16:50)." in app.texts()
    assert app.button("come_back").text == "Come back at 07:30, Tuesday 24/11"
    tap(app, "language")

    tap(app, "accept_late")
    app.wait_idle()
    assert link.bodies == [
        {"service_id": "ho-tich", "priority": "elderly_60"},
        {"service_id": "ho-tich", "priority": "elderly_60", "accept_late": True},
    ]
    assert app.screen.name == "ticket" and "A031" in app.texts()
    assert b"\x1dv0" in printed(app) and b"\x1dV" in printed(app)  # the ticket's raster image, then the cut
    shot(app, "after-closing-ticket")


def test_come_back_shows_the_next_opening_in_office_time_and_prints_nothing(pg: Any, late_clock: None) -> None:
    link = CutOffLink()
    app = make_app(pg, link, orientation="portrait")
    tap(app, "field:dat-dai")
    app.wait_idle()
    shot(app, "after-closing-portrait")
    assert all(b.rect.bottom <= app.surface.get_height() for b in app.buttons())
    tap(app, "come_back")
    assert app.screen.name == "come_back"
    assert "Giờ làm việc tiếp theo bắt đầu lúc 07:30, Thứ Ba 24/11. Không có số nào được in." in app.texts()
    shot(app, "after-closing-come-back")
    assert len(link.bodies) == 1 and printed(app) == b""
    tap(app, "done")
    assert app.screen.name == "home"


def test_a_bare_after_closing_still_asks_and_never_refuses_silently(pg: Any, late_clock: None) -> None:
    """No figures in the error (an older server, a trimmed reply): the question and both ways on remain."""
    app = make_app(pg, CutOffLink({"code": "after_closing", "message": "late"}))
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "after_closing"
    texts = app.texts()
    assert "Bạn vẫn có thể lấy số, hoặc quay lại vào giờ làm việc tiếp theo." in texts
    assert not any("phút" in t or "kết thúc lúc" in t for t in texts), "nothing guessed"
    assert app.button("come_back").text == "Quay lại sau"
    tap(app, "come_back")
    assert "Vui lòng quay lại vào ngày làm việc tiếp theo. Không có số nào được in." in app.texts()


def test_late_notice_reads_the_documented_shape_in_office_time() -> None:
    notice = late_notice(AFTER_CLOSING, 420)
    assert (notice.wait_low_min, notice.wait_high_min) == (95, 130)
    assert notice.call_at is not None and f"{notice.call_at:%Y-%m-%d %H:%M}" == "2026-11-23 16:50"
    assert notice.next_opening is not None and f"{notice.next_opening:%Y-%m-%d %H:%M}" == "2026-11-24 07:30"
    assert notice.closing_at is not None and f"{notice.closing_at:%H:%M}" == "17:00"
    nested = late_notice({"code": "after_closing", "details": {**AFTER_CLOSING, "closing_at": "2026-11-23T17:00"}}, 420)
    assert nested.closing_at == datetime(2026, 11, 23, 17, 0) and nested.wait_high_min == 130
    garbage = {"forecast": {"wait_minutes": {"low": "many", "high": True}, "call_at": 5}, "next_opening": "soon"}
    assert late_notice(garbage, 420) == LateNotice()
