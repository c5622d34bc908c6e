"""Sign-in, roles, CSRF, session expiry, the admin page, the CLI and the translations of the web app."""

from __future__ import annotations

import shutil
import time
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from queue_server.engine import commands as cmd
from queue_server.i18n import TRANSLATIONS, compile_catalogs, merged_catalog
from queue_server.store.web_users import UserError, authenticate, create_user, web_users
from tests.integration.web_support import PASSWORD, Office, csrf_token, login, make_app, post

PROTECTED = ["/dashboard", "/console", "/admin/users", "/plan", "/plan/export.csv"]


@pytest.mark.parametrize("path", [*PROTECTED, "/"])
def test_pages_need_a_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_login_sends_each_role_to_its_start_page(client: FlaskClient) -> None:
    for username, start in [("lan", "/console"), ("boss", "/dashboard"), ("admin", "/admin/users")]:
        response = login(client, username)
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert client.get("/").headers["Location"] == start
        post(client, "/auth/logout")
        assert client.get(start).status_code == 302  # signed out again


def test_wrong_password_and_unknown_user_are_refused_alike(client: FlaskClient) -> None:
    wrong = login(client, "boss", "not the password")
    unknown = login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_login_is_rate_limited_per_address_and_user(client: FlaskClient) -> None:
    for _ in range(5):
        assert login(client, "boss", "guess").status_code == 401
    blocked = login(client, "boss")  # even the right password waits now
    assert blocked.status_code == 429 and "Đăng nhập sai quá nhiều lần" in blocked.get_data(as_text=True)
    assert login(client, "lan").status_code == 302  # another user from the same address is not blocked
    elsewhere = client.post(
        "/auth/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert elsewhere.status_code == 302


def test_posts_without_a_csrf_token_are_rejected(office: Office, client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"username": "lan", "password": PASSWORD})
    assert response.status_code == 400
    login(client, "lan")
    office.run(cmd.IssueTicket("ho-tich"))
    assert client.post("/console/next").status_code == 400
    assert client.post("/console/next", data={"csrf_token": "forged"}).status_code == 400
    assert office.sent == []
    assert post(client, "/console/next").status_code == 302 and office.sent == [cmd.CallNext("quay-1")]


def test_session_expires(office: Office) -> None:
    client = make_app(office, PERMANENT_SESSION_LIFETIME=1).test_client()
    login(client, "boss")
    assert client.get("/dashboard").status_code == 200
    time.sleep(2.1)
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("lan", "/dashboard", 403),
        ("lan", "/admin/users", 403),
        ("boss", "/console", 403),
        ("boss", "/admin/users", 403),
        ("province", "/admin/users", 403),
        ("admin", "/console", 403),
        ("admin", "/admin/users", 200),
    ],
)
def test_roles(client: FlaskClient, username: str, path: str, status: int) -> None:
    login(client, username)
    assert client.get(path).status_code == status


def test_admin_lists_users_without_their_password_hashes(client: FlaskClient) -> None:
    login(client, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert all(name in page for name in ("boss", "other-boss", "province", "lan", "hung"))
    assert "Quản lý cấp tỉnh" in page and "scrypt" not in page


def test_passwords_are_stored_hashed_and_rules_enforced(office: Office) -> None:
    create_user(office.store.engine, "boss2", PASSWORD, "manager", office_id="tuan-giao")
    with office.store.engine.connect() as conn:
        stored = conn.execute(select(web_users.c.password_hash).where(web_users.c.username == "boss2")).scalar_one()
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    assert authenticate(office.store.engine, "boss2", PASSWORD) is not None
    assert authenticate(office.store.engine, "boss2", PASSWORD + "x") is None
    with pytest.raises(UserError):
        create_user(office.store.engine, "shorty", "short", "manager", office_id="tuan-giao")
    with pytest.raises(UserError):
        create_user(office.store.engine, "nocounter", PASSWORD, "staff")
    with pytest.raises(UserError):
        create_user(office.store.engine, "boss", PASSWORD, "admin")


def test_create_admin_command(app: Flask, office: Office) -> None:
    result = app.test_cli_runner().invoke(args=["create-admin", "root2", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert authenticate(office.store.engine, "root2", PASSWORD) is not None


def test_vietnamese_is_the_default_and_english_is_chosen_by_query(client: FlaskClient) -> None:
    assert "Đăng nhập" in client.get("/auth/login").get_data(as_text=True)
    assert "Username" in client.get("/auth/login?lang=en").get_data(as_text=True)
    assert "Username" in client.get("/auth/login").get_data(as_text=True)  # remembered in the session
    fresh = client.application.test_client()
    assert "Username" in fresh.get("/auth/login", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)


def test_every_page_text_has_a_vietnamese_translation_in_nfc() -> None:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {m[2] for m in extract_from_dir(str(TRANSLATIONS.parent), method_map, keywords={"_": None})}
    catalog = merged_catalog(TRANSLATIONS / "vi" / "LC_MESSAGES")
    missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []
    for message in catalog:
        assert unicodedata.is_normalized("NFC", message.string)


def test_catalogs_compile_to_mo_files(tmp_path: Path) -> None:
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, source, ignore=shutil.ignore_patterns("*.mo"))
    assert compile_catalogs(source) == source
    with (source / "vi" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        catalog = read_mo(f)
    assert catalog.get("Sign in").string == "Đăng nhập"
    assert (source / "en" / "LC_MESSAGES" / "messages.mo").exists()


def test_error_pages_are_in_vietnamese_with_their_status(client: FlaskClient) -> None:
    login(client, "lan")  # staff: the dashboard is for managers
    forbidden = client.get("/dashboard")
    assert forbidden.status_code == 403
    assert "Không được phép" in forbidden.text and "Tài khoản của bạn không được truy cập trang này." in forbidden.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.text
    assert "Page not found" in client.get("/no-such-page?lang=en").text
