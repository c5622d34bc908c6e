"""``motcua device add`` refuses reserved ids and a counter on a non-counter device; with TLS it gives the
device its CA; ``motcua tls ca`` prints it; a plain listener on the LAN needs an explicit choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from queue_server.cli import main
from queue_server.config import ConfigError, load_settings


def _config(tmp_path: Path, broker: str = "") -> Path:
    path = tmp_path / "motcua.toml"
    path.write_text(
        f'[broker]\n{broker}\n[store]\nurl = "sqlite:///{tmp_path}/office.db"\n[server]\ndata_dir = "{tmp_path}/data"\n'
    )
    return path


@pytest.mark.parametrize("device_id", ["tuan-giao", "motcua-server", "motcua-replayer", "motcua-province", "motcua-x"])
def test_reserved_device_ids_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], device_id: str) -> None:
    config = _config(tmp_path)
    assert load_settings(config).office.id == "tuan-giao"
    assert main(["--config", str(config), "device", "add", device_id, "--kind", "kiosk"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main(["--config", str(config), "device", "list"]) == 0
    assert device_id not in capsys.readouterr().out


def test_a_counter_only_for_a_counter_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    assert main(["--config", str(config), "device", "add", "board-1", "--kind", "display", "--counter", "quay-1"]) == 2
    assert "only for a counter unit" in capsys.readouterr().err


def test_with_tls_device_add_gives_the_device_the_office_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, 'tls = true\ncert_hosts = ["may-chu.local"]')
    assert main(["--config", str(config), "device", "add", "kiosk-01", "--kind", "kiosk"]) == 0
    out = capsys.readouterr().out
    ca_file = Path(out.split("ca_file: ")[1].split()[0])
    assert ca_file.name == "kiosk-01.ca.pem" and "port = 8883" in out
    assert main(["--config", str(config), "tls", "ca"]) == 0
    pem = capsys.readouterr().out
    assert pem == ca_file.read_text()
    ca = x509.load_pem_x509_certificate(pem.encode())
    assert "tuan-giao" in ca.subject.rfc4514_string()
    assert b"PRIVATE KEY" not in ca_file.read_bytes()


def test_tls_ca_without_tls_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(_config(tmp_path)), "tls", "ca"]) == 2
    assert "tls is off" in capsys.readouterr().err


def test_a_plain_listener_on_the_lan_must_be_chosen(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="in clear"):
        load_settings(_config(tmp_path, 'host = "0.0.0.0"'))
    assert load_settings(_config(tmp_path, 'host = "0.0.0.0"\nallow_plain_lan = true')).broker.allow_plain_lan
    assert load_settings(_config(tmp_path, 'host = "::1"\ntls = true')).broker.tls
