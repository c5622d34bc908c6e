"""The web as a hostile client meets it (issue 10): half-open and slow connections against the real waitress
server, sign-in floods over many usernames and addresses, cookies replayed after sign-out and after a password
reset (formula cells in the exports, the security headers and ``web.secret``: ``test_hostile_web_pages.py``; HTTPS
through real nginx: ``tests/e2e/test_web_nginx.py``).

Loopback has a whole /8: the attacker's sockets are bound to 127.0.0.2, the office's browser uses 127.0.0.1."""

from __future__ import annotations

import http.client
import itertools
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server.engine import commands as cmd
from queue_server.store.web_users import set_password
from queue_server.web.login_limits import MAX_KEYS, TRUSTED_ADDRESSES, LoginLimiter, LoginLimits, address_key
from queue_server.web.server import WebServer
from queue_server.web_protection import WebProtection
from tests.integration.web_support import FAST_HASH, PASSWORD, Office, csrf_token, login, make_app, post

ATTACKER = "127.0.0.2"
HALF_REQUEST = b"GET /auth/login HTTP/1.1\r\nHost: office\r\nUser-Agent: slow"


# --- connections ------------------------------------------------------------------------------------------------


@pytest.fixture
def server(app: Flask) -> Iterator[WebServer]:
    protection = WebProtection(connections_per_address=20, request_timeout_seconds=3, channel_timeout_seconds=30)
    web = WebServer(app, host="127.0.0.1", port=0, threads=4, protection=protection).start()
    yield web
    web.stop()


def open_from(address: str, port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(address, 0))
    return sock


def page(port: int, path: str = "/auth/login", source: str = "127.0.0.1") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def open_channels(web: WebServer, address: str) -> int:
    return sum(1 for c in web._server.open_channels() if c.ip() == address)


def test_150_half_open_connections_from_one_address_do_not_starve_the_others(server: WebServer) -> None:
    attack: list[socket.socket] = []
    try:
        for _ in range(150):
            sock = open_from(ATTACKER, server.port)
            sock.sendall(HALF_REQUEST)
            attack.append(sock)
        started = time.monotonic()
        assert [page(server.port) for _ in range(5)] == [200] * 5
        assert time.monotonic() - started < 5  # a liveness bound, not a timing goal
        assert open_channels(server, ATTACKER) <= 20  # the rest were closed to make room for its own newer ones
        assert page(server.port, source=ATTACKER) == 200  # the attacker's own address is not shut out either
    finally:
        for sock in attack:
            sock.close()


def test_half_open_connections_from_many_addresses_do_not_fill_the_server(app: Flask) -> None:
    """Over ``connection_limit`` in all, the address holding the most gives up its stalest connection."""
    protection = WebProtection(connection_limit=30, connections_per_address=20)
    web = WebServer(app, host="127.0.0.1", port=0, threads=4, protection=protection).start()
    attack: list[socket.socket] = []
    try:
        for i in range(100):
            sock = open_from(f"127.0.1.{i % 10 + 1}", web.port)
            sock.sendall(HALF_REQUEST)
            attack.append(sock)
        assert [page(web.port) for _ in range(5)] == [200] * 5
        assert len(web._server.open_channels()) <= 30
    finally:
        for sock in attack:
            sock.close()
        web.stop()


def test_a_request_trickling_in_byte_by_byte_is_cut_at_its_deadline(server: WebServer) -> None:
    sock = open_from(ATTACKER, server.port)
    sock.settimeout(1)
    deadline = time.monotonic() + 15
    closed = False
    try:
        for byte in itertools.cycle(HALF_REQUEST[:20]):  # a header line that never ends, a byte every 0.3 s
            assert time.monotonic() < deadline, "the slow request was never cut off"
            try:
                sock.send(bytes([byte]))
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:  # reset by the server
                closed = True
                break
    finally:
        sock.close()
    assert closed


def test_an_office_behind_one_address_keeps_its_pages_and_its_event_stream(office: Office, server: WebServer) -> None:
    """A NAT: one address, a manager's live stream held open, then many more connections from the same address
    (browsers' idle keep-alives) than the cap: the stream is being served and survives; every page loads."""
    stream = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(ATTACKER, 0))
    cookie = signed_in_cookie(server.port, "boss", ATTACKER)
    stream.request("GET", "/live/stream", headers={"Cookie": cookie})
    response = stream.getresponse()
    assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/event-stream")
    next_event(response)  # the panel as it is
    idle = []
    for _ in range(40):  # twice the cap, each left open after its answer (keep-alive)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5, source_address=(ATTACKER, 0))
        conn.request("GET", "/auth/login")
        assert conn.getresponse().read()
        idle.append(conn)
    assert open_channels(server, ATTACKER) <= 20
    office.run(cmd.IssueTicket("ho-tich"))  # the stream must carry this change
    assert "A001" in next_event(response)
    assert page(server.port, source=ATTACKER) == 200
    for conn in idle:
        conn.close()
    stream.close()


def next_event(response: http.client.HTTPResponse) -> str:
    """The next server-sent event's data (the stream's socket has a 10 s timeout: a dead stream fails)."""
    lines: list[str] = []
    while True:
        line = response.fp.readline().decode()
        if line.strip() == "" and lines:
            return "\n".join(lines)
        if line.startswith("data:"):
            lines.append(line[5:].strip())


