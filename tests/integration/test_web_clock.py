"""The clock on the web pages: a console refusal in Vietnamese, the live page's alarm and its "Giờ đã đúng",
which lets the day start and is audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from queue_server.store.schema import audit_log
from queue_server.trusted_clock import TrustedClock
from queue_server.web import create_app
from tests.integration.web_support import Office, login, post


def test_console_refusal_live_alarm_and_confirmation(office: Office) -> None:
    clock = TrustedClock(sync=lambda: False, wall=office.clock, monotonic=lambda: 0.0, release_date=date(2026, 1, 1))
    office.service.clock = clock  # the office's clock, judged: never synchronised (NTP)
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret"},
        store=office.store,
        setup=office.setup,
        execute=office.execute,
        live=office.service.live,
        clock=clock,
    )
    staff, boss = app.test_client(), app.test_client()
    login(staff, "lan")
    login(boss, "boss")
    post(staff, "/console/next")  # the first call of the day would start the day: refused
    page = staff.get("/console").get_data(as_text=True)
    assert "Đồng hồ máy chủ chưa đáng tin cậy" in page
    live = boss.get("/live").get_data(as_text=True)
    assert "Đang ngừng cấp số: Đồng hồ máy chủ chưa được đồng bộ (NTP)." in live and "Giờ đã đúng" in live
    assert post(boss, "/live/clock/confirm").status_code == 302
    assert "Đang ngừng cấp số" not in boss.get("/live").get_data(as_text=True)
    post(staff, "/console/next")
    assert "Không có ai đang chờ quầy này." in staff.get("/console").get_data(as_text=True)  # the day started
    with office.store.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.username, audit_log.c.action)).all()
    assert [tuple(r) for r in rows] == [("boss", "clock.confirm")]
