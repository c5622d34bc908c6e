"""HTTPS through the reverse proxy: real nginx (Debian's nginx-light), run in the foreground from a temporary prefix
with the site file ``motcua web nginx-config`` writes, in front of the real web server (waitress), with a
self-signed certificate made here with ``cryptography`` or the one the office CA issues (no --cert/--key). Pages
come over HTTPS with Secure cookies and HSTS, plain HTTP redirects, the app sees each client's own address, and
300 half-open connections against nginx starve nobody."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from queue_server.cli import main
from queue_server.web.server import WebServer, protection_config
from queue_server.web_protection import WebProtection
from tests.fixtures.mosquitto import free_port
from tests.integration.web_support import PASSWORD, Office, make_app, office

__all__ = ["office"]  # fixtures
NGINX = Path("/usr/sbin/nginx")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ATTACKER = "127.0.0.2"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "motcua test office")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "office.crt", directory / "office.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Proxied:
    https_port: int
    http_port: int
    context: ssl.SSLContext
    web: WebServer

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while True:
        assert process.poll() is None, log.read_text() if log.exists() else "nginx exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "nginx never listened"
            time.sleep(0.1)


@pytest.fixture
def proxied(office: Office, tmp_path: Path) -> Iterator[Proxied]:
    cert, key = self_signed(tmp_path)
    with proxy(office, tmp_path, ["--cert", str(cert), "--key", str(key)], cert) as running:
        yield running


@contextmanager
def proxy(office: Office, tmp_path: Path, cert_args: list[str], ca_file: Path) -> Iterator[Proxied]:
    """nginx with the site ``motcua web nginx-config <cert_args>`` writes, in front of the real web server."""
    assert NGINX.exists(), "nginx is missing: make system-deps installs nginx-light"
    protection = WebProtection(behind_proxy=True, proxy_address="127.0.0.1")
    app = make_app(office, **protection_config(protection))
    web_port, https_port, http_port = free_port(), free_port(), free_port()
    config = tmp_path / "motcua.toml"
    config.write_text(
        f'[web]\nhost = "127.0.0.1"\nport = {web_port}\nbehind_proxy = true\n'
        f'[broker]\ncert_hosts = ["192.0.2.10"]\n[server]\ndata_dir = "{tmp_path}/data"\n'
    )
    site = tmp_path / "motcua-site.conf"
    argv = ["--config", str(config), "web", "nginx-config", *cert_args]
    argv += ["--https-port", str(https_port), "--http-port", str(http_port), "--listen", "127.0.0.1", "-o", str(site)]
    assert main(argv) == 0
    web = WebServer(app, host="127.0.0.1", port=web_port, threads=4, protection=protection).start()
    try:
        with run_nginx(tmp_path / "nginx", site, https_port):
            yield Proxied(https_port, http_port, ssl.create_default_context(cafile=str(ca_file)), web)
    finally:
        web.stop()


@contextmanager
def run_nginx(prefix: Path, site: Path, https_port: int) -> Iterator[None]:
    """Real nginx in the foreground from ``prefix`` (made here), serving ``site`` (for nginx's http context)."""
    assert NGINX.exists(), "nginx is missing: make system-deps installs nginx-light"
    prefix.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        "events { worker_connections 2048; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
        f"  include {site};\n}}\n"
    )
    log = prefix / "error.log"
    command = [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(https_port, process, log)
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(prefix / "proxy", ignore_errors=True)


def opener(proxied: Proxied) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=proxied.context), urllib.request.HTTPCookieProcessor(CookieJar())
    )


def sign_in(proxied: Proxied, username: str, password: str = PASSWORD) -> int:
    browser = opener(proxied)
    with browser.open(proxied.base + "/auth/login", timeout=10) as page:
        match = TOKEN.search(page.read().decode())
    assert match is not None
    form = urlencode({"username": username, "password": password, "csrf_token": match.group(1)}).encode()
    # Over HTTPS the CSRF check wants a same-origin Referer, as browsers send (Referrer-Policy: same-origin).
    request = urllib.request.Request(proxied.base + "/auth/login", form, headers={"Referer": proxied.base + "/"})
    try:
        with browser.open(request, timeout=10) as answer:  # redirects to the dashboard
            assert answer.url.endswith("/dashboard"), answer.url
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_pages_over_https_with_secure_cookies_and_hsts(proxied: Proxied) -> None:
    with urllib.request.urlopen(proxied.base + "/auth/login", context=proxied.context, timeout=10) as page:
        headers = page.headers
        assert page.status == 200 and "Đăng nhập" in page.read().decode()
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert sign_in(proxied, "boss") == 200  # signed in through the proxy, the Secure cookie sent back
    plain = http.client.HTTPConnection("127.0.0.1", proxied.http_port, timeout=5)
    plain.request("GET", "/auth/login")
    redirect = plain.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location", "").startswith("https://")