def signed_in_cookie(port: int, username: str, source: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    conn.request("GET", "/auth/login")
    first = conn.getresponse()
    body = first.read().decode()
    cookie = first.getheader("Set-Cookie", "").split(";")[0]
    token = body.split('name="csrf_token" value="')[1].split('"')[0]
    form = f"username={username}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}"
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/auth/login", body=form, headers=headers)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    assert answer.status == 302, answer.status
    return answer.getheader("Set-Cookie", "").split(";")[0]


def test_forwarded_headers_are_believed_from_the_configured_proxy_only(app: Flask) -> None:
    protection = WebProtection(behind_proxy=True, proxy_address="127.0.0.1")
    web = WebServer(app, host="127.0.0.1", port=0, threads=2, protection=protection).start()
    try:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        for source, believed in (("127.0.0.1", True), (ATTACKER, False)):
            conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5, source_address=(source, 0))
            conn.request("GET", "/auth/login", headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            assert ("Strict-Transport-Security" in response.headers) is believed
            assert ("Secure" in (response.getheader("Set-Cookie") or "")) is believed
    finally:
        web.stop()


# --- sign-in floods ---------------------------------------------------------------------------------------------


def attempt(client: FlaskClient, username: str, address: str, password: str = "wrong guess") -> int:
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    status: int = client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code
    return status


def test_a_sprayer_over_many_usernames_is_stopped_per_address(office: Office) -> None:
    client = make_app(office, LOGIN_FAILURES_PER_ADDRESS=10).test_client()  # 30 by default; fewer hashes here
    statuses = [attempt(client, f"user{i}", "198.51.100.7") for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    assert attempt(client, "boss", "198.51.100.7", PASSWORD) == 429  # even the right password waits now
    assert attempt(client, "boss", "198.51.100.8", PASSWORD) == 302  # another address is not


def test_ipv6_addresses_of_one_network_count_as_one(office: Office) -> None:
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    client = make_app(office, LOGIN_FAILURES_PER_ADDRESS=10).test_client()
    statuses = [attempt(client, f"u{i}", f"2001:db8:1:2::{i:x}") for i in range(11)]
    assert statuses == [401] * 10 + [429]
    assert attempt(client, "u0", "2001:db8:1:3::1") == 401  # the next /64 is another client


def test_one_account_guessed_from_many_addresses_and_the_global_budget(office: Office) -> None:
    client = make_app(office, LOGIN_FAILURES_PER_USERNAME=8, LOGIN_FAILURES_GLOBAL=12).test_client()
    assert attempt(client, "lan", "192.0.2.200", PASSWORD) == 302  # a staff PC that signed in before
    post(client, "/auth/logout")
    assert [attempt(client, "boss", f"192.0.2.{i}") for i in range(8)] == [401] * 8
    assert attempt(client, "boss", "192.0.2.50", PASSWORD) == 429  # the account waits, from a new address
    assert [attempt(client, f"x{i}", f"192.0.2.{100 + i}") for i in range(4)] == [401] * 4  # 12 in all
    assert attempt(client, "admin", "192.0.2.60", PASSWORD) == 429  # the budget is spent: new addresses wait
    assert attempt(client, "boss", "192.0.2.200", PASSWORD) == 302  # the known PC still signs in, even as boss


def test_the_limiter_stays_bounded_whatever_the_flood() -> None:
    now = [0.0]
    limiter = LoginLimiter(LoginLimits(), clock=lambda: now[0])
    for i in range(60_000):  # 60,000 distinct usernames from 60,000 addresses within one window
        now[0] += 0.001
        address = f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}"
        limiter.blocked(address, f"user-{i}")
        limiter.failed(address, f"user-{i}")
    bound = 3 * MAX_KEYS + 1 + TRUSTED_ADDRESSES
    assert limiter.size() <= bound
    now[0] += 16 * 60  # the window passes: the next failure drops every expired key
    limiter.failed("10.9.9.9", "someone")
    assert limiter.size() <= 4


def test_failed_sign_ins_are_logged_summarised_without_the_password(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="queue_server.web.login_limits")
    for i in range(8):
        attempt(client, f'evil"user level=ERROR {i}', "198.51.100.9", password="hunter2-secret")
    lines = [r.getMessage() for r in caplog.records if r.name == "queue_server.web.login_limits"]
    assert len(lines) == 1  # the first at once; the rest wait for the minute's summary
    assert "hunter2" not in caplog.text and "address=198.51.100.9" in lines[0]
    assert "user=evil?user?level?ERROR?0" in lines[0] and "=ERROR" not in lines[0]


# --- sessions ---------------------------------------------------------------------------------------------------


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, value: str, path: str = "/dashboard") -> int:
    thief = app.test_client()
    thief.set_cookie("session", value)
    status: int = thief.get(path).status_code
    return status


def test_a_cookie_captured_before_sign_out_is_refused_after_it(app: Flask, client: FlaskClient) -> None:
    login(client, "boss")
    captured = cookie_of(client)
    assert replay(app, captured) == 200  # the thief's copy works while the session is open
    post(client, "/auth/logout")
    assert replay(app, captured) == 302  # ... and not after the sign-out
    login(client, "boss")
    assert client.get("/dashboard").status_code == 200  # signing in again works


def test_a_password_reset_ends_every_open_session(office: Office, app: Flask, client: FlaskClient) -> None:
    login(client, "boss")
    captured = cookie_of(client)
    admin = app.test_client()
    login(admin, "admin")
    assert post(admin, "/admin/users/boss/password").status_code == 200
    assert client.get("/dashboard").status_code == 302 and replay(app, captured) == 302
    assert admin.get("/admin/users").status_code == 200  # the admin's own session goes on
    login(client, "lan")
    set_password(office.store.engine, "lan", "a new long password", password_method=FAST_HASH)
    assert client.get("/console").status_code == 302
