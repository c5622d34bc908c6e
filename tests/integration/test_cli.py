"""The ``motcua`` command on a temporary office: config show, devices, events export/import, stats."""

from __future__ import annotations

import dataclasses
import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firmware.counter_main import load_config
from queue_server.app import open_store
from queue_server.brokers.credentials import verify_password
from queue_server.cli import main
from queue_server.config import load_settings
from queue_server.engine import events as ev
from queue_server.engine.setup import Counter, OfficeSetup
from queue_server.store.devices import DeviceRegistry
from queue_server.store.event_store import Commit


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


def _record_setup(config: Path, change: Callable[[OfficeSetup], OfficeSetup]) -> None:
    """What the admin pages do: an ``OfficeConfigured`` event in the log, the TOML file left as it was."""
    settings = load_settings(config)
    store = open_store(settings)
    try:
        event = ev.OfficeConfigured(at=datetime.now(UTC), setup=change(settings.office_setup()))
        store.commit([Commit(None, None, [event], {"ok": True})])
    finally:
        store.close()


def test_device_add_checks_the_counter_against_the_event_log_not_the_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_quay_9_drop_quay_1(setup: OfficeSetup) -> OfficeSetup:
        counters = tuple(c for c in setup.counters if c.id != "quay-1")
        return dataclasses.replace(setup, counters=(*counters, Counter("quay-9", 9, ("ho-tich",))))

    _record_setup(config, add_quay_9_drop_quay_1)
    assert run(config, "device", "add", "counter-9", "--kind", "counter", "--counter", "quay-9") == 0
    capsys.readouterr()
    assert run(config, "device", "add", "counter-1", "--kind", "counter", "--counter", "quay-1") == 2
    assert "quay-9" in capsys.readouterr().err


def test_device_add_writes_a_ready_config_file_only_root_can_read(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "to-copy" / "counter-1.toml"
    assert run(config, "device", "add", "counter-1", "--kind", "counter", "--counter", "quay-1", "--out", str(out),
               "--host", "office.local") == 0  # fmt: skip
    said = capsys.readouterr().out
    assert str(out) in said and "password: " not in said  # the password is in the file, not on the screen
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = load_config(out)  # the counter unit's own loader takes it as it is
    assert (written.link.device_id, written.link.host, written.counter.id) == ("counter-1", "office.local", "quay-1")
    password = written.link.read_password()
    store = open_store(load_settings(config))
    try:
        device = DeviceRegistry(store).get("counter-1")
        assert device is not None and verify_password(password, device.password_hash)
    finally:
        store.close()