def test_https_with_a_certificate_from_the_office_ca(office: Office, tmp_path: Path) -> None:
    """Without --cert/--key the site uses ``data_dir/tls/web.pem``, issued by the office CA for the web's names:
    a PC or phone trusting the office's ``ca.pem`` (the devices' file) gets a verified page, host name checked."""
    ca_file = tmp_path / "data" / "tls" / "ca.pem"
    with proxy(office, tmp_path, ["--server-name", "motcua.office.lan"], ca_file) as running:
        assert (tmp_path / "data" / "tls" / "web.key").stat().st_mode & 0o077 == 0
        base = f"https://localhost:{running.https_port}"
        with urllib.request.urlopen(base + "/auth/login", context=running.context, timeout=10) as page:
            headers = page.headers
            assert page.status == 200 and "Đăng nhập" in page.read().decode()
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Secure" in headers["Set-Cookie"]
        for name in ("motcua.office.lan", "192.0.2.10"):  # --server-name and [broker] cert_hosts
            with (
                socket.create_connection(("127.0.0.1", running.https_port), timeout=5) as sock,
                running.context.wrap_socket(sock, server_hostname=name) as tls,
            ):
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
        with (
            socket.create_connection(("127.0.0.1", running.https_port), timeout=5) as sock,
            pytest.raises(ssl.SSLCertVerificationError),  # the host name is checked
        ):
            running.context.wrap_socket(sock, server_hostname="elsewhere.example")
        with pytest.raises(urllib.error.URLError):  # not trusted without the office CA
            urllib.request.urlopen(base + "/auth/login", context=ssl.create_default_context(), timeout=10)


def test_nginx_answers_in_vietnamese_while_the_server_is_down(proxied: Proxied) -> None:
    proxied.web.stop()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(proxied.base + "/auth/login", context=proxied.context, timeout=10)
    assert error.value.code == 502
    assert error.value.read().decode().startswith("Máy chủ đang khởi động lại")


def attempt_from(proxied: Proxied, source: str, password: str) -> int:
    """One sign-in as boss through the proxy from ``source`` (a loopback address of its own)."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", proxied.https_port, timeout=10, source_address=(source, 0), context=proxied.context
    )
    try:
        conn.request("GET", "/auth/login")
        page = conn.getresponse()
        token = TOKEN.search(page.read().decode())
        assert token is not None
        cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
        form = urlencode({"username": "boss", "password": password, "csrf_token": token.group(1)})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Referer": proxied.base + "/"}
        conn.request("POST", "/auth/login", body=form, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def test_the_app_sees_each_clients_own_address(proxied: Proxied) -> None:
    """Five wrong passwords for boss from one client block boss from that client only: the sign-in limiter counts
    the X-Forwarded-For nginx sets (believed from the proxy alone), not the proxy's own address."""
    assert [attempt_from(proxied, ATTACKER, "wrong") for _ in range(5)] == [401] * 5
    assert attempt_from(proxied, ATTACKER, PASSWORD) == 429
    assert attempt_from(proxied, "127.0.0.1", PASSWORD) == 302


def test_half_open_connections_against_nginx_starve_nobody(proxied: Proxied) -> None:
    attack: list[socket.socket] = []
    try:
        for i in range(300):
            sock = socket.create_connection(("127.0.0.1", proxied.https_port), timeout=5, source_address=(ATTACKER, 0))
            if i % 2:
                sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a TLS ClientHello
            else:
                sock = proxied.context.wrap_socket(sock, server_hostname="localhost")
                sock.sendall(b"GET /auth/login HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow")
            attack.append(sock)
        started = time.monotonic()
        for _ in range(5):
            with urllib.request.urlopen(proxied.base + "/auth/login", context=proxied.context, timeout=5) as page:
                assert page.status == 200
        assert time.monotonic() - started < 5  # a liveness bound
    finally:
        for sock in attack:
            sock.close()
