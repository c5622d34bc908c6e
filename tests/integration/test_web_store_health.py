"""The database's health on the web pages (real service, real SQLite, the commit made to fail): the alarm on
``/live`` and the console, "Mất kết nối cơ sở dữ liệu" for a console command, a 503 page in Vietnamese instead of a
generic 500 when a page itself needs the database, and everything back by itself afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from queue_server.engine import commands as cmd
from queue_server.store.event_store import Commit, StoredEvent
from queue_server.store.health import StoreHealth
from queue_server.web import create_app
from tests.integration.web_support import Office, login, post

MB = 1024 * 1024


def app_for(office: Office) -> Flask:
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "LIVE_MIN_INTERVAL_SECONDS": 0}
    return create_app(config, store=office.store, setup=office.setup, execute=office.execute, live=office.service.live)


@pytest.fixture
def client(office: Office) -> FlaskClient:
    return app_for(office).test_client()


def break_commits(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    def commit(batch: Sequence[Commit]) -> list[list[StoredEvent]]:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(office.store, "commit", commit)


def test_database_down_shows_on_live_and_the_console_and_clears_by_itself(
    office: Office, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, "boss")
    assert 'id="store-alarm"' not in client.get("/live").get_data(as_text=True)
    break_commits(office, monkeypatch)
    with pytest.raises(RuntimeError):
        office.run(cmd.IssueTicket("ho-tich"))
    page = client.get("/live").get_data(as_text=True)
    assert 'id="store-alarm"' in page and "Mất kết nối cơ sở dữ liệu" in page and "disk I/O error" in page
    assert "thiết bị sẽ tự gửi lại" in page

    staff = app_for(office).test_client()
    login(staff, "lan")
    answer = post(staff, "/console/next")
    assert answer.status_code == 302
    console = staff.get("/console").get_data(as_text=True)
    assert "Bị từ chối" in console or "Mất kết nối cơ sở dữ liệu" in console
    assert console.count("Mất kết nối cơ sở dữ liệu") >= 2, "the flash and the alarm"

    monkeypatch.undo()
    office.run(cmd.IssueTicket("ho-tich"))
    assert 'id="store-alarm"' not in client.get("/live").get_data(as_text=True)


def test_low_disk_space_is_an_alarm_with_the_free_space(office: Office, client: FlaskClient) -> None:
    office.service.health = StoreHealth(Path("/"), min_free_mb=200, space_check_seconds=0, free=lambda _: 150 * MB)
    office.service.tick()
    login(client, "boss")
    page = client.get("/live").get_data(as_text=True)
    assert 'data-problem="low_space"' in page and "Ổ đĩa sắp đầy: tạm ngừng cấp số mới" in page
    assert "Dung lượng trống: 150 MB (ngưỡng tối thiểu 200 MB)" in page


def test_a_page_that_needs_the_database_while_it_is_down_is_a_503_in_vietnamese(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, "boss")

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr("queue_server.store.web_users.get_user", down)  # the sign-in check reads web_users first
    answer = client.get("/live")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "Mất kết nối cơ sở dữ liệu" in page and "connection refused" in page
