"""The seq an imported event had in the log it came from (``events.origin_seq``): the province folds each office
in that office's own order, whatever order the events arrived in (docs/province.md "Order").

NULL for the events an office server committed itself (their ``seq`` is the office's order).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("events", sa.Column("origin_seq", seq, nullable=True))
    op.create_index("ix_events_office_id_origin_seq", "events", ["office_id", "origin_seq"])


def downgrade() -> None:
    op.drop_index("ix_events_office_id_origin_seq", table_name="events")
    op.drop_column("events", "origin_seq")  # SQLite 3.35+ drops a column in place (no table rebuild)
