"""Tables of the durable store, shared by SQLite and PostgreSQL through SQLAlchemy Core.

The Alembic revisions in ``migrations/versions`` create exactly these tables; a test compares the two so the
code and the migrations cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

ID_LENGTH = 128
"""Room for device, request and office ids chosen by people or devices (uuids, serial numbers, names)."""

EVENT_ID_LENGTH = 36
"""A uuid4 in its canonical text form."""

DEVICE_KINDS = ("kiosk", "counter", "display", "console", "other")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend.

    PostgreSQL stores ``timestamptz`` natively; SQLite has no time type, so the value is stored as UTC text
    without an offset (which sorts correctly for the statistics index) and gets its UTC tzinfo back on read.
    Naive datetimes are refused: an instant without a zone cannot be put on the office's timeline.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; give it a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


events = Table(
    "events",
    metadata,
    # BigInteger on PostgreSQL; SQLite only autoincrements a column declared exactly INTEGER PRIMARY KEY.
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    # insert_sentinel: lets one multi-row INSERT .. RETURNING report seqs in parameter order (a client-made
    # unique value to match rows by); without it SQLAlchemy falls back to one INSERT per event.
    Column("event_id", String(EVENT_ID_LENGTH), nullable=False, unique=True, insert_sentinel=True),
    Column("office_id", String(ID_LENGTH), nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("device_id", String(ID_LENGTH), nullable=True),
    Column("request_id", String(ID_LENGTH), nullable=True),
    Column("payload", Text(), nullable=False),
    Index("ix_events_type_at", "type", "at"),
    # AUTOINCREMENT: a seq is never reused, so a reader's "after seq N" cursor stays valid.
    sqlite_autoincrement=True,
)

requests = Table(
    "requests",
    metadata,
    Column("device_id", String(ID_LENGTH), primary_key=True),
    Column("request_id", String(ID_LENGTH), primary_key=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("reply", Text(), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(ID_LENGTH), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("counter_id", String(ID_LENGTH), nullable=True),
    Column("password_hash", String(512), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    CheckConstraint("kind IN ('kiosk', 'counter', 'display', 'console', 'other')", name="kind"),
)

web_users = Table(
    "web_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(32), nullable=False),
    Column("office_id", String(ID_LENGTH), nullable=True),
    Column("counter_id", String(ID_LENGTH), nullable=True),
    Column("staff_id", String(ID_LENGTH), nullable=True),
    Column("active", Boolean(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
"""People who sign in to the web app (migration 0002). Passwords only as salted scrypt hashes."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("username", String(64), nullable=False),
    Column("office_id", String(ID_LENGTH), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(ID_LENGTH), nullable=True),
    Column("detail", Text(), nullable=False),
    Index("ix_audit_log_at", "at"),
    sqlite_autoincrement=True,
)
"""Who did what in the admin pages, when (migration 0003). ``detail`` is JSON and never holds a secret."""
