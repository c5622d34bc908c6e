"""``make demo``'s counters: simulated buttons make calls seen on a counter screen (PNG), an LED board's bytes,
the hall board (PNG) and heard as WAV files, against a real office server (embedded broker, SQLite)."""

from __future__ import annotations

import shutil
import threading
import time
import wave
from pathlib import Path

import pytest

from queue_server.app import OfficeServer
from queue_server.brokers.process import free_port
from queue_server.config import load_settings
from queue_server.contract.device_link import DeviceLink
from queue_server.demo.counters import run_counters
from queue_server.demo.office import demo_devices

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "display"
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def test_simulated_buttons_make_calls_seen_and_heard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    config = tmp_path / "motcua.toml"
    store, data = f"sqlite:///{tmp_path}/office.db", tmp_path / "data"
    config.write_text(f'[broker]\nkind = "embedded"\nport = {free_port()}\n'
                      f'[store]\nurl = "{store}"\n[server]\ndata_dir = "{data}"\n[web]\nport = 0\n')  # fmt: skip
    settings = load_settings(config)
    devices = demo_devices(settings)
    server = OfficeServer(settings).start()
    out = tmp_path / "out"
    stop = threading.Event()
    try:
        assert server.link is not None and server.link.wait_connected(10)
        kiosk = DeviceLink(office_id=settings.office.id, device_id="kiosk-01", password=devices["kiosk-01"]["password"],
                           host=settings.broker.host, port=settings.broker.port,
                           outbox_path=tmp_path / "kiosk.db")  # fmt: skip
        with kiosk:
            assert kiosk.wait_connected(10)
            for service in ("ho-tich", "ho-tich", "cu-tru", "chung-thuc"):
                assert (kiosk.request("issue_ticket", {"service_id": service}) or {}).get("ok")

        def stop_after_two_calls() -> None:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(list((out / "voice").glob("call-*.wav"))) < 2:
                time.sleep(0.2)
            stop.set()

        threading.Thread(target=stop_after_two_calls, daemon=True).start()
        result = run_counters(settings, devices, stop, out, pause_between=(0.5, 1.0))
    finally:
        stop.set()
        server.stop()

    assert len(result.calls) >= 2
    for wav in result.calls:
        with wave.open(str(wav)) as w:
            assert w.getnframes() / w.getframerate() > 3  # chime and a sentence said twice
    index = (out / "voice" / "calls.txt").read_text(encoding="utf-8").splitlines()
    assert index[0].startswith("call-001.wav\t") and "→ Quầy" in index[0]
    assert any(p.name.endswith("-serving.png") for p in result.counter_screens)
    assert result.board_screens and (out / "hall" / "latest.png").stat().st_size > 10_000
    assert result.serial_log is not None
    frames = result.serial_log.read_text().splitlines()
    assert any('QUAY 2"' in line and line.split('"')[1][:1] in "ABCD" for line in frames), frames
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.board_screens[-1], ARTIFACTS / "demo_hall_board.png")
    serving = [p for p in result.counter_screens if p.name.endswith("-serving.png") and p.exists()]
    shutil.copyfile(serving[-1], ARTIFACTS / "demo_counter_1.png")
