"""``motcua restore BACKUP``: bring an office back from ``motcua backup``'s archive onto a new machine or database.

Why it refuses so much: a restore replaces the office's memory. It goes only onto a store that holds no events
(a new machine, a new database, or the emptied one), only for the office the config names, and it puts back
the data folder's secrets only where no different file is already there (a new CA would orphan every device).
Afterwards the store is migrated to the code's schema (a backup of an older release restores too), the number
of events is checked against the manifest, and the data folder's marker is written, so ``motcua server``
starts on it as the same office: the day's numbering continues after the last ticket of the backup.
"""

from __future__ import annotations

import filecmp
import logging
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from queue_server.app import private_sqlite_files, sqlite_parent
from queue_server.config import Settings
from queue_server.office_marker import write_marker
from queue_server.ops.backup import (
    DATA_FOLDER,
    MANIFEST,
    POSTGRES_DUMP,
    SQLITE_COPY,
    BackupError,
    Manifest,
    event_count,
    run_pg,
)
from queue_server.store import db
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    events: int
    last_seq: int
    kept: list[Path] = field(default_factory=list)
    """Data files the target already had, different from the backup's: left as they were (see the log)."""


def read_manifest(archive: Path) -> Manifest:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise BackupError(f"{archive}: no {MANIFEST}")
            return Manifest.from_json(member.read().decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{archive}: not a readable motcua backup ({exc})") from None


def restore(settings: Settings, archive: Path) -> RestoreResult:
    """Restore ``archive`` into the store and data folder that ``settings`` name; see the module's rules."""
    manifest = read_manifest(archive)
    office = settings.office.id
    if manifest.office_id != office:
        raise BackupError(f"{archive} is office {manifest.office_id!r}'s backup; this config is office {office!r}")
    url = settings.store.url.get_secret_value()
    parent = sqlite_parent(url)
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    store = EventStore(url, office)
    try:
        existing = event_count(store.engine, office) if db.current_revision(store.engine) else 0
        if existing:
            raise BackupError(
                f"the store already holds {existing} events of office {office}: restore onto a new, empty database "
                "(or move this one away first); nothing was changed"
            )
        if (manifest.database == "sqlite") != (store.engine.dialect.name == "sqlite"):
            raise BackupError(
                f"{archive} holds a {manifest.database} database and [store] url is {store.engine.dialect.name}: "
                "restore the events instead (motcua events import, from the archive's events.jsonl)"
            )
        with tempfile.TemporaryDirectory(prefix="motcua-restore-") as work:
            unpacked = Path(work)
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(unpacked, filter="data")
            store.engine.dispose()
            _restore_database(store, unpacked, url)
            kept = _restore_data_folder(unpacked / DATA_FOLDER, settings.server.data_dir)
        store.migrate()
        count = event_count(store.engine, office)
        last_seq = store.last_seq()
    finally:
        store.close()
    if count != manifest.events:
        raise BackupError(f"restored {count} events, the backup's manifest says {manifest.events}")
    write_marker(settings.server.data_dir, office, url, last_seq)
    logger.info("restored office %s from %s: %d events, last seq %d", office, archive, count, last_seq)
    return RestoreResult(manifest, count, last_seq, kept)


def _restore_database(store: EventStore, unpacked: Path, url: str) -> None:
    sqlite = db.sqlite_file(store.engine)
    if sqlite is not None:
        for leftover in (sqlite, sqlite.with_name(sqlite.name + "-wal"), sqlite.with_name(sqlite.name + "-shm")):
            leftover.unlink(missing_ok=True)  # an empty (event-less) store only: checked above
        shutil.copyfile(unpacked / SQLITE_COPY, sqlite)
        private_sqlite_files(sqlite)
        return
    # --clean drops the (event-less) tables a first `motcua server` may have made; --no-owner: any role.
    dump = str(unpacked / POSTGRES_DUMP)
    run_pg("pg_restore", url, ["--clean", "--if-exists", "--no-owner", "--single-transaction", dump])


def _restore_data_folder(source: Path, target: Path) -> list[Path]:
    kept: list[Path] = []
    if not source.is_dir():
        return kept
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        if destination.exists():
            if not filecmp.cmp(path, destination, shallow=False):
                logger.warning("restore: %s differs from the backup's copy: kept as it is", destination)
                kept.append(destination)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, destination)
    return kept
