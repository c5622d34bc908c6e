"""The office's targets as configuration: the admin page saves them in ``office_settings`` (audited, over the
config file's), and the dashboard, its exports and ``motcua stats`` compare the hand-built day with them."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from queue_server import stats
from queue_server.analytics.current import effective_targets
from queue_server.analytics.targets import DEFAULT_TARGETS, slots
from queue_server.config import load_settings
from queue_server.store.schema import audit_log, office_settings
from tests.integration.web_support import Office, day_of_three_visits, login, make_app, post, target_statuses

DAY = "/dashboard?period=day&date=2026-11-23"
# The day's average wait is 21.7 min: ≤ 30 met, ≤ 15 not; QĐ 766 100 % met twice; rural productivity 250 not met.
NATIONAL = ["met", "not_met", "met", "met", "not_met"]


def target_form(**changes: str) -> dict[str, str]:
    """The admin form as the page fills it (minutes, percent, dossiers), with ``changes`` (``slot.field``)."""
    form: dict[str, str] = {}
    for slot, target in slots(DEFAULT_TARGETS).items():
        scale = {"wait": 60, "satisfaction": 0.01}.get(target.kind.value, 1)
        form |= {f"{slot}.value": f"{target.value / scale:g}", f"{slot}.year": str(target.year)}
        form[f"{slot}.source"] = target.source
    return form | {key.replace("__", "."): value for key, value in changes.items()}


def saved(office: Office) -> dict[str, dict[str, object]]:
    with office.store.engine.connect() as conn:
        rows = conn.execute(select(office_settings.c.key, office_settings.c.value, office_settings.c.updated_by))
        return {row.key: {**json.loads(row.value), "by": row.updated_by} for row in rows}


def test_an_admin_change_is_stored_audited_and_flips_the_dashboard(office: Office, client: FlaskClient) -> None:
    day_of_three_visits(office)
    login(client, "boss")
    assert target_statuses(client.get(DAY).get_data(as_text=True)) == NATIONAL
    client.get("/auth/logout")
    login(client, "admin")
    form = target_form(wait_final__value="25", wait_final__year="2026", wait_final__source="KH 99/KH-UBND thử")
    response = post(client, "/admin/setup/targets", form)
    assert response.status_code == 302
    stored = saved(office)["targets.wait_final"]
    assert stored == {"value": 1500.0, "year": 2026, "source": "KH 99/KH-UBND thử", "by": "admin"}
    with office.store.engine.connect() as conn:
        entry = conn.execute(select(audit_log).where(audit_log.c.action == "targets.save")).one()
    assert entry.username == "admin" and "KH 99/KH-UBND thử" in json.loads(entry.detail)["wait_final"]
    page = client.get(DAY).get_data(as_text=True)
    assert target_statuses(page) == ["met", "met", "met", "met", "not_met"]
    assert "KH 99/KH-UBND thử" in page
    admin_page = client.get("/admin/setup").get_data(as_text=True)
    assert 'name="wait_final.value" value="25"' in admin_page and "Lưu chỉ tiêu" in admin_page
    csv = client.get("/dashboard/export.csv?period=day&date=2026-11-23").get_data(as_text=True)
    assert "KH 99/KH-UBND thử" in csv  # the report document shows each target's source


def test_a_manager_sees_the_targets_but_cannot_change_them(office: Office, client: FlaskClient) -> None:
    login(client, "boss")
    page = client.get("/admin/setup").get_data(as_text=True)
    assert "QĐ 752/QĐ-UBND Tri Tôn" in page and 'name="wait_final.value"' not in page
    assert "Chỉ xem: chỉ quản trị viên được thay đổi chỉ tiêu." in page
    assert post(client, "/admin/setup/targets", target_form(wait_final__value="40")).status_code == 403
    assert saved(office) == {}


def test_a_bad_value_is_refused_with_the_field_and_nothing_is_stored(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    for change, message in [
        ({"satisfaction_final__value": "120"}, "Mức độ hài lòng, chỉ tiêu cuối giai đoạn (%): tỷ lệ phần trăm"),
        ({"wait_interim__value": "0"}, "Thời gian chờ trung bình, chỉ tiêu giai đoạn đầu (phút): giá trị lớn hơn 0"),
        ({"productivity_rural__year": "abc"}, "Hồ sơ/người/năm, nông thôn: cần nhập một số và một năm."),
        ({"productivity_urban__source": " "}, "Hồ sơ/người/năm, đô thị: cần ghi nguồn"),
    ]:
        response = post(client, "/admin/setup/targets", target_form(**change))
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)  # the page itself, with the reason
    assert saved(office) == {}


def test_saved_targets_win_over_the_config_file(office: Office, tmp_path: Path) -> None:
    day_of_three_visits(office)
    config = tmp_path / "motcua.toml"
    config.write_text("[targets.wait_final]\nvalue = 25\n", encoding="utf-8")
    settings = load_settings(config)
    app: Flask = make_app(office, settings=settings)
    client = app.test_client()
    login(client, "admin")
    assert target_statuses(client.get(DAY).get_data(as_text=True)) == ["met", "met", "met", "met", "not_met"]
    assert 'name="wait_final.value" value="25"' in client.get("/admin/setup").get_data(as_text=True)
    assert post(client, "/admin/setup/targets", target_form(wait_final__value="10")).status_code == 302
    assert target_statuses(client.get(DAY).get_data(as_text=True)) == NATIONAL
    assert slots(effective_targets(office.store, settings.office_targets()))["wait_final"].value == 600
    text = stats.format_report(
        stats.report(office.store, office.setup, "2026-11-23", None, targets=settings.office_targets())
    )
    assert "Chờ trung bình ≤ 10 phút/lượt giao dịch (2025): CHƯA ĐẠT / not met" in text
