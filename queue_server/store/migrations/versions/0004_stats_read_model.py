"""Statistics read model: visits, segments, staff-days and the fold's cursor (queue_server.analytics.projection).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_ID = 128
_TS = sa.DateTime(timezone=True)
_TOTALS = (
    "visits",
    "finished",
    "no_shows",
    "expired",
    "open",
    "transfers",
    "waits_counted",
    "wait_sum",
    "within_15",
    "within_30",
    "served_segments",
    "served_sum",
    "finished_served_sum",
    "ratings",
    "satisfied",
    "dossiers",
    "unsatisfied",
)
"""Copied, not imported, from schema.ROLLUP_TOTALS: a revision must not change when the code does."""


def upgrade() -> None:
    op.create_table(
        "stats_visits",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("ticket_id", sa.String(_ID), nullable=False),
        sa.Column("service_id", sa.String(_ID), nullable=False),
        sa.Column("priority", sa.String(64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("waiting_since", _TS, nullable=True),
        sa.Column("requeues", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("served_segments", sa.Integer(), nullable=False),
        sa.Column("served_seconds", sa.Double(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("dossiers", sa.Integer(), nullable=False),
        sa.Column("unsatisfied", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.String(_ID), nullable=True),
        sa.Column("staff_id", sa.String(_ID), nullable=True),
        sa.PrimaryKeyConstraint("office_id", "ticket_id", name=op.f("pk_stats_visits")),
    )
    op.create_index(op.f("ix_stats_visits_office_id_day"), "stats_visits", ["office_id", "day"])
    op.create_index(op.f("ix_stats_visits_office_id_wait_seconds"), "stats_visits", ["office_id", "wait_seconds"])
    op.create_table(
        "stats_segments",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("ticket_id", sa.String(_ID), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(_ID), nullable=False),
        sa.Column("counter_id", sa.String(_ID), nullable=False),
        sa.Column("staff_id", sa.String(_ID), nullable=True),
        sa.Column("called_at", _TS, nullable=False),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("end_kind", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("rating", sa.String(64), nullable=True),
        sa.Column("rating_satisfied", sa.Boolean(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("wait_start", _TS, nullable=True),
        sa.Column("wait_end", _TS, nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("office_id", "ticket_id", "number", name=op.f("pk_stats_segments")),
    )
    op.create_index(op.f("ix_stats_segments_office_id_day"), "stats_segments", ["office_id", "day"])
    op.create_table(
        "stats_staff_days",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("staff_id", sa.String(_ID), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "staff_id", "day", name=op.f("pk_stats_staff_days")),
    )
    op.create_table(
        "stats_cursor",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_event_at", _TS, nullable=True),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.Column("rating_scale", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_stats_cursor")),
    )
    _SUMS = {"wait_sum", "served_sum", "finished_served_sum"}
    op.create_table(
        "stats_rollup",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(8), nullable=False),
        sa.Column("key", sa.String(_ID), nullable=False),
        *(sa.Column(name, sa.Double() if name in _SUMS else sa.Integer(), nullable=False) for name in _TOTALS),
        sa.Column("waits", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "day", "dim", "key", name=op.f("pk_stats_rollup")),
    )
    op.create_table(
        "stats_wait_hist",
        sa.Column("office_id", sa.String(_ID), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("waits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "day", "bucket", name=op.f("pk_stats_wait_hist")),
    )


def downgrade() -> None:
    op.drop_table("stats_wait_hist")
    op.drop_table("stats_rollup")
    op.drop_table("stats_cursor")
    op.drop_table("stats_staff_days")
    op.drop_index(op.f("ix_stats_segments_office_id_day"), table_name="stats_segments")
    op.drop_table("stats_segments")
    op.drop_index(op.f("ix_stats_visits_office_id_wait_seconds"), table_name="stats_visits")
    op.drop_index(op.f("ix_stats_visits_office_id_day"), table_name="stats_visits")
    op.drop_table("stats_visits")
