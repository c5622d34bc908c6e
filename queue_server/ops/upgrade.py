"""``motcua upgrade``: after the new release is installed, stop the server, back up, migrate, start it again.

Why in that order: a migration may rebuild a table (SQLite's batch mode), so no server may write meanwhile; the
backup made first is the way back (``motcua restore`` onto an empty database with the old release). A database
newer than the code (an older release installed over a newer one) is refused before anything is touched: its
events may use fields this code cannot read, and Alembic has no downgrade we trust with an office's log.
Restarting uses systemd when it runs the machine; elsewhere (a container, a laptop) it says what to do instead.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from queue_server.config import Settings
from queue_server.contract.errors import MotcuaError
from queue_server.ops.backup import BackupResult, backup
from queue_server.store import db
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)
SERVER_UNIT = "motcua-server.service"
SYSTEMD_RUNNING = Path("/run/systemd/system")
"""Present exactly when systemd is the running init (sd_booted(3))."""


class UpgradeError(MotcuaError, RuntimeError):
    """Nothing was migrated; the reason says what to do."""


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str | None
    backup: BackupResult | None
    restarted: bool
    note: str


def known_revisions() -> list[str]:
    """Every revision this code's migrations know, oldest first (Alembic's own reading of ``versions/``)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def check_not_newer(revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise UpgradeError(
            f"the database is at schema revision {revision!r}, newer than this motcua (its newest is "
            f"{db.HEAD_REVISION!r}): a downgrade is not supported. Install the release that made it again, "
            "or restore a backup made by this release (motcua restore) onto an empty database; nothing was changed"
        )


def systemd_running() -> bool:
    return SYSTEMD_RUNNING.is_dir() and shutil.which("systemctl") is not None


def upgrade(
    settings: Settings,
    backup_dir: Path,
    *,
    keep: int = 14,
    restart: bool = True,
    systemctl: Callable[[list[str]], None] | None = None,
) -> UpgradeResult:
    """Stop, back up, migrate to head, start; see the module's docstring for why each step is there."""
    store = EventStore(settings.store.url.get_secret_value(), settings.office.id)
    try:
        before = db.current_revision(store.engine)
        check_not_newer(before)
    finally:
        store.close()
    manage = restart and (systemctl is not None or systemd_running())
    run = systemctl or _systemctl
    if manage:
        run(["stop", SERVER_UNIT])
    try:
        made = backup(settings, backup_dir, keep=keep) if before is not None else None
        after = _migrate(settings)
    except BaseException:
        if manage:  # the office must not stay closed: the old schema is intact (one transaction)
            run(["start", SERVER_UNIT])
        raise
    if manage:
        run(["start", SERVER_UNIT])
        note = f"{SERVER_UNIT} restarted"
    elif restart:
        note = f"systemd is not running here: start the server yourself (motcua server), or restart {SERVER_UNIT}"
    else:
        note = "not restarted (--no-restart): start the server when you are ready"
    logger.info("upgraded office %s from %s to %s", settings.office.id, before, after)
    return UpgradeResult(before, after, made, manage, note)


def _migrate(settings: Settings) -> str | None:
    store = EventStore(settings.store.url.get_secret_value(), settings.office.id)
    try:
        store.migrate()
        after = db.current_revision(store.engine)
    finally:
        store.close()
    if after != db.HEAD_REVISION:
        raise UpgradeError(f"the migration ended at {after!r}, not {db.HEAD_REVISION!r}")
    return after


def _systemctl(arguments: list[str]) -> None:
    result = subprocess.run(["systemctl", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise UpgradeError(f"systemctl {' '.join(arguments)} failed: {result.stderr.strip()}")
