"""Setting up the office broker as the docs say: Mosquitto as a conf.d include of Debian's main file, its pid
file for ``motcua device add``; the embedded broker's denial logs summarised per username."""

from __future__ import annotations

import grp
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.embedded import EmbeddedBroker
from queue_server.brokers.mosquitto import BrokerAccount, write_mosquitto_config
from queue_server.brokers.process import MOSQUITTO, free_port, wait_for_port
from queue_server.cli import main
from queue_server.contract import topics
from queue_server.contract.mqtt_client import tls_context

TIMEOUT = 10.0


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def _mosquitto(config: Path, log: Path, started: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
    started.append(proc)
    return proc


def _connects(port: int, username: str, password: str, ca_file: Path | None = None) -> bool:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=username)
    client.username_pw_set(username, password)
    if ca_file is not None:
        client.tls_set_context(tls_context(ca_file))
    try:
        client.connect("127.0.0.1", port)
        client.loop_start()
        deadline = time.monotonic() + TIMEOUT
        while not client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        return client.is_connected()
    finally:
        client.disconnect()
        client.loop_stop()


def _debian_like(root: Path) -> Path:
    """Debian's /etc/mosquitto/mosquitto.conf, moved under ``root``."""
    for name in ("conf.d", "lib", "run"):
        (root / name).mkdir(parents=True, exist_ok=True)
    for name in ("lib", "run"):
        os.chown(root / name, pwd.getpwnam("mosquitto").pw_uid, grp.getgrnam("mosquitto").gr_gid)
    os.chmod(root, 0o755)
    main_conf = root / "mosquitto.conf"
    main_conf.write_text(
        f"pid_file {root}/run/mosquitto.pid\npersistence true\npersistence_location {root}/lib/\n"
        f"log_dest stderr\ninclude_dir {root}/conf.d\n"
    )
    return main_conf


@pytest.mark.mosquitto
def test_a_conf_d_include_starts_under_debians_main_file(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], request: pytest.FixtureRequest
) -> None:
    if os.geteuid() != 0 or not Path(MOSQUITTO).exists():
        pytest.skip("needs root and Debian's mosquitto (with its user)")
    try:
        grp.getgrnam("mosquitto")
    except KeyError:
        pytest.skip("no mosquitto group")
    # the broker drops root for the mosquitto user, which must reach these folders: not under pytest's 0700 tmp
    root = Path(tempfile.mkdtemp(prefix="motcua-debian-"))
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    main_conf = _debian_like(root)
    port, password = free_port(), new_password()
    accounts = [BrokerAccount("kiosk-01", hash_password(password))]
    # what motcua wrote before: a whole config, which Debian's main file refuses
    standalone = write_mosquitto_config(root / "conf.d", office_id="q1", port=port, accounts=accounts)
    standalone.rename(root / "conf.d" / "standalone.conf")
    failed = subprocess.run([MOSQUITTO, "-c", str(main_conf)], capture_output=True, timeout=10)
    assert failed.returncode != 0 and b"Duplicate" in failed.stdout + failed.stderr
    (root / "conf.d" / "standalone.conf").unlink()

    write_mosquitto_config(
        root / "conf.d", office_id="q1", port=port, accounts=accounts, include_mode=True, group="mosquitto"
    )
    proc = _mosquitto(main_conf, tmp_path / "mosquitto.log", processes)
    assert wait_for_port("127.0.0.1", port, TIMEOUT, alive=lambda: proc.poll() is None), (
        tmp_path / "mosquitto.log"
    ).read_text()
    assert int((root / "run" / "mosquitto.pid").read_text()) == proc.pid
    assert _connects(port, "kiosk-01", password)


@pytest.mark.mosquitto
def test_a_tls_office_on_mosquitto_set_up_by_the_cli(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("Debian's mosquitto is not installed")
    port, tls_port = free_port(), free_port()
    config = tmp_path / "motcua.toml"
    config.write_text(
        f'[broker]\nkind = "mosquitto"\nport = {port}\nmosquitto_dir = "{tmp_path}/mosquitto"\n'
        f'tls = true\ntls_host = "127.0.0.1"\ntls_port = {tls_port}\n'
        f'mosquitto_pid_file = "{tmp_path}/mosquitto/mosquitto.pid"\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/office.db"\n[server]\ndata_dir = "{tmp_path}/data"\n'
    )
    assert main(["--config", str(config), "broker", "config"]) == 0
    conf = tmp_path / "mosquitto" / "mosquitto.conf"
    assert f"pid_file {tmp_path}/mosquitto/mosquitto.pid" in conf.read_text()
    proc = _mosquitto(conf, tmp_path / "mosquitto.log", processes)
    assert wait_for_port("127.0.0.1", port, TIMEOUT, alive=lambda: proc.poll() is None)
    assert int((tmp_path / "mosquitto" / "mosquitto.pid").read_text()) == proc.pid
    capsys.readouterr()
    assert main(["--config", str(config), "device", "add", "kiosk-01", "--kind", "kiosk"]) == 0
    out = capsys.readouterr().out
    assert "systemctl reload" not in out  # the pid file was found: reloaded by SIGHUP
    password = out.split("password: ")[1].split()[0]
    ca_file = Path(out.split("ca_file: ")[1].split()[0])
    deadline = time.monotonic() + TIMEOUT
    while not _connects(tls_port, "kiosk-01", password, ca_file):  # SIGHUP is applied asynchronously
        assert time.monotonic() < deadline, "mosquitto did not re-read its password file"


def test_the_embedded_broker_summarises_denials_per_username(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="queue_server.brokers.amqtt_rules")
    password = new_password()
    hashes = {"kiosk-flood": hash_password(password)}
    with EmbeddedBroker(office_id="q1", port=0, accounts_provider=lambda: hashes) as broker:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="x")
        client.username_pw_set("kiosk-flood", password)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        try:
            infos = [client.publish(topics.board_state("q1"), b"forged", qos=1) for _ in range(500)]
            for info in infos:
                info.wait_for_publish(TIMEOUT)
        finally:
            client.disconnect()
            client.loop_stop()
        for _ in range(20):
            bad = mqtt.Client(CallbackAPIVersion.VERSION2)
            bad.username_pw_set("kiosk-flood", "wrong")
            bad.connect("127.0.0.1", broker.port)
            rc = bad.loop(timeout=2.0)
            bad.disconnect()
            assert rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_CONN_REFUSED, mqtt.MQTT_ERR_CONN_LOST)
    lines = [r.getMessage() for r in caplog.records if "kiosk-flood" in r.getMessage()]
    denied = [line for line in lines if line.startswith("denied publishes from kiosk-flood")]
    refused = [line for line in lines if line.startswith("refused logins of kiosk-flood")]
    assert len(denied) == 1 and "count=1" in denied[0], lines
    assert 1 <= len(refused) <= 2, lines  # the first at once; the rest within the minute, counted
    assert len(lines) <= 3
