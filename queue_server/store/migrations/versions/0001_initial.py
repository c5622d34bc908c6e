"""Initial tables: events, requests, devices.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_ID = 128
# Written out rather than imported from schema.py: a revision must keep meaning what it meant when released.
# op.f(): these are final names, not to be run through the naming convention of schema.metadata again.
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("device_id", sa.String(_ID), nullable=True),
        sa.Column("request_id", sa.String(_ID), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_events_type_at"), "events", ["type", "at"])
    op.create_table(
        "requests",
        sa.Column("device_id", sa.String(_ID), nullable=False),
        sa.Column("request_id", sa.String(_ID), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "request_id", name=op.f("pk_requests")),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(_ID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("counter_id", sa.String(_ID), nullable=True),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_devices")),
        sa.CheckConstraint("kind IN ('kiosk', 'counter', 'display', 'console', 'other')", name=op.f("ck_devices_kind")),
    )


def downgrade() -> None:
    op.drop_table("devices")
    op.drop_table("requests")
    op.drop_index(op.f("ix_events_type_at"), table_name="events")
    op.drop_table("events")
