"""Alembic environment: runs on the connection handed over by ``queue_server.store.db.upgrade``.

Reusing that connection keeps the SQLite pragmas and makes the whole upgrade one transaction. Offline (SQL
script) mode is not supported: offices migrate their own database at start-up.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from queue_server.store.schema import metadata


def run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported; use EventStore.migrate()")
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through queue_server.store.db.upgrade(); it passes the connection")
    # Batch mode lets later revisions ALTER tables on SQLite too (it rebuilds the table).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
