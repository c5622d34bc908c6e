"""The period report: quarter and year periods with previous/next links, the charts, and the downloads (xlsx, PDF,
CSV) parsed back and checked against hand-computed figures; made with the real engine on a real SQLite store."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome
from queue_server.stats import run
from tests.integration.web_support import Office, day_of_three_visits, login, tile

OFFICE_NAME = "Trung tâm Phục vụ hành chính công xã Tuần Giáo"
DAY = "period=day&date=2026-11-23"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"


def december_visit(office: Office) -> None:
    """2026-12-07 (local UTC+7), after the day of three visits (server time never goes back): Lan signs in at
    09:00; a ticket issued 09:00, called 09:10 (waited 600 s), finished 09:20 with a dossier, rated dissatisfied."""
    office.clock.now = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    office.run(cmd.IssueTicket("ho-tich"))
    office.clock.now = datetime(2026, 12, 7, 2, 10, tzinfo=UTC)
    office.run(cmd.CallNext("quay-1"))
    office.clock.now = datetime(2026, 12, 7, 2, 20, tzinfo=UTC)
    office.run(cmd.FinishService("quay-1", Outcome.DOSSIER_RECEIVED, "HS-000"))
    office.clock.now = datetime(2026, 12, 7, 2, 20, 30, tzinfo=UTC)
    office.run(cmd.RateService("quay-1", "dissatisfied"))


@pytest.fixture
def boss(office: Office, client: FlaskClient) -> FlaskClient:
    day_of_three_visits(office)
    office.run(cmd.SignOut("quay-1"))
    december_visit(office)
    login(client, "boss")
    return client


def test_a_quarter_holds_both_months_and_links_to_its_neighbours(boss: FlaskClient) -> None:
    page = boss.get("/dashboard?period=quarter&date=2026-11-23").get_data(as_text=True)
    assert "Kỳ báo cáo: 01/10/2026 – 31/12/2026" in page and "Quý IV năm 2026" in page
    assert tile(page, "visits") == "4"
    assert tile(page, "avg-wait") == "18,8"  # (600 + 300 + 1,200 + 2,400) / 4 s = 18.75 min
    assert tile(page, "qd766") == "50,0 %"  # 2 dossiers, December's rated dissatisfied
    assert tile(page, "productivity") == "250"  # 2 dossiers / 2 staff-days × 250
    assert 'href="/dashboard?period=quarter&amp;date=2026-07-01" rel="prev"' in page
    assert 'href="/dashboard?period=quarter&amp;date=2027-01-01" rel="next"' in page


@pytest.mark.parametrize(
    ("query", "period", "visits"),
    [
        ("period=year&date=2026-03-01", "01/01/2026 – 31/12/2026", "4"),
        ("period=quarter&date=2026-09-30", "01/07/2026 – 30/09/2026", "0"),
        ("period=month&date=2026-12-31", "01/12/2026 – 31/12/2026", "1"),
    ],
)
def test_year_and_quarter_bounds(boss: FlaskClient, query: str, period: str, visits: str) -> None:
    page = boss.get(f"/dashboard?{query}").get_data(as_text=True)
    assert f"Kỳ báo cáo: {period}" in page and tile(page, "visits") == visits


def test_a_custom_period_moves_by_its_own_length(boss: FlaskClient) -> None:
    page = boss.get("/dashboard?period=custom&start=2026-11-20&end=2026-11-23").get_data(as_text=True)
    assert 'href="/dashboard?period=custom&amp;start=2026-11-16&amp;end=2026-11-19" rel="prev"' in page
    assert 'href="/dashboard?period=custom&amp;start=2026-11-24&amp;end=2026-11-27" rel="next"' in page


def _svgs(page: str) -> dict[str, ET.Element]:
    """Every chart of the page, parsed as XML (so a malformed SVG fails here)."""
    found = re.findall(r'(<svg class="chart".*?</svg>)', page, flags=re.S)
    charts = [ET.fromstring(svg) for svg in found]
    return {str(svg.get("id")): svg for svg in charts}


def _titles(svg: ET.Element) -> list[str]:
    return [str(t.text) for t in svg.iter("{http://www.w3.org/2000/svg}title")]


def test_the_charts_are_inline_svg_with_titles(boss: FlaskClient) -> None:
    page = boss.get("/dashboard?period=quarter&date=2026-11-23").get_data(as_text=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "dashboard_quarter_vi.html").write_text(page, encoding="utf-8")
    charts = _svgs(page)
    assert list(charts) == ["wait-by-hour", "arrivals-by-hour", "satisfaction-trend", "wait-vs-target"]
    assert "<script" not in page
    for chart in charts.values():
        assert chart.get("role") == "img" and chart.get("aria-labelledby")
    wait = _titles(charts["wait-by-hour"])
    assert wait[0] == "Thời gian chờ trung bình theo giờ trong ngày (phút)"
    assert "08:00: 21,7 phút" in wait and "09:00: 10,0 phút" in wait  # Nov 23 at 08:xx; Dec 7 at 09:00
    assert "Thời gian chờ trung bình ≤ 15 phút/lượt giao dịch" in wait  # the target line
    arrivals = _titles(charts["arrivals-by-hour"])  # averaged over the 2 days with visits
    assert "08:00: 1,5" in arrivals and "09:00: 0,5" in arrivals and "10:00: 0" in arrivals
    trend = _titles(charts["satisfaction-trend"])  # a quarter: by month
    assert trend[0] == "Mức độ hài lòng theo tháng"
    assert "Hài lòng trở lên 11/2026: 50,0 %" in trend and "Hài lòng trở lên 12/2026: 0,0 %" in trend
    assert "Tỷ lệ QĐ 766 11/2026: 100,0 %" in trend and "Tỷ lệ QĐ 766 12/2026: 0,0 %" in trend
    waits = _titles(charts["wait-vs-target"])
    assert "11/2026: 21,7 phút" in waits and "12/2026: 10,0 phút" in waits


def test_a_day_trend_is_by_day(boss: FlaskClient) -> None:
    charts = _svgs(boss.get(f"/dashboard?{DAY}").get_data(as_text=True))
    assert "Hài lòng trở lên 23/11: 50,0 %" in _titles(charts["satisfaction-trend"])


def test_the_page_links_each_download(boss: FlaskClient) -> None:
    page = boss.get("/dashboard?period=quarter&date=2026-11-23").get_data(as_text=True)
    for fmt, label in (("xlsx", "Tải Excel (.xlsx)"), ("pdf", "Tải PDF"), ("csv", "Tải CSV")):
        assert f'href="/dashboard/export.{fmt}?period=quarter&amp;date=2026-11-23" download>{label}</a>' in page


def _download(client: FlaskClient, fmt: str, query: str = DAY) -> bytes:
    response = client.get(f"/dashboard/export.{fmt}?{query}")
    assert response.status_code == 200, response.status_code
    disposition = response.headers["Content-Disposition"]
    assert f"filename=bao-cao-tuan-giao-2026-11-23-2026-11-23.{fmt}" in disposition
    return response.data


def _rows(sheet: object) -> dict[str, tuple[object, ...]]:
    return {str(row[0]): row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}  # type: ignore[attr-defined]


def test_excel_download_holds_the_hand_computed_day(boss: FlaskClient) -> None:
    workbook = load_workbook(io.BytesIO(_download(boss, "xlsx")))
    assert workbook.sheetnames == ["Tổng hợp", "Theo lĩnh vực", "Theo quầy", "Theo cán bộ", "Theo giờ", "Theo ngày"]
    summary = _rows(workbook["Tổng hợp"])
    assert f"Báo cáo Bộ phận Một cửa: {OFFICE_NAME}" in summary
    assert summary["Đơn vị"][0] == OFFICE_NAME
    assert summary["Lượt giao dịch"][0] == 3
    assert summary["Thời gian chờ trung bình mỗi lượt (phút)"][0] == pytest.approx(1300 / 60, abs=1e-3)
    assert summary["Chờ không quá 15 phút (%)"][0] == pytest.approx(1 / 3)
    assert summary["Hồ sơ/người/năm (quy đổi 250 ngày làm việc)"][0] == 250
    target = summary["Thời gian chờ trung bình ≤ 15 phút/lượt giao dịch"]
    assert target[:3] == ("2025", pytest.approx(1300 / 60, abs=1e-3), "Chưa đạt")
    assert str(target[3]).startswith("QĐ 468/QĐ-TTg ngày 27/3/2021")
    staff = _rows(workbook["Theo cán bộ"])["Nguyễn Thị Lan"]
    assert staff[:3] == (3, 2, 1) and staff[-2:] == (1, 250)  # visits, finished, absent; staff-days, dossiers/year
    assert _rows(workbook["Theo quầy"])["Quầy 1"][0] == 3
    assert _rows(workbook["Theo lĩnh vực"])["Hộ tịch"][0] == 3


def test_pdf_download_reads_back_in_vietnamese(boss: FlaskClient) -> None:
    data = _download(boss, "pdf")
    assert data.startswith(b"%PDF-")
    (ARTIFACTS / "bao-cao-ngay.pdf").write_bytes(data)
    text = unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    assert OFFICE_NAME in text
    assert "Thời gian chờ trung bình mỗi lượt (phút) 21,7" in text
    assert "Chưa đạt" in text and "QĐ 468/QĐ-TTg ngày 27/3/2021" in text
    assert "Nguyễn Thị Lan" in text and "Quầy 1" in text and "Hộ tịch" in text


def test_csv_download_opens_in_excel_with_plain_numbers(boss: FlaskClient) -> None:
    data = _download(boss, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel then reads the diacritics right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [f"Báo cáo Bộ phận Một cửa: {OFFICE_NAME}"]
    assert ["Lượt giao dịch", "3"] in rows
    assert ["Thời gian chờ trung bình mỗi lượt (phút)", "21.7"] in rows
    assert ["Tỷ lệ hài lòng theo QĐ 766 (%)", "100.0"] in rows
    lan = next(row for row in rows if row[:1] == ["Nguyễn Thị Lan"])
    assert lan[1] == "3" and lan[-2:] == ["1", "250.0"]


def test_downloads_follow_the_page_language(boss: FlaskClient) -> None:
    data = _download(boss, "csv", DAY + "&lang=en")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert ["Average wait per visit (min)", "21.7"] in rows and ["Office", OFFICE_NAME] in rows


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "csv"])
@pytest.mark.parametrize(("username", "status"), [("lan", 403), ("other-boss", 403), ("province", 200)])
def test_who_may_download(client: FlaskClient, fmt: str, username: str, status: int) -> None:
    login(client, username)
    assert client.get(f"/dashboard/export.{fmt}?{DAY}").status_code == status


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "csv"])
def test_anonymous_downloads_go_to_sign_in(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"/dashboard/export.{fmt}?{DAY}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_unknown_format_and_bad_period_are_refused(client: FlaskClient) -> None:
    login(client, "boss")
    assert client.get(f"/dashboard/export.docx?{DAY}").status_code == 404
    assert client.get("/dashboard/export.csv?period=custom&start=2026-11-23&end=2026-11-01").status_code == 400
    assert client.get("/dashboard?period=week&date=9999-12-31").status_code == 400  # its Sunday is past the calendar


def test_stats_command_writes_the_same_reports(office: Office, tmp_path: Path) -> None:
    day_of_three_visits(office)
    out = tmp_path / "bao-cao.xlsx"
    assert run(office.store, office.setup, "2026-11-23", None, "xlsx", str(out)) == 0
    assert _rows(load_workbook(out)["Tổng hợp"])["Lượt giao dịch"][0] == 3
    assert run(office.store, office.setup, "2026-11-23", None, "csv", str(tmp_path / "r.csv")) == 0
    assert ["Lượt giao dịch", "3"] in list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig"))))
    assert run(office.store, office.setup, "2026-11-23", None, "pdf", None) == 2  # binary: needs -o


def test_a_missing_font_is_a_clear_error(boss: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without DejaVu Sans the PDF cannot be made: 503 naming the Debian package, not a broken file."""
    import hardware.fonts

    monkeypatch.setattr(hardware.fonts, "FONT_DIRS", (tmp_path,))
    response = boss.get(f"/dashboard/export.pdf?{DAY}")
    assert response.status_code == 503 and "fonts-dejavu-core" in response.get_data(as_text=True)
