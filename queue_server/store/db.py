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
HEAD_REVISION = "0006"
"""The newest migration; a test checks it against Alembic's own view of ``migrations/versions``."""
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


def make_engine(url: str) -> Engine:
    """Create (without connecting) an engine for ``url``, with SQLite made durable on every connection."""
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
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
