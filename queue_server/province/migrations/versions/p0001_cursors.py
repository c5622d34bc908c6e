"""Province watermarks: per office, the highest seq up to which every event has arrived.

Revision ID: p0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "province_cursors",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("through_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_province_cursors")),
    )


def downgrade() -> None:
    op.drop_table("province_cursors")
