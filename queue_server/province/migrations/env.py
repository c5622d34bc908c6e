"""Alembic environment of the province tables: run through ``queue_server.province.cursors.migrate``.

Its own version table keeps this history apart from the office store's (both live in the province database).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from queue_server.province.cursors import VERSION_TABLE, metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError("run province migrations through queue_server.province.cursors.migrate()")
    context.configure(
        connection=connection, target_metadata=metadata, version_table=VERSION_TABLE, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


run()
