"""``motcua upgrade`` on a database of the previous release's schema (Alembic stopped one revision short of
head, real office data written into it through its own reflected tables): afterwards the schema is at head,
a backup was made first, and the day's figures are those of the same day written at head. A database newer
than the code is refused with nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text

from queue_server.cli import main
from queue_server.config import load_settings
from queue_server.ops.upgrade import known_revisions, upgrade
from queue_server.store import db
from queue_server.store.event_store import EventStore
from tests.integration.web_support import day_of_three_visits, started_office

OFFICE = "tuan-giao"


def config_for(folder: Path, url: str) -> Path:
    path = folder / f"{abs(hash(url))}.toml"
    path.write_text(f'[store]\nurl = "{url}"\n[server]\ndata_dir = "{folder / "data"}"\n')
    return path


def figures(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["--config", str(config), "stats", "--from", "2026-11-23"]) == 0
    return capsys.readouterr().out


def copy_into_old_schema(source_url: str, target_url: str) -> int:
    """Every row of the head database that the old schema has a column for, through the old schema's tables."""
    source, target = db.make_engine(source_url), db.make_engine(target_url)
    old = MetaData()
    old.reflect(target)
    rows = 0
    try:
        with source.connect() as read, target.begin() as write:
            for table in old.sorted_tables:
                if table.name == "alembic_version":
                    continue
                names = [c.name for c in table.columns]
                columns = ", ".join(names)
                found = read.exec_driver_sql(f"SELECT {columns} FROM {table.name}").all()  # values as stored
                if found:
                    marks = ", ".join("?" for _ in names)
                    write.exec_driver_sql(
                        f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", [tuple(r) for r in found]
                    )
                    rows += len(found)
    finally:
        source.dispose()
        target.dispose()
    return rows


def test_upgrade_from_the_previous_schema_keeps_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    previous = known_revisions()[-2]
    assert previous != db.HEAD_REVISION
    head_url, old_url = f"sqlite:///{tmp_path}/head.db", f"sqlite:///{tmp_path}/old.db"
    twin = EventStore(head_url, OFFICE)
    twin.migrate()
    office = started_office(twin)
    day_of_three_visits(office)
    twin.close()
    old_engine = db.make_engine(old_url)
    db.upgrade(old_engine, previous)
    old_engine.dispose()
    assert copy_into_old_schema(head_url, old_url) > 10

    expected = figures(config_for(tmp_path, head_url), capsys)
    assert "visits: 3  xong / finished: 2" in expected and "average wait: 21.7" in expected
    old_config = config_for(tmp_path, old_url)
    result = upgrade(load_settings(old_config), tmp_path / "backups", restart=False)
    assert (result.before, result.after) == (previous, db.HEAD_REVISION)
    assert result.backup is not None and result.backup.manifest.revision == previous
    assert figures(old_config, capsys) == expected
    upgraded = db.make_engine(old_url)
    with upgraded.connect() as conn:
        assert conn.execute(select(text("count(*)")).select_from(text("events"))).scalar_one() > 10
    upgraded.dispose()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    store = EventStore(url, OFFICE)
    store.migrate()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.close()
    config = config_for(tmp_path, url)
    assert main(["--config", str(config), "upgrade", "--no-restart", "--backup-dir", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "'0099', newer than this motcua" in err and "nothing was changed" in err
    assert not (tmp_path / "b").exists()


def test_restart_goes_through_systemctl_stop_then_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/office.db"
    EventStore(url, OFFICE).migrate()
    calls: list[list[str]] = []
    upgrade(load_settings(config_for(tmp_path, url)), tmp_path / "b", systemctl=calls.append)
    assert calls == [["stop", "motcua-server.service"], ["start", "motcua-server.service"]]
