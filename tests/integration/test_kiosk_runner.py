"""``motcua-kiosk --config kiosk.toml``: the live runner as its own process against a real office."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.config import KioskConfigError, load_kiosk_config
from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.contract import topics
from tests.integration.test_kiosk_link import Sniffer


def write_config(path: Path, office: OfficeUnderTest, extra: str = "") -> Path:
    password = path.parent / "kiosk-1.password"
    password.write_text(office.passwords["kiosk-1"] + "\n")
    path.write_text(
        f'[link]\noffice_id = "{office.office_id}"\ndevice_id = "kiosk-1"\npassword_file = "{password}"\n'
        f'port = {office.port}\noutbox = "{path.parent / "outbox.db"}"\n'
        f'[display]\norientation = "portrait"\n'
        f'[printer]\nkind = "file"\noptions = {{ path = "{path.parent / "tickets.bin"}" }}\n'
        f'[scanner]\nkind = "serial"\nport = "{path.parent / "no-scanner"}"\n' + extra
    )
    return path


def test_config_rejects_unknown_keys_with_their_path(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.passwords["kiosk-1"] = "x"
    config = load_kiosk_config(write_config(tmp_path / "kiosk.toml", office))
    assert config.link is not None and config.link.device_id == "kiosk-1"
    assert config.display.size == (800, 1280) and config.printer.kind == "file"
    with pytest.raises(KioskConfigError, match=r"scanner\.colour: unknown key"):
        load_kiosk_config(write_config(tmp_path / "bad.toml", office, "colour = 1\n"))
    with pytest.raises(
        KioskConfigError, match=r"scanner\.show_masked_nme: unknown key; did you mean 'show_masked_name'"
    ):
        load_kiosk_config(write_config(tmp_path / "typo.toml", office, "show_masked_nme = true\n"))
    old = tmp_path / "old.toml"
    old.write_text(f'office_config = "{office.config_path}"\n' + write_config(tmp_path / "ok.toml", office).read_text())
    with pytest.raises(KioskConfigError, match=r"office_config: no longer read: the office .* comes from the server"):
        load_kiosk_config(old)


def test_runner_connects_reports_a_missing_scanner_and_stops_on_sigterm(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None)})
    office.start_server()
    config = write_config(tmp_path / "kiosk.toml", office)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "kiosk.log"
    try:
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "kiosk.main", "--config", str(config)],
                                    stdout=out, stderr=subprocess.STDOUT, env=env)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while "scanner" not in log.read_text() or "started" not in log.read_text():
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            sniffer = Sniffer(office)
            try:
                status = sniffer.wait_for(topics.device_status(office.office_id, "kiosk-1"), lambda d: d["online"])
            finally:
                sniffer.close()
            assert status["alarms"] == ["scanner_error"], status
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        office.stop_server()
    text = log.read_text()
    assert "kiosk kiosk-1 started (portrait, printer file, scanner serial)" in text
    assert "not available" in text, "a missing scanner is logged, not fatal"
    assert "Traceback" not in text


def test_first_frame_exit(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.passwords["kiosk-1"] = "not-used"
    config = write_config(tmp_path / "kiosk.toml", office)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run([sys.executable, "-m", "kiosk.main", "--config", str(config), "--first-frame-exit"],
                          env=env, capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
