"""The /plan page and /live's predicted service-level alert, on a real office service over a real SQLite store
that holds two weeks of simulated history (the sample commune profile on the real engine)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from queue_server.engine import commands as cmd
from queue_server.simulate import load_profile, run_days
from queue_server.simulate.output import stored_events
from queue_server.store.event_store import EventStore
from queue_server.web import create_app
from tests.integration.web_support import Office, login, started_office

HISTORY_FROM = date(2026, 11, 9)
"""Two working weeks before the support clock's day (Monday 2026-11-23, 08:00 local)."""


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", "tuan-giao")
    store.migrate()
    profile = load_profile()
    history = run_days(type(profile)(**{**profile.__dict__, "day": HISTORY_FROM}), seed="history", days=10)
    store.import_events(stored_events(history.events, "tuan-giao", "history"))
    yield started_office(store)
    store.close()


@pytest.fixture
def app(office: Office) -> Flask:
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "LIVE_MIN_INTERVAL_SECONDS": 0}
    return create_app(config, store=office.store, setup=office.setup, execute=office.execute, live=office.service.live)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "boss")
    return client


def test_plan_page_learns_the_office_and_shows_the_hourly_plan(client: FlaskClient) -> None:
    page = client.get("/plan").get_data(as_text=True)
    assert "Kế hoạch bố trí quầy" in page and "Số quầy theo từng giờ" in page
    assert "Nhu cầu học từ các lượt khách" in page  # learned from the log, not the sample
    assert page.count("<tr>") >= 2 + 1 + 9  # the day table and one row per open hour
    for hour in ("07:00", "09:00", "16:00"):
        assert f"<td>{hour}</td>" in page
    assert 'id="plan-counters"' in page and 'id="plan-waits"' in page  # the two charts
    english = client.get("/plan?lang=en").get_data(as_text=True)
    assert "Counter staffing plan" in english


def test_plan_exports_like_the_other_reports(client: FlaskClient, tmp_path: Path) -> None:
    response = client.get("/plan/export.xlsx")
    assert response.status_code == 200
    assert "ke-hoach-quay-tuan-giao" in response.headers["Content-Disposition"]
    path = tmp_path / "plan.xlsx"
    path.write_bytes(response.data)
    cells = {str(c.value) for sheet in load_workbook(path).worksheets for row in sheet.iter_rows() for c in row}
    assert {"Số quầy theo từng giờ", "Cả ngày", "07:00", "16:00"} <= cells
    csv = client.get("/plan/export.csv").data.decode("utf-8-sig")
    assert "Số quầy đề xuất" in csv and "07:00" in csv


def test_plan_page_by_role_and_bad_dates(app: Flask) -> None:
    other = app.test_client()
    login(other, "other-boss")
    assert other.get("/plan").status_code == 403
    staff = app.test_client()
    login(staff, "lan")
    assert staff.get("/plan").status_code == 403
    boss = app.test_client()
    login(boss, "boss")
    assert boss.get("/plan?start=2026-13-01").status_code == 400
    assert boss.get("/plan?start=2026-11-20&end=2026-11-01").status_code == 400


def _panel(app: Flask, client: FlaskClient) -> str:
    client.get("/live/panel")  # starts the forecast in the background; the page never waits for it
    forecaster = app.extensions["motcua.planner"]["forecaster"]
    assert forecaster.wait(60)
    return client.get("/live/panel").get_data(as_text=True)


def test_live_warns_which_service_needs_counters(app: Flask, office: Office, client: FlaskClient) -> None:
    office.run(cmd.SignIn("quay-1", "nv-lan"))  # one counter open: ho-tich and chung-thuc; the others closed
    office.run(cmd.ResumeCounter("quay-1"))  # (the simulated history paused every counter at closing)
    for _ in range(8):
        office.run(cmd.IssueTicket("ho-tich"))
    panel = _panel(app, client)
    alerts = panel[panel.index('id="level-alerts"') :]
    alerts = alerts[: alerts.index("</div>")]
    assert "Giờ tới: Hộ tịch dự kiến chờ trung bình" in alerts, alerts
    extra = re.search(r'data-service="ho-tich" data-extra="(\d)"', alerts)
    assert extra is not None and 1 <= int(extra.group(1)) <= 3, alerts  # how many more counters bring it back
    assert f"Mở thêm {extra.group(1)} quầy phục vụ Hộ tịch" in alerts
    assert "Giờ tới: công dân của Đất đai sẽ không được gọi trong vòng 4 giờ" in panel  # only quay-3 serves it


def test_live_says_nothing_when_the_coming_hour_is_fine(app: Flask, office: Office, client: FlaskClient) -> None:
    office.clock.at(3, 0)  # 10:00 local: a quieter hour, three counters open, nobody waiting
    for counter, staff in (("quay-1", "nv-lan"), ("quay-2", "nv-hung"), ("quay-3", None)):
        office.run(cmd.ResumeCounter(counter))
        if staff is not None:
            office.run(cmd.SignIn(counter, staff))
    office.run(cmd.IssueTicket("dat-dai"))
    office.run(cmd.CallNext("quay-3"))  # quay-3 has nobody signed in, but is serving: open
    panel = _panel(app, client)
    assert 'id="level-alerts"' in panel
    assert "Giờ tới:" not in panel, panel


def test_every_planner_text_is_translated_to_vietnamese_in_nfc() -> None:
    import unicodedata

    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "queue_server"
    translated: dict[str, str] = {}
    for po in sorted((root / "web" / "translations" / "vi" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            translated |= {str(m.id): str(m.string) for m in read_po(f) if m.id and m.string}
    found: set[str] = set()
    for source in (root / "planner" / "report.py", root / "web" / "plan.py"):
        found |= {m[1] for m in extract_from_file("python", str(source), keywords={"_": None, "lang": None})}
    for template in ("plan.html", "live_panel.html"):
        found |= {m[1] for m in extract_from_file("jinja2", str(root / "web" / "templates" / template))}
    assert len(found) > 40
    assert sorted(m for m in found if m not in translated) == []
    assert all(unicodedata.is_normalized("NFC", translated[m]) for m in found)
