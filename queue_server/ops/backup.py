"""``motcua backup``: one archive holding everything a new machine needs to carry the office on.

Why an archive of three parts: the database copy is what ``motcua restore`` brings back (devices, web users,
settings and the event log, at its schema revision); ``events.jsonl`` is the portable log of last resort (any
version, any database, ``motcua events import``); ``data/`` holds the data folder's secrets (the office CA and its
key, the server's broker password, the web session key), without which every device would need a new CA.

The copy is online: SQLite's backup API (``sqlite3.Connection.backup``) reads a consistent snapshot while the
server keeps writing (WAL), and ``pg_dump`` takes one transaction's snapshot on PostgreSQL. Before anything is
written the destination's free space is checked against an estimate, so a backup never fills the disk the
office runs on; the archive is written under a temporary name and renamed, mode 0600 (it holds the CA key).
Rotation keeps the ``keep`` newest archives of this office and deletes the rest, only after a new one is whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url

from queue_server.config import Settings
from queue_server.contract.errors import MotcuaError
from queue_server.office_marker import MARKER
from queue_server.store import db
from queue_server.store.event_store import EventStore
from queue_server.store.jsonl import export_jsonl
from queue_server.store.schema import events

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SQLITE_COPY = "office.db"
POSTGRES_DUMP = "office.pgdump"
EVENTS_FILE = "events.jsonl"
DATA_FOLDER = "data"
FORMAT = 1
MB = 1024 * 1024
JSONL_BYTES_PER_EVENT = 600
"""A generous size of one exported event, for the free-space estimate."""


class BackupError(MotcuaError, RuntimeError):
    """Nothing was written (or the partial file was removed): the reason says what to do."""


@dataclass(frozen=True)
class Manifest:
    """What an archive holds; ``restore`` checks it before touching anything."""

    format: int
    office_id: str
    database: str
    """``sqlite`` or ``postgresql``: which of ``office.db`` / ``office.pgdump`` is inside."""
    revision: str | None
    events: int
    created_at: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(f"not a motcua backup of format {FORMAT}")
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int
    removed: list[Path] = field(default_factory=list)


def read_archive_names(archive: Path) -> list[str]:
    """The files inside an archive (for people checking a backup, and the tests)."""
    with tarfile.open(archive, "r:gz") as tar:
        return [member.name for member in tar.getmembers() if member.isfile()]


def archive_glob(office_id: str) -> str:
    return f"motcua-backup-{office_id}-*.tar.gz"


def backup(settings: Settings, directory: Path, *, keep: int = 14, now: datetime | None = None) -> BackupResult:
    """Write ``directory/motcua-backup-<office>-<UTC time>.tar.gz``; keep the ``keep`` newest of this office."""
    if keep < 1:
        raise BackupError("--keep must be at least 1 (the backup just made)")
    url = settings.store.url.get_secret_value()
    store = EventStore(url, settings.office.id)
    try:
        revision = db.current_revision(store.engine)
        if revision is None:
            raise BackupError("the database has no motcua tables yet: there is nothing to back up")
        count = event_count(store.engine, settings.office.id)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        check_free_space(directory, estimate_bytes(store.engine, count), settings.store.min_free_mb)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        target = _free_name(directory, f"motcua-backup-{settings.office.id}-{stamp}")
        with tempfile.TemporaryDirectory(prefix=".motcua-backup-", dir=directory) as work:
            staging = Path(work)
            copied = copy_database(store.engine, staging, settings.office.id)
            manifest = Manifest(FORMAT, settings.office.id, store.engine.dialect.name, revision, copied, stamp)
            with (staging / EVENTS_FILE).open("w", encoding="utf-8") as fp:
                export_jsonl(store, fp)
            copy_data_folder(settings, staging / DATA_FOLDER, exclude=[directory, *_sqlite_files(store.engine)])
            (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            _write_archive(staging, target)
    finally:
        store.close()
    removed = rotate(directory, settings.office.id, keep, newest=target)
    size = target.stat().st_size
    logger.info("backup of office %s: %s (%d events, %d bytes)", settings.office.id, target, manifest.events, size)
    return BackupResult(target, manifest, size, removed)


def event_count(engine: Engine, office_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(events.c.office_id == office_id)).scalar_one())


def estimate_bytes(engine: Engine, count: int) -> int:
    """The archive's worst case: the database's size (uncompressed) plus the JSON Lines export."""
    sqlite = db.sqlite_file(engine)
    if sqlite is not None:
        size = sum(p.stat().st_size for p in _sqlite_files(engine) if p.exists()) if sqlite.exists() else 0
    else:
        with engine.connect() as conn:
            size = int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())
    return size + count * JSONL_BYTES_PER_EVENT


def check_free_space(directory: Path, needed: int, floor_mb: int) -> None:
    """Refuse when writing ``needed`` bytes (twice: staging, then the archive) would leave less than the floor."""
    free = shutil.disk_usage(directory).free
    want = 2 * needed + floor_mb * MB
    if free < want:
        raise BackupError(
            f"not enough free space in {directory}: {free // MB} MB free, the backup needs about "
            f"{2 * needed // MB + 1} MB and {floor_mb} MB must stay free ([store] min_free_mb); "
            "free some space, lower --keep, or back up to another disk with --dir"
        )


def copy_database(engine: Engine, staging: Path, office_id: str) -> int:
    """Copy the database into ``staging`` and return how many events of the office the copy holds.

    SQLite: its online backup API (a consistent snapshot while the server writes). PostgreSQL: ``pg_dump`` on a
    snapshot exported by a repeatable-read transaction that also counts the events, so the count is the dump's.
    """
    sqlite = db.sqlite_file(engine)
    if sqlite is not None:
        target = staging / SQLITE_COPY
        source = sqlite3.connect(sqlite)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            row = copy.execute("SELECT count(*) FROM events WHERE office_id = ?", (office_id,)).fetchone()
        finally:
            copy.close()
            source.close()
        return int(row[0])
    target = staging / POSTGRES_DUMP
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
            count = int(conn.execute(select(func.count()).where(events.c.office_id == office_id)).scalar_one())
            url = engine.url.render_as_string(hide_password=False)
            run_pg("pg_dump", url, ["-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)])
    return count


def run_pg(tool: str, url: str, arguments: list[str]) -> None:
    """Run a PostgreSQL client tool on ``url``; the password goes through ``PGPASSWORD``, never argv."""
    parsed = make_url(url)
    env = {**os.environ}
    args = [pg_tool(tool), "--dbname", str(parsed.database)]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    result = subprocess.run([*args, *arguments], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-1000:]}")


def pg_tool(tool: str) -> str:
    """Debian's wrapper (``/usr/bin/pg_dump``, picks the newest client), else the server's own binaries."""
    found = shutil.which(tool)
    if found is not None:
        return found
    from queue_server.bench.postgres import pg_bin_dir

    bin_dir = pg_bin_dir()
    if bin_dir is None or not (bin_dir / tool).exists():
        raise BackupError(f"{tool} not found: apt-get install postgresql-client")
    return str(bin_dir / tool)


def copy_data_folder(settings: Settings, target: Path, exclude: list[Path]) -> None:
    """The data folder's files (secrets, CA, device CA copies), without the database, backups or the marker."""
    source = settings.server.data_dir
    target.mkdir(mode=0o700)
    if not source.is_dir():
        return
    skip = {p.resolve() for p in exclude}
    for path in _walk(source, skip):
        relative = path.relative_to(source)
        if relative == Path(MARKER):
            continue  # restore writes a new one for the restored store
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def _walk(folder: Path, skip: set[Path]) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        resolved = path.resolve()
        if resolved in skip or path.is_symlink():
            continue
        if path.is_dir():
            yield from _walk(path, skip)
        elif path.is_file():
            yield path


def _sqlite_files(engine: Engine) -> list[Path]:
    sqlite = db.sqlite_file(engine)
    if sqlite is None:
        return []
    return [sqlite, sqlite.with_name(sqlite.name + "-wal"), sqlite.with_name(sqlite.name + "-shm")]


def _free_name(directory: Path, stem: str) -> Path:
    target, n = directory / f"{stem}.tar.gz", 2
    while target.exists():
        target, n = directory / f"{stem}-{n}.tar.gz", n + 1
    return target


def _write_archive(staging: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for path in sorted(staging.iterdir()):
                archive.add(path, arcname=path.name)
            raw.flush()
        with partial.open("rb") as done:
            os.fsync(done.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def rotate(directory: Path, office_id: str, keep: int, *, newest: Path) -> list[Path]:
    """Delete this office's archives beyond the ``keep`` newest (by modification time, then name)."""
    archives = sorted(directory.glob(archive_glob(office_id)), key=lambda p: (p.stat().st_mtime_ns, p.name))
    old = [p for p in archives if p != newest][: max(0, len(archives) - keep)]
    for path in old:
        path.unlink()
        logger.info("backup rotation removed %s", path)
    return old
