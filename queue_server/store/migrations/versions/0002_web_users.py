"""Web users (staff, managers, province managers, admins).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_ID = 128
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("office_id", sa.String(_ID), nullable=True),
        sa.Column("counter_id", sa.String(_ID), nullable=True),
        sa.Column("staff_id", sa.String(_ID), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_web_users")),
    )


def downgrade() -> None:
    op.drop_table("web_users")
