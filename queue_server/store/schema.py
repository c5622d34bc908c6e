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
    Date,
    DateTime,
    Dialect,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from queue_server.contract.permissions import DeviceKind

ID_LENGTH = 128
"""Room for device, request and office ids chosen by people or devices (uuids, serial numbers, names)."""

EVENT_ID_LENGTH = 36
"""A uuid4 in its canonical text form."""

DEVICE_KINDS = tuple(kind.value for kind in DeviceKind)
"""The contract's device kinds (``contract/permissions.py``): the registry refuses any other."""

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
    # The seq an imported event had in its office's log (migration 0007); NULL for the office's own events.
    Column("origin_seq", BigInteger().with_variant(Integer(), "sqlite"), nullable=True),
    Index("ix_events_type_at", "type", "at"),
    Index("ix_events_office_id_origin_seq", "office_id", "origin_seq"),
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
    CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in DEVICE_KINDS)})", name="kind"),
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
    Column("session_version", Integer(), nullable=False, server_default="0"),
)
"""People who sign in to the web app (migration 0002). Passwords only as salted scrypt hashes. ``session_version``
(migration 0006) is part of every session's user id: bumped at sign-out and password change, it ends old sessions."""

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

office_settings = Table(
    "office_settings",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", Text(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
)
"""Settings an administrator changed in the admin pages, per office (migration 0005): ``key`` e.g.
``targets.wait_final``, ``value`` JSON. They win over the config file's values (``queue_server.store.settings``)."""


# The statistics read model (migration 0004): the event log folded into visits, kept up to date from a cursor by
# queue_server.analytics.projection, so that a period report is a few SQL aggregates (docs/statistics.md).
stats_visits = Table(
    "stats_visits",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("ticket_id", String(ID_LENGTH), primary_key=True),
    Column("service_id", String(ID_LENGTH), nullable=False),
    Column("priority", String(64), nullable=True),
    Column("day", Date(), nullable=False),
    Column("hour", Integer(), nullable=False),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("waiting_since", UTCDateTime(), nullable=True),
    Column("requeues", Integer(), nullable=False),
    Column("wait_seconds", Double(), nullable=True),
    Column("transfers", Integer(), nullable=False),
    Column("served_segments", Integer(), nullable=False),
    Column("served_seconds", Double(), nullable=False),
    Column("ratings", Integer(), nullable=False),
    Column("satisfied", Integer(), nullable=False),
    Column("dossiers", Integer(), nullable=False),
    Column("unsatisfied", Integer(), nullable=False),
    Column("calls", Integer(), nullable=False),
    Column("counter_id", String(ID_LENGTH), nullable=True),
    Column("staff_id", String(ID_LENGTH), nullable=True),
    Index("ix_stats_visits_office_id_day", "office_id", "day"),
    Index("ix_stats_visits_office_id_wait_seconds", "office_id", "wait_seconds"),
)
"""One row per visit (open ones too); ``wait_seconds`` is NULL until a call ended a wait. ``counter_id`` and
``staff_id`` are those of its only call when ``calls`` is 1 (most visits), so counter and staff figures read
``stats_segments`` only for visits called more than once."""

stats_segments = Table(
    "stats_segments",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("ticket_id", String(ID_LENGTH), primary_key=True),
    Column("number", Integer(), primary_key=True),
    Column("day", Date(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("calls", Integer(), nullable=False),
    Column("service_id", String(ID_LENGTH), nullable=False),
    Column("counter_id", String(ID_LENGTH), nullable=False),
    Column("staff_id", String(ID_LENGTH), nullable=True),
    Column("called_at", UTCDateTime(), nullable=False),
    Column("recalls", Integer(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("end_kind", String(16), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("rating", String(64), nullable=True),
    Column("rating_satisfied", Boolean(), nullable=True),
    Column("seconds", Double(), nullable=True),
    Column("wait_start", UTCDateTime(), nullable=True),
    Column("wait_end", UTCDateTime(), nullable=True),
    Column("wait_seconds", Double(), nullable=True),
    Index("ix_stats_segments_office_id_day", "office_id", "day"),
)
"""One row per call of a visit, with the wait that call ended; ``day``, ``status`` and ``calls`` are the visit's."""

stats_staff_days = Table(
    "stats_staff_days",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("staff_id", String(ID_LENGTH), primary_key=True),
    Column("day", Date(), primary_key=True),
)

stats_cursor = Table(
    "stats_cursor",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("last_seq", BigInteger(), nullable=False),
    Column("last_event_at", UTCDateTime(), nullable=True),
    Column("utc_offset_minutes", Integer(), nullable=False),
    Column("rating_scale", Text(), nullable=False),
)
"""Per office: the last event folded into the read model, and the fold's settings at that point."""

ROLLUP_TOTALS = (
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
_ROLLUP_SUMS = frozenset({"wait_sum", "served_sum", "finished_served_sum"})

stats_rollup = Table(
    "stats_rollup",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("dim", String(8), primary_key=True),
    Column("key", String(ID_LENGTH), primary_key=True),
    *(Column(name, Double() if name in _ROLLUP_SUMS else Integer(), nullable=False) for name in ROLLUP_TOTALS),
    Column("waits", LargeBinary(), nullable=False),
)
"""Per office, local day and group (``dim`` day, service, hour, counter or staff; ``key`` '' for day): the
additive totals of the group's figures and, in ``waits``, its counted waits that day, sorted, as packed
little-endian float64 (what a period's p90 is ranked from). Rebuilt for every day a catch-up touches."""

WAIT_BUCKET_SECONDS = 60
"""Width of the ``stats_wait_hist`` buckets: a wait w is in bucket ⌊w / 60⌋."""

stats_wait_hist = Table(
    "stats_wait_hist",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("bucket", Integer(), primary_key=True),
    Column("waits", Integer(), nullable=False),
)
"""Per office and local day: how many counted waits fell in each minute. A province's p90 finds its minute
here, then ranks only the waits of that minute (``ix_stats_visits_office_id_wait_seconds``)."""
