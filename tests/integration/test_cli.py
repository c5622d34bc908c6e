"""The ``motcua`` command on a temporary office: config show, devices, events export/import, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queue_server.cli import main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "motcua.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/office.db"\n[server]\ndata_dir = "{tmp_path}/data"\n')
    return path


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_device_add_list_revoke(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "device", "add", "kiosk-01", "--kind", "kiosk") == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert len(password) >= 20
    assert run(config, "device", "add", "counter-1", "--kind", "counter", "--counter", "quay-1") == 0
    capsys.readouterr()
    assert run(config, "device", "revoke", "kiosk-01") == 0
    assert run(config, "device", "list") == 0
    listing = capsys.readouterr().out
    assert "kiosk-01" in listing and "revoked" in listing
    assert "counter-1" in listing and "quay-1" in listing and "active" in listing
    assert password not in listing


def test_counter_unit_needs_a_known_counter(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "device", "add", "counter-9", "--kind", "counter", "--counter", "quay-9") == 2
    assert "quay-1" in capsys.readouterr().err


def test_bad_config_exits_2_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nlog_levl = 'INFO'\n")
    assert main(["--config", str(bad), "config", "show"]) == 2
    assert "did you mean 'log_level'" in capsys.readouterr().err


def test_events_export_import_and_stats(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import itertools
    from datetime import UTC, datetime

    from queue_server.app import open_store
    from queue_server.config import load_settings
    from queue_server.engine import commands as cmd
    from queue_server.service import DeviceInfo, OfficeService

    settings = load_settings(config)
    store = open_store(settings)
    ids = (f"t{i}" for i in itertools.count())
    service = OfficeService(
        setup=settings.office_setup(),
        store=store,
        devices=lambda d: DeviceInfo(d, "console"),
        clock=lambda: datetime.now(UTC),
        new_id=lambda: next(ids),
    )
    service.start()
    service.execute(cmd.IssueTicket("ho-tich"))
    service.execute(cmd.CallNext("quay-1"))
    store.close()
    dump = tmp_path / "events.jsonl"
    assert run(config, "events", "export", "-o", str(dump)) == 0
    lines = dump.read_text().splitlines()
    assert [json.loads(line)["event"]["type"] for line in lines][-2:] == ["TicketIssued", "TicketCalled"]
    other = tmp_path / "other.toml"
    other.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/copy.db"\n[server]\ndata_dir = "{tmp_path}/d2"\n')
    assert run(other, "events", "import", str(dump)) == 0
    assert run(other, "events", "import", str(dump)) == 0
    assert "imported 0 new events" in capsys.readouterr().err
    assert run(other, "stats") == 0
    out = capsys.readouterr().out
    assert "lượt / visits: 1" in out and "chỉ tiêu / targets:" in out
