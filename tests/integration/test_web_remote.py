"""The public booking pages (/r) and a remote number's ticket page, through Flask's client on the real service."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server.engine import commands as cmd
from queue_server.web import create_app
from tests.integration.remote_support import PHONE, KeptNotifier, desk
from tests.integration.web_support import Office, csrf_token

CODE = re.compile(r'id="check-in-code">(\d{6})<')


@pytest.fixture
def notifier() -> KeptNotifier:
    return KeptNotifier()


@pytest.fixture
def app(office: Office, notifier: KeptNotifier) -> Flask:
    return create_app(
        {"TESTING": True, "SECRET_KEY": "test-secret"},
        store=office.store,
        setup=office.setup,
        execute=office.execute,
        live=office.service.live,
        remote=desk(office, notifier),
    )


def take_number(client: FlaskClient, notifier: KeptNotifier) -> str:
    token = csrf_token(client)
    sent = client.post("/r", data={"service_id": "ho-tich", "phone": "0912 345 678", "csrf_token": token})
    assert sent.status_code == 302 and sent.location.endswith("/r/code")
    page = client.get("/r/code").get_data(as_text=True)
    assert "…678" in page and PHONE not in page
    booked = client.post("/r/code", data={"code": notifier.last_code(), "csrf_token": token})
    assert booked.status_code == 302 and "/t/" in booked.location
    return str(booked.location)


def test_a_phone_books_a_number_and_its_page_shows_the_check_in_code_and_qr(
    client: FlaskClient, notifier: KeptNotifier, office: Office
) -> None:
    page = client.get("/r").get_data(as_text=True)
    assert "Lấy số trực tuyến" in page and "Hộ tịch" in page
    ticket_url = take_number(client, notifier)
    ticket_page = client.get(ticket_url).get_data(as_text=True)
    assert "A001" in ticket_page and "Chưa xác nhận có mặt" in ticket_page
    code = CODE.search(ticket_page)
    assert code is not None and "<svg" in ticket_page
    assert PHONE not in ticket_page
    office.run(cmd.CheckIn(code.group(1)))
    assert "Chưa xác nhận" not in client.get(ticket_url).get_data(as_text=True)


def test_posts_without_the_csrf_token_are_refused(client: FlaskClient) -> None:
    assert client.post("/r", data={"service_id": "ho-tich", "phone": PHONE}).status_code == 400


def test_a_wrong_code_is_said_in_vietnamese_and_english(client: FlaskClient, notifier: KeptNotifier) -> None:
    token = csrf_token(client)
    client.post("/r", data={"service_id": "ho-tich", "phone": PHONE, "csrf_token": token})
    wrong = "000000" if notifier.last_code() != "000000" else "111111"
    answer = client.post("/r/code", data={"code": wrong, "csrf_token": token})
    assert answer.status_code == 400 and "Sai mã: còn 4 lần thử." in answer.get_data(as_text=True)
    english = client.post("/r/code?lang=en", data={"code": wrong, "csrf_token": token}).get_data(as_text=True)
    assert "Wrong code: 3 tries left." in english


def test_a_bad_phone_is_refused_on_the_form_without_echoing_it(client: FlaskClient) -> None:
    answer = client.post("/r", data={"service_id": "ho-tich", "phone": "<b>12</b>", "csrf_token": csrf_token(client)})
    assert answer.status_code == 400 and "số di động Việt Nam" in answer.get_data(as_text=True)
    assert "<b>12</b>" not in answer.get_data(as_text=True)


def test_the_form_is_rate_limited_per_address(office: Office, notifier: KeptNotifier) -> None:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "s"},
        store=office.store, setup=office.setup, execute=office.execute, live=office.service.live,
        remote=desk(office, notifier, form_per_address_per_minute=2),
    )  # fmt: skip
    client = app.test_client()
    token = csrf_token(client)
    codes = [
        client.post("/r", data={"service_id": "x", "phone": "1", "csrf_token": token}).status_code for _ in range(3)
    ]
    assert codes == [400, 400, 429]


def test_without_remote_numbers_the_pages_do_not_exist(office: Office) -> None:
    app = create_app({"TESTING": True}, store=office.store, setup=office.setup, live=office.service.live)
    assert app.test_client().get("/r").status_code == 404
