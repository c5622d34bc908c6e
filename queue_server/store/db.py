"""Engines and migrations: the only place that knows SQLite and PostgreSQL differ.

SQLite is made durable and transactional on every pooled connection: WAL (readers never block the writer),
``synchronous=FULL`` (a COMMIT is on disk before we answer anyone), a busy timeout (a second process waits
instead of failing) and foreign keys. The Python driver's own BEGIN handling is switched off and SQLAlchemy
emits BEGIN itself, so migrations and batches really are one transaction each.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HEAD_REVISION = "0007"
"""The newest migration; a test checks it against Alembic's own view of ``migrations/versions``."""
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


POSTGRES_CONNECT_TIMEOUT_S = 5
"""A PostgreSQL server that does not answer fails the commit within this (libpq waits forever by default), so
the ingest thread answers ``store_unavailable`` instead of hanging."""
CHECKPOINT_BUSY_TIMEOUT_MS = 200
"""How long a scheduled WAL checkpoint waits for readers before it gives up until the next one."""


def make_engine(url: str) -> Engine:
    """Create (without connecting) an engine for ``url``, with SQLite made durable on every connection."""
    extra: dict[str, Any] = {}
    if url.startswith("postgresql"):
        extra["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"), **extra)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level=None stops the sqlite3 module from issuing (or skipping) BEGIN behind our back.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for PostgreSQL or an in-memory database)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def checkpoint_wal(engine: Engine) -> tuple[int, int, int] | None:
    """``PRAGMA wal_checkpoint(TRUNCATE)``: copy the WAL into the database and truncate it to zero bytes.

    SQLite checkpoints passively by itself but never shrinks the WAL file; the server calls this on a schedule in a
    quiet moment. Waits at most ``CHECKPOINT_BUSY_TIMEOUT_MS`` for readers. Returns SQLite's (busy, log frames,
    checkpointed frames), busy = 1 meaning it could not finish this time; None on PostgreSQL.
    """
    if sqlite_file(engine) is None:
        return None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_TIMEOUT_MS}")
            row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()
    finally:
        raw.close()
    return int(row[0]), int(row[1]), int(row[2])


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database); plain SQL, no Alembic import."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except DBAPIError:
        return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations in this package on ``engine``, in one transaction; no alembic.ini needed."""
    from alembic import command  # imported only when migrating: Alembic and Mako cost the server ~12 MB
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    log.info("database %s migrated to %s", engine.url.render_as_string(hide_password=True), revision)
