"""Restore drill on real SQLite and real PostgreSQL: a busy office is backed up while tickets keep coming, the
office is destroyed, restored from the archive onto a new database and data folder, and the day's numbering goes
on after the backup's last ticket without a duplicate. Plus rotation, the free-space refusal and the refusals of
restore (another office, a store with events)."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from queue_server.app import open_store
from queue_server.cli import main
from queue_server.config import Settings, load_settings
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.ops.backup import BackupError, backup, read_archive_names
from queue_server.ops.restore import restore
from queue_server.service import OfficeService
from queue_server.store.event_store import EventStore
from tests.fakes import SteppingClock


def write_config(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "motcua.toml"
    path.write_text(f'[store]\nurl = "{url}"\n[server]\ndata_dir = "{folder / "data"}"\n')
    return path


def serve(store: EventStore, settings: Settings, clock: SteppingClock) -> OfficeService:
    ids = (f"t{i:015d}" for i in itertools.count())
    service = OfficeService(
        setup=settings.office_setup(), store=store, devices=lambda _: None, clock=clock, new_id=lambda: next(ids)
    )
    service.start()
    return service


def issue(service: OfficeService, service_id: str = "ho-tich") -> str:
    reply, _ = service.execute(cmd.IssueTicket(service_id))
    assert reply["ok"], reply
    return str(reply["result"]["ticket"]["label"])


def labels_of(store: EventStore) -> list[str]:
    return [s.event.label for s in store.events() if isinstance(s.event, ev.TicketIssued)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The office's database and the new machine's, on one backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/old/office.db", f"sqlite:///{tmp_path}/new/office.db"
    make: Callable[[], str] = request.getfixturevalue("postgres_databases")
    return make(), make()


def test_restore_drill_numbering_continues(tmp_path: Path, two_urls: tuple[str, str]) -> None:
    old_url, new_url = two_urls
    old_settings = load_settings(write_config(tmp_path / "old", old_url))
    store = open_store(old_settings)
    clock = SteppingClock()
    service = serve(store, old_settings, clock)
    for _ in range(20):
        issue(service)
    (old_settings.server.data_dir / "tls").mkdir(parents=True)
    (old_settings.server.data_dir / "tls" / "ca.key").write_text("the office CA key\n")
    busy: list[str] = []
    stop = threading.Event()

    def keep_issuing() -> None:  # the morning goes on while the backup runs
        while not stop.is_set() and len(busy) < 200:
            busy.append(issue(service))

    worker = threading.Thread(target=keep_issuing)
    worker.start()
    try:
        result = backup(old_settings, tmp_path / "backups", keep=3)
    finally:
        stop.set()
        worker.join()
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert {"manifest.json", "events.jsonl", "data/tls/ca.key"} <= set(read_archive_names(result.path))
    backed_up = result.manifest.events
    assert backed_up >= 20
    store.close()
    for folder in (tmp_path / "old",):  # the machine is gone (SQLite: its file with it)
        shutil.rmtree(folder)

    new_config = write_config(tmp_path / "new", new_url)
    assert main(["--config", str(new_config), "restore", str(result.path)]) == 0
    new_settings = load_settings(new_config)
    assert (new_settings.server.data_dir / "tls" / "ca.key").read_text() == "the office CA key\n"
    restored = open_store(new_settings)
    try:
        before = labels_of(restored)
        assert len(before) == len(set(before)) and len(before) >= 20
        assert restored.last_seq() > 0
        service = serve(restored, new_settings, SteppingClock(clock.now))
        after = [issue(service) for _ in range(3)]
        numbers = sorted(int(label[1:]) for label in before)
        assert [int(label[1:]) for label in after] == [numbers[-1] + 1, numbers[-1] + 2, numbers[-1] + 3]
        assert len(set(before + after)) == len(before) + 3
    finally:
        restored.close()


def test_rotation_keeps_the_newest(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path / "office", f"sqlite:///{tmp_path}/office.db"))
    open_store(settings).close()
    made = [backup(settings, tmp_path / "b", keep=2).path for _ in range(4)]
    assert sorted(p.name for p in (tmp_path / "b").glob("*.tar.gz")) == sorted(p.name for p in made[-2:])


def test_backup_refuses_without_free_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(write_config(tmp_path / "office", f"sqlite:///{tmp_path}/office.db"))
    open_store(settings).close()
    real = shutil.disk_usage(tmp_path)
    # the real folder, told it has 10 MB free: under the 200 MB floor of [store] min_free_mb
    monkeypatch.setattr(shutil, "disk_usage", lambda _: real._replace(free=10 * 1024 * 1024))
    with pytest.raises(BackupError, match="not enough free space"):
        backup(settings, tmp_path / "b")
    assert list((tmp_path / "b").iterdir()) == []


def test_restore_refuses_another_office_and_a_store_with_events(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path / "a", f"sqlite:///{tmp_path}/a.db"))
    store = open_store(settings)
    issue(serve(store, settings, SteppingClock()))
    store.close()
    archive = backup(settings, tmp_path / "b").path
    with pytest.raises(BackupError, match="already holds 3 events"):
        restore(settings, archive)
    other = tmp_path / "other.toml"
    other.write_text(f'[office]\nid = "muong-ang"\nname = "UBND"\n[store]\nurl = "sqlite:///{tmp_path}/o.db"\n')
    with pytest.raises(BackupError, match="office 'tuan-giao'"):
        restore(load_settings(other), archive)
