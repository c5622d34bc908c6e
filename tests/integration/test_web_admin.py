"""The admin pages on a real office service and SQLite store: roles, setup changes as events, devices, users,
the procedure catalogue upload and the audit log."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from queue_server.brokers.credentials import hash_password, verify_password
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.setup import PriorityPolicy
from queue_server.engine.state import QueueState
from queue_server.i18n import TRANSLATIONS
from queue_server.service import OfficeService
from queue_server.store.devices import DeviceRegistry
from queue_server.store.schema import audit_log
from queue_server.store.web_users import authenticate
from tests.fakes import OfficeClock
from tests.integration.web_support import PASSWORD, Office, csrf_token, login, make_app, post

CATALOGUE = Path(__file__).parents[2] / "kiosk" / "data" / "procedures.json"
NEW_PASSWORD = re.compile(r'<code id="new-password">([^<]+)</code>')
PAGES = ["/admin/users", "/admin/setup", "/admin/devices", "/admin/catalogue", "/admin/audit"]
WRITES: list[tuple[str, dict[str, str]]] = [
    ("/admin/users", {"username": "new-user", "role": "admin"}),
    ("/admin/users/lan/active", {"active": "0"}),
    ("/admin/users/lan/password", {}),
    ("/admin/setup/services", {"id": "thue", "prefix": "E", "name_vi": "Thuế"}),
    ("/admin/setup/services/cu-tru/delete", {}),
    ("/admin/setup/counters", {"id": "quay-9", "number": "9", "service_ids": "ho-tich"}),
    ("/admin/setup/counters/quay-3/delete", {}),
    ("/admin/setup/staff", {"id": "nv-moi", "name": "Lê Văn Mới"}),
    ("/admin/setup/staff/nv-lan/delete", {}),
    ("/admin/setup/policy", {"priority_policy": "strict", "interleave_every": "2"}),
    ("/admin/devices", {"device_id": "kiosk-9", "kind": "kiosk"}),
    ("/admin/devices/kiosk-1/revoke", {}),
    ("/admin/catalogue", {}),
]
# Who may read each page: managers and the province manager see the setup and the devices, read-only.
READERS = {
    "/admin/users": {"admin"},
    "/admin/setup": {"admin", "boss", "province"},
    "/admin/devices": {"admin", "boss", "province"},
    "/admin/catalogue": {"admin"},
    "/admin/audit": {"admin"},
}


@pytest.fixture
def app(office: Office, tmp_path: Path) -> Flask:
    DeviceRegistry(office.store).add("kiosk-1", "kiosk", hash_password("kiosk password 1"))
    return make_app(office, catalogue_dir=tmp_path / "catalogue")


def audit_rows(office: Office) -> list[Any]:
    with office.store.engine.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.id)).all())


def replayed(office: Office) -> QueueState:
    return QueueState.replay(stored.event for stored in office.store.events())


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_need_a_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(("path", "data"), WRITES)
def test_anonymous_writes_go_to_the_login_page(client: FlaskClient, path: str, data: dict[str, str]) -> None:
    response = client.post(path, data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["lan", "boss", "other-boss", "province", "admin"])
@pytest.mark.parametrize("path", PAGES)
def test_who_reads_which_page(client: FlaskClient, username: str, path: str) -> None:
    login(client, username)
    assert client.get(path).status_code == (200 if username in READERS[path] else 403)


@pytest.mark.parametrize("username", ["lan", "boss", "other-boss", "province"])
@pytest.mark.parametrize(("path", "data"), WRITES)
def test_only_an_admin_changes_anything(
    office: Office, client: FlaskClient, username: str, path: str, data: dict[str, str]
) -> None:
    login(client, username)
    events_before = len(list(office.store.events()))
    assert post(client, path, data).status_code == 403
    assert office.sent == [] and len(list(office.store.events())) == events_before
    assert [d.device_id for d in DeviceRegistry(office.store).list(include_revoked=False)] == ["kiosk-1"]
    assert authenticate(office.store.engine, "lan", PASSWORD) is not None
    assert audit_rows(office) == []


def test_a_manager_sees_the_setup_read_only(client: FlaskClient) -> None:
    login(client, "boss")
    page = client.get("/admin/setup").get_data(as_text=True)
    assert "Hộ tịch" in page and "Chỉ đọc" in page and 'action="/admin/setup/services"' not in page
    devices = client.get("/admin/devices").get_data(as_text=True)
    assert "kiosk-1" in devices and "Ki-ốt lấy số" in devices and "/revoke" not in devices


def test_writes_need_the_csrf_token(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    response = client.post("/admin/setup/services", data={"id": "thue", "prefix": "E", "name_vi": "Thuế"})
    assert response.status_code == 400 and office.sent == []
    assert client.post("/admin/devices/kiosk-1/revoke").status_code == 400
    assert DeviceRegistry(office.store).get("kiosk-1").active  # type: ignore[union-attr]


def test_service_and_counter_changes_are_configure_office_events(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    assert post(client, "/admin/setup/services", {"id": "thue", "prefix": "e", "name_vi": "Thuế"}).status_code == 302
    form = {"id": "quay-9", "number": "9", "name": "Quầy thuế", "service_ids": "thue"}
    assert post(client, "/admin/setup/counters", form).status_code == 302
    assert (
        post(client, "/admin/setup/policy", {"priority_policy": "strict", "interleave_every": "3"}).status_code == 302
    )
    assert [type(c) for c in office.sent] == [cmd.ConfigureOffice] * 3
    setup = replayed(office).setup
    assert setup is not None and setup.service("thue") is not None and setup.service("thue").prefix == "E"  # type: ignore[union-attr]
    assert setup.counter("quay-9") is not None and setup.counter("quay-9").service_ids == ("thue",)  # type: ignore[union-attr]
    assert (setup.priority_policy, setup.interleave_every) == (PriorityPolicy.STRICT, 3)
    configured = [s.event for s in office.store.events() if isinstance(s.event, ev.OfficeConfigured)]
    assert len(configured) == 4  # the first start, then three changes
    office.run(cmd.IssueTicket("thue"))  # the live service takes tickets for the new service
    assert "Quầy thuế" in client.get("/admin/setup").get_data(as_text=True)


def test_bad_setup_changes_are_refused_with_a_reason(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    refusals = [
        (
            "/admin/setup/services",
            {"id": "thue", "prefix": "A", "name_vi": "Thuế"},
            "Ký hiệu A đã được lĩnh vực khác dùng.",
        ),
        ("/admin/setup/services/ho-tich/delete", {}, "Các quầy quay-1, quay-2 vẫn đang phục vụ lĩnh vực này."),
        (
            "/admin/setup/counters",
            {"id": "quay-9", "number": "9", "service_ids": "nope"},
            "Hãy chọn ít nhất một lĩnh vực",
        ),
        ("/admin/setup/counters", {"id": "Quầy 9", "number": "9", "service_ids": "ho-tich"}, "Mã: chỉ gồm chữ thường"),
        ("/admin/setup/policy", {"priority_policy": "strict", "interleave_every": "0"}, "số nguyên từ 1 đến 20"),
        ("/admin/setup/counters/quay-1/delete", {}, "Người dùng lan đang được gán vào mục này."),
        ("/admin/setup/staff/nv-hung/delete", {}, "Người dùng hung đang được gán vào mục này."),
        ("/admin/setup/counters/quay-7/delete", {}, "Không có mục này."),
    ]
    for path, data, message in refusals:
        response = post(client, path, data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)  # the page itself, not a redirect a browser ignores
    assert office.sent == []
    for path in ("/admin/setup/counters/quay-3/delete", "/admin/setup/services/dat-dai/delete"):
        assert post(client, path).status_code == 302
    setup = replayed(office).setup
    assert setup is not None and setup.counter("quay-3") is None and setup.service("dat-dai") is None
    assert [r.action for r in audit_rows(office)] == ["counter.delete", "service.delete"]


def test_without_a_server_link_nothing_changes(office: Office) -> None:
    client = make_app(office, connected=False).test_client()
    login(client, "admin")
    assert post(client, "/admin/setup/staff", {"id": "nv-moi", "name": "Lê Văn Mới"}).status_code == 503
    assert replayed(office).setup == office.setup and audit_rows(office) == []


def test_an_admin_change_survives_a_restart_with_the_same_config_file(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    assert post(client, "/admin/setup/staff", {"id": "nv-moi", "name": "Lê Văn Mới"}).status_code == 302
    restarted = OfficeService(
        setup=office.setup, store=office.store, devices=lambda _: None, clock=OfficeClock(), new_id=lambda: "restart-id"
    )
    restarted.start()
    assert restarted.state.setup is not None and any(s.id == "nv-moi" for s in restarted.state.setup.staff)


def test_device_add_shows_the_password_once_and_stores_only_its_hash(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    response = post(client, "/admin/devices", {"device_id": "quay-1-phim", "kind": "counter", "counter_id": "quay-1"})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    match = NEW_PASSWORD.search(response.get_data(as_text=True))
    assert match is not None
    password = match.group(1)
    device = DeviceRegistry(office.store).get("quay-1-phim")
    assert device is not None and device.counter_id == "quay-1" and device.active
    assert verify_password(password, device.password_hash) and password not in device.password_hash
    assert password not in client.get("/admin/devices").get_data(as_text=True)  # never shown again
    assert all(password not in json.dumps(row.detail) for row in audit_rows(office))
    again = post(client, "/admin/devices", {"device_id": "quay-1-phim", "kind": "kiosk"})
    assert again.status_code == 400 and NEW_PASSWORD.search(again.get_data(as_text=True)) is None
    assert post(client, "/admin/devices", {"device_id": "phim", "kind": "counter"}).status_code == 400


def test_device_revoke(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    assert post(client, "/admin/devices/kiosk-1/revoke").status_code == 302
    assert DeviceRegistry(office.store).list(include_revoked=False) == []
    assert "đã thu hồi" in client.get("/admin/devices").get_data(as_text=True)
    assert post(client, "/admin/devices/nothing/revoke").status_code == 404


def test_users_add_deactivate_and_reset_password(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    added = post(client, "/admin/users", {"username": "mai", "role": "staff", "counter_id": "quay-3"})
    assert added.status_code == 201
    first = NEW_PASSWORD.search(added.get_data(as_text=True))
    assert first is not None and authenticate(office.store.engine, "mai", first.group(1)) is not None
    assert post(client, "/admin/users", {"username": "mai2", "role": "staff"}).status_code == 400  # no counter
    assert post(client, "/admin/users/mai/active", {"active": "0"}).status_code == 302
    assert authenticate(office.store.engine, "mai", first.group(1)) is None
    reset = post(client, "/admin/users/lan/password")
    second = NEW_PASSWORD.search(reset.get_data(as_text=True))
    assert second is not None and authenticate(office.store.engine, "lan", second.group(1)) is not None
    assert authenticate(office.store.engine, "lan", PASSWORD) is None
    assert post(client, "/admin/users/admin/active", {"active": "0"}).status_code == 400  # not yourself
    secrets = (first.group(1), second.group(1))
    assert not any(s in row.detail for row in audit_rows(office) for s in secrets)


def test_a_deactivated_user_is_signed_out_at_the_next_request(app: Flask) -> None:
    staff, admin = app.test_client(), app.test_client()
    login(staff, "lan")
    assert staff.get("/console").status_code == 200
    login(admin, "admin")
    assert post(admin, "/admin/users/lan/active", {"active": "0"}).status_code == 302
    assert staff.get("/console").status_code == 302
    assert post(admin, "/admin/users/lan/active", {"active": "1"}).status_code == 302
    assert login(staff, "lan").status_code == 302 and staff.get("/console").status_code == 200


def _catalogue_with_three_bad_rows() -> bytes:
    document = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    procedures = document["procedures"]
    procedures[1]["code"] = "1-001"  # wrong format
    del procedures[2]["name"]  # missing
    procedures[4]["colour"] = "đỏ"  # unknown field
    return json.dumps(document, ensure_ascii=False).encode()


def test_catalogue_upload_lists_each_bad_row_and_stores_nothing(
    office: Office, client: FlaskClient, tmp_path: Path
) -> None:
    login(client, "admin")
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(_catalogue_with_three_bad_rows()), "thu-tuc.json")}
    response = client.post("/admin/catalogue", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d+)</td><td>[^<]*</td><td><code>([^<]+)</code></td><td>([^<]+)</td></tr>", page)
    assert rows == [
        ("2", "code", "sai định dạng"),
        ("3", "name", "thiếu (bắt buộc)"),
        ("5", "colour", "trường không có trong mẫu"),
    ]
    assert not (tmp_path / "catalogue").exists() or not any((tmp_path / "catalogue").iterdir())
    assert audit_rows(office) == []


def test_catalogue_upload_stores_a_good_file_as_a_new_version(
    office: Office, client: FlaskClient, tmp_path: Path
) -> None:
    login(client, "admin")
    for expected in (1, 2):
        data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(CATALOGUE.read_bytes()), "procedures.json")}
        assert client.post("/admin/catalogue", data=data, content_type="multipart/form-data").status_code == 302
        assert (tmp_path / "catalogue" / f"procedures-v{expected}.json").exists()
    stored = json.loads((tmp_path / "catalogue" / "procedures.json").read_text(encoding="utf-8"))
    original = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert [p["code"] for p in stored["procedures"]] == [p["code"] for p in original["procedures"]]
    assert "v2" in client.get("/admin/catalogue").get_data(as_text=True)
    assert [row.action for row in audit_rows(office)] == ["catalogue.upload"] * 2
    # The event log, not the file, is what the kiosks get (``state/office``): two uploads, two events.
    uploads = [s.event for s in office.store.events() if isinstance(s.event, ev.CatalogueUploaded)]
    assert len(uploads) == 2
    in_log = json.loads(replayed(office).catalogue or "{}")
    assert [p["code"] for p in in_log["procedures"]] == [p["code"] for p in original["procedures"]]


def test_a_catalogue_too_large_for_the_broker_is_refused_and_nothing_stored(
    office: Office, client: FlaskClient, tmp_path: Path
) -> None:
    login(client, "admin")
    document = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    one = document["procedures"][0]
    document["procedures"] = [{**one, "code": f"{i // 1000}.{i % 1000:06d}"} for i in range(200)]
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(json.dumps(document).encode()), "big.json")}
    response = client.post("/admin/catalogue", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "quá lớn" in response.get_data(as_text=True)
    assert not any(isinstance(s.event, ev.CatalogueUploaded) for s in office.store.events())
    assert not (tmp_path / "catalogue").exists()


def test_catalogue_upload_reads_toml_and_refuses_garbage(client: FlaskClient, tmp_path: Path) -> None:
    login(client, "admin")
    toml = (
        'version = 1\n[[procedures]]\ncode = "1.001193"\nname = "Đăng ký khai sinh"\n'
        'field = "Hộ tịch"\nsource = "dichvucong.gov.vn"\n'
    )
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(toml.encode()), "thu-tuc.toml")}
    assert client.post("/admin/catalogue", data=data, content_type="multipart/form-data").status_code == 302
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(b"{not json"), "x.json")}
    response = client.post("/admin/catalogue", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "Không đọc được tệp" in response.get_data(as_text=True)


def test_admin_actions_are_audited_newest_first_without_secrets(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    post(client, "/admin/setup/staff", {"id": "nv-moi", "name": "Lê Văn Mới", "password": "sneaked in"})
    post(client, "/admin/devices", {"device_id": "kiosk-2", "kind": "kiosk"})
    post(client, "/admin/users/lan/password")
    rows = audit_rows(office)
    assert [(r.username, r.action, r.target, r.office_id) for r in rows] == [
        ("admin", "staff.save", "nv-moi", "tuan-giao"),
        ("admin", "device.add", "kiosk-2", "tuan-giao"),
        ("admin", "user.reset_password", "lan", "tuan-giao"),
    ]
    assert json.loads(rows[0].detail) == {"id": "nv-moi", "name": "Lê Văn Mới"}
    assert not any(word in row.detail.lower() for row in rows for word in ("password", "csrf", "$7$"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("user.reset_password") < page.index("device.add") < page.index("staff.save")


def test_audit_log_is_paged(office: Office, client: FlaskClient) -> None:
    login(client, "admin")
    for i in range(55):
        post(client, "/admin/users/lan/active", {"active": str(i % 2)})
    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert first.count("user.") == 50 and second.count("user.") == 5
    assert "Trang 1 / 2" in first and "Trang 2 / 2" in second


def test_vietnamese_first_english_second(client: FlaskClient) -> None:
    login(client, "admin")
    assert "Thiết lập đơn vị" in client.get("/admin/setup").get_data(as_text=True)
    english = client.get("/admin/setup?lang=en").get_data(as_text=True)
    assert "Office setup" in english and "Thiết lập đơn vị" not in english


def test_every_admin_text_has_a_vietnamese_translation_in_nfc() -> None:
    method_map = [("*.py", "python"), ("templates/*.html", "jinja2")]
    ours = {
        message
        for filename, _, message, *_ in extract_from_dir(str(TRANSLATIONS.parent), method_map, keywords={"_": None})
        if "admin" in filename or filename in {"audit.py", "templates/users.html"}
    }
    translated: dict[str, str] = {}
    for po in sorted((TRANSLATIONS / "vi" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            translated.update({m.id: m.string for m in read_po(f) if m.id and m.string})
    assert len(ours) > 100 and sorted(m for m in ours if m not in translated) == []
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "admin.po").open("rb") as f:
        assert all(unicodedata.is_normalized("NFC", m.string) for m in read_po(f))
