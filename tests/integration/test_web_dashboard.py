"""The manager dashboard against a hand-computed day, made with the real engine and read from a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.integration.web_support import Office, day_of_three_visits, login, target_statuses, tile

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"


def test_dashboard_figures_match_the_hand_computed_day(office: Office, client: FlaskClient) -> None:
    day_of_three_visits(office)
    login(client, "boss")
    response = client.get("/dashboard?period=day&date=2026-11-23")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "dashboard_day_vi.html").write_text(page, encoding="utf-8")
    assert tile(page, "visits") == "3"
    assert "2 hoàn thành · 1 vắng mặt · 0 hết hạn · 0 chưa xong" in page
    assert tile(page, "avg-wait") == "21,7"  # (300 + 1,200 + 2,400) / 3 s = 21.67 min
    assert "90% chờ không quá 40,0 phút" in page  # nearest rank ⌈0.9 × 3⌉ = 3rd: 2,400 s
    assert tile(page, "within") == "33,3 % / 66,7 %"  # 1 of 3 ≤ 15 min, 2 of 3 ≤ 30 min
    assert tile(page, "avg-service") == "7,0"  # (600 + 240) / 2 s; the no-show segment is not service
    assert tile(page, "satisfaction") == "50,0 %"  # 1 satisfied of 2 ratings
    assert tile(page, "qd766") == "100,0 %"  # the one dossier was rated satisfied
    assert tile(page, "productivity") == "250"  # 1 dossier / 1 staff-day × 250 working days
    # ≤ 30 min (2022) met, ≤ 15 min (2025) not; QĐ 766 ≥ 90 % and ≥ 95 % met; rural 1,200 dossiers not met
    assert target_statuses(page) == ["met", "not_met", "met", "met", "not_met"]
    assert "QĐ 468/QĐ-TTg ngày 27/3/2021" in page and "QĐ 752/QĐ-UBND Tri Tôn" in page
    assert "Thời gian chờ trung bình ≤ 15 phút/lượt giao dịch" in page and "≥ 1.200 hồ sơ/người/năm" in page
    assert "Nguyễn Thị Lan" in page and "Hộ tịch" in page  # staff and service groups by name


def test_dashboard_in_english(office: Office, client: FlaskClient) -> None:
    day_of_three_visits(office)
    login(client, "boss")
    page = client.get("/dashboard?period=day&date=2026-11-23&lang=en").get_data(as_text=True)
    (ARTIFACTS / "dashboard_day_en.html").write_text(page, encoding="utf-8")
    assert tile(page, "avg-wait") == "21.7" and "Average wait ≤ 15 min per visit" in page and "Not met" in page
    assert 'href="/dashboard?period=day&amp;date=2026-11-23&amp;lang=vi"' in page  # the switch keeps the period


def test_an_empty_period_shows_no_data_not_zero(office: Office, client: FlaskClient) -> None:
    day_of_three_visits(office)
    login(client, "boss")
    page = client.get("/dashboard?period=day&date=2026-11-24").get_data(as_text=True)
    assert tile(page, "visits") == "0" and tile(page, "avg-wait") == "—"
    assert target_statuses(page) == ["no_data"] * 5


@pytest.mark.parametrize(
    ("query", "period"),
    [
        ("period=week&date=2026-11-25", "23/11/2026 – 29/11/2026"),
        ("period=month&date=2026-11-23", "01/11/2026 – 30/11/2026"),
        ("period=custom&start=2026-11-20&end=2026-11-23", "20/11/2026 – 23/11/2026"),
    ],
)
def test_week_month_and_custom_periods(office: Office, client: FlaskClient, query: str, period: str) -> None:
    day_of_three_visits(office)
    login(client, "boss")
    page = client.get(f"/dashboard?{query}").get_data(as_text=True)
    assert f"Kỳ báo cáo: {period}" in page and tile(page, "visits") == "3"


@pytest.mark.parametrize(
    "query",
    [
        "period=fortnight",
        "date=23-11-2026",
        "period=custom&start=2026-11-23&end=2026-11-01",
        "period=custom&start=2020-01-01&end=2026-01-01",
    ],
)
def test_bad_period_arguments_are_rejected(client: FlaskClient, query: str) -> None:
    login(client, "boss")
    assert client.get(f"/dashboard?{query}").status_code == 400


@pytest.mark.parametrize(
    ("username", "status"), [("boss", 200), ("province", 200), ("admin", 200), ("other-boss", 403), ("lan", 403)]
)
def test_who_may_see_this_offices_dashboard(client: FlaskClient, username: str, status: int) -> None:
    login(client, username)
    assert client.get("/dashboard").status_code == status
