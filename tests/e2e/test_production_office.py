"""The README's production office, run as written: its ``motcua.toml``, its commands in their order (real Mosquitto
on the generated file, ``motcua server`` as a process), the kiosk's ``[link]``. Only paths (into a temporary folder)
and ports (free ones) are changed. A kiosk reaches the broker over TLS with the CA ``device add`` wrote and gets a
ticket; the plain listener answers on loopback only; real nginx on the written site serves the server's web over
HTTPS with a certificate from the same CA (``motcua tls ca``), Secure cookie and HSTS."""

from __future__ import annotations

import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from queue_server.brokers.process import MOSQUITTO, free_port, wait_for_port
from queue_server.contract.link_config import LinkConfig
from tests.e2e.test_web_nginx import run_nginx

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## A production office (Mosquitto, TLS)"
TIMEOUT = 20.0


def readme_blocks() -> dict[str, list[str]]:
    """The section's fenced blocks by language: ``toml`` (the office's config, the kiosk's link) and ``sh``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, "the README lost its production section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S):
        blocks.setdefault(language, []).append(body)
    return blocks


def localise(text: str, tmp: Path, ports: dict[str, int]) -> str:
    """The README's text with its paths under ``tmp`` and its ports free ones."""
    text = text.replace("/etc/nginx/sites-enabled/motcua", f"{tmp}/nginx-site.conf")
    text = text.replace("/var/lib/motcua", f"{tmp}/var").replace("/etc/motcua", f"{tmp}/etc")
    for port, free in ports.items():
        text = re.sub(rf"\b{port}\b", str(free), text)
    return text


def lan_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in reversed(started):  # the server first, then Mosquitto
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.mosquitto
def test_the_readme_production_office(tmp_path: Path, processes: list[subprocess.Popen[bytes]]) -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("Debian's mosquitto is not installed; run `make system-deps`")
    blocks = readme_blocks()
    office_toml, link_toml = blocks["toml"]
    (commands,) = blocks["sh"]
    ports = {"1883": free_port(), "8883": free_port(), "8080": free_port()}
    plain_port, tls_port = ports["1883"], ports["8883"]
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "motcua.toml"
    config.write_text(localise(office_toml, tmp_path, ports), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    outputs: list[str] = []
    for line in localise(commands, tmp_path, ports).splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command:
            continue
        background = command.endswith("&")
        argv = shlex.split(command.rstrip("&"))
        if argv[0] == "motcua":
            argv = [sys.executable, "-m", "queue_server.cli", *argv[1:]]
        elif argv[0] == "mosquitto":
            argv[0] = MOSQUITTO
        if background:
            log = tmp_path / f"{Path(argv[0]).name}-{len(processes)}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
            processes.append(proc)
            if Path(argv[0]).name == "mosquitto":
                started = wait_for_port("127.0.0.1", plain_port, TIMEOUT, alive=lambda p=proc: p.poll() is None)
                assert started, log.read_text()
        else:
            done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout + done.stderr)
    assert len(processes) == 2, "the README starts Mosquitto and the server"

    added = next(out for out in outputs if "password: " in out)
    assert "systemctl reload" not in added  # Mosquitto's pid file was found: reloaded by SIGHUP
    password = added.split("password: ")[1].split()[0]
    written_ca = Path(added.split("ca_file: ")[1].split()[0])
    assert f"port = {tls_port}" in added  # device add names the TLS port for the [link]
    # The kiosk, configured as the README says: its password and the CA copied to its own files.
    (tmp_path / "etc" / "kiosk-01.password").write_text(password + "\n")
    (tmp_path / "etc" / "kiosk-01.ca.pem").write_bytes(written_ca.read_bytes())
    link_config = LinkConfig.model_validate(tomllib.loads(localise(link_toml, tmp_path, ports))["link"])
    assert link_config.port == tls_port and link_config.ca_file is not None
    # may-chu-motcua.local resolves on the office's LAN only: this machine's loopback is in the certificate too
    link_config = link_config.model_copy(update={"host": "localhost", "outbox": tmp_path / "outbox.db"})
    with link_config.open() as link:
        assert link.wait_connected(TIMEOUT), "the kiosk did not reach Mosquitto over TLS"
        reply = link.request("issue_ticket", {"service_id": "ho-tich"}, timeout=TIMEOUT)
    assert reply is not None, "no reply from the server through Mosquitto"
    assert reply["ok"], reply
    assert reply["result"]["ticket"]["label"] == "A001" and reply["result"]["ticket"]["service_id"] == "ho-tich"

    conf = (tmp_path / "var" / "mosquitto" / "mosquitto.conf").read_text()
    assert f"listener {plain_port} 127.0.0.1" in conf
    address = lan_address()
    if address is not None:  # from the LAN only the TLS listener answers
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, plain_port), timeout=5).close()
        socket.create_connection((address, tls_port), timeout=5).close()

    # The web: its certificate from the same CA, for the names the browsers use; real nginx on the written site.
    site = tmp_path / "nginx-site.conf"
    web_pem = tmp_path / "var" / "tls" / "web.pem"
    assert f"ssl_certificate {web_pem};" in site.read_text()
    web = x509.load_pem_x509_certificate(web_pem.read_bytes())
    web.verify_directly_issued_by(x509.load_pem_x509_certificate(written_ca.read_bytes()))
    names = web.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "may-chu-motcua.local" in names.get_values_for_type(x509.DNSName)
    https_port = free_port()
    site.write_text(
        site.read_text()
        .replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
        .replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    )
    tls_ca = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--config", str(config), "tls", "ca"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    (tmp_path / "office-ca.pem").write_text(tls_ca.stdout)  # what staff PCs and phones trust
    browser = ssl.create_default_context(cafile=str(tmp_path / "office-ca.pem"))
    with (
        run_nginx(tmp_path / "nginx", site, https_port),
        urllib.request.urlopen(f"https://localhost:{https_port}/auth/login", context=browser, timeout=10) as page,
    ):
        assert page.status == 200 and "Đăng nhập" in page.read().decode()
        assert "Secure" in page.headers["Set-Cookie"] and page.headers["Strict-Transport-Security"]
