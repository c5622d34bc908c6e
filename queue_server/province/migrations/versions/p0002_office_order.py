"""The province folds each office in the office's order (``events.origin_seq``, office revision 0007).

Events imported before that revision have no office seq, and the watermarks and statistics were built in
arrival order. So: every watermark is dropped (the ingest then asks each office for its whole log, and the
resent copies fill in ``origin_seq`` of the events already held: ``EventStore.import_events``), and the
statistics read model is emptied (the keeper folds it again, in office order). Nothing imported is lost.

Revision ID: p0002
Revises: p0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0002"
down_revision: str | None = "p0001"
branch_labels: str | None = None
depends_on: str | None = None

_READ_MODEL = ("stats_visits", "stats_segments", "stats_staff_days", "stats_rollup", "stats_wait_hist", "stats_cursor")


def upgrade() -> None:
    op.execute("DELETE FROM province_cursors")
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    for table in _READ_MODEL:
        if table in tables:
            op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    """Nothing to undo: the rows dropped are rebuilt from the events."""
