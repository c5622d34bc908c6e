"""The operator's commands: ``motcua backup``, ``restore`` (and, beside them, ``upgrade`` and ``install``).

Kept out of ``queue_server/cli.py`` so that file stays the list of the office's everyday commands; each
command here imports its module only when run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from queue_server import logs
from queue_server.config import load_settings

DEFAULT_BACKUP_DIR = Path("/var/backups/motcua")
DEFAULT_KEEP = 14


def cmd_backup(args: argparse.Namespace) -> int:
    from queue_server.ops.backup import BackupError, backup

    settings = load_settings(args.config)
    logs.configure("INFO")
    try:
        result = backup(settings, args.dir, keep=args.keep)
    except BackupError as exc:
        print(f"motcua: backup failed: {exc}", file=sys.stderr)
        return 2
    print(f"backup written: {result.path} ({result.manifest.events} events, {result.size // 1024} KiB, mode 0600)")
    for path in result.removed:
        print(f"removed old backup {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from queue_server.ops.backup import BackupError
    from queue_server.ops.restore import restore

    settings = load_settings(args.config)
    logs.configure("INFO")
    try:
        result = restore(settings, args.archive)
    except BackupError as exc:
        print(f"motcua: restore refused: {exc}", file=sys.stderr)
        return 2
    print(f"restored office {result.manifest.office_id}: {result.events} events (last seq {result.last_seq}).")
    for path in result.kept:
        print(f"kept the existing {path} (differs from the backup's copy)")
    print("Now: chown -R motcua: the data folder, then systemctl start motcua-server")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    from queue_server.ops.backup import BackupError
    from queue_server.ops.upgrade import UpgradeError, upgrade

    settings = load_settings(args.config)
    logs.configure("INFO")
    try:
        result = upgrade(settings, args.backup_dir, keep=args.keep, restart=not args.no_restart)
    except (UpgradeError, BackupError) as exc:
        print(f"motcua: upgrade refused: {exc}", file=sys.stderr)
        return 2
    if result.backup is not None:
        print(f"backup first: {result.backup.path}")
    print(f"database schema: {result.before or 'none'} -> {result.after}")
    print(result.note)
    return 0


def add_parsers(sub: Any, province_sub: Any = None) -> None:
    """Add ``backup`` and ``restore`` to ``motcua``'s sub-commands."""
    backup = sub.add_parser("backup", help="online backup of the office (database, JSON Lines, data folder)")
    backup.add_argument("--dir", type=Path, default=DEFAULT_BACKUP_DIR, help=f"where (default {DEFAULT_BACKUP_DIR})")
    backup.add_argument("--keep", type=int, default=DEFAULT_KEEP, help=f"archives kept (default {DEFAULT_KEEP})")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="bring the office back from a backup onto an empty database")
    restore.add_argument("archive", type=Path, help="a motcua-backup-<office>-<time>.tar.gz")
    restore.set_defaults(func=cmd_restore)
    upgrade = sub.add_parser("upgrade", help="after installing a new release: back up, migrate, restart")
    upgrade.add_argument("--backup-dir", type=Path, default=DEFAULT_BACKUP_DIR, help="where the backup goes")
    upgrade.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="backups kept")
    upgrade.add_argument("--no-restart", action="store_true", help="do not stop/start motcua-server")
    upgrade.set_defaults(func=cmd_upgrade)
