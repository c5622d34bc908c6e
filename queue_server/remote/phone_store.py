"""Where the phone numbers of remote numbers live, and nowhere else: a small SQLite database of its own.

Why not the event log: events are immutable, exported and streamed to the province; a phone number must be
deletable after its ticket's day plus ``[remote] retention_days`` (Nghị định 13/2023). Why not a table of the
office store: backups, ``motcua events export`` and a PostgreSQL replica would carry it too. Here it sits in
``<data_dir>/remote.sqlite`` (mode 0600), keyed by ticket id; the caps and the wrong-code lock count on the
number's keyed hash (``phones.phone_key``), which is kept as long, never the number.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.pool import StaticPool

from queue_server.store.schema import UTCDateTime

metadata = MetaData()

pending = Table(
    "remote_pending",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("phone_key", String(64), nullable=False),
    Column("service_id", String(128), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)
"""A booking waiting for its one-time code: deleted when confirmed, or once expired."""

phone_days = Table(
    "remote_phone_days",
    metadata,
    Column("phone_key", String(64), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("codes_sent", Integer(), nullable=False, default=0),
    Column("wrong_codes", Integer(), nullable=False, default=0),
)

phones = Table(
    "remote_phones",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("phone", String(16), nullable=False),
    Column("phone_key", String(64), nullable=False, index=True),
    Column("service_id", String(128), nullable=False),
    Column("day", Date(), nullable=False, index=True),
    Column("purge_after", UTCDateTime(), nullable=False),
    Column("near_sent", Boolean(), nullable=False, default=False),
)


@dataclass(frozen=True)
class Pending:
    token: str
    phone: str
    phone_key: str
    service_id: str
    code_hash: str
    expires_at: datetime


class PhoneStore:
    """``PhoneStore.open(path)`` for the server, ``PhoneStore.in_memory()`` for tests."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    @classmethod
    def open(cls, path: Path) -> PhoneStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        return cls(create_engine(f"sqlite:///{path}"))

    @classmethod
    def in_memory(cls) -> PhoneStore:
        return cls(create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}))

    # -- one-time codes ---------------------------------------------------------------------------------------
    def add_pending(self, entry: Pending) -> None:
        with self.engine.begin() as db:
            db.execute(insert(pending).values(**entry.__dict__))

    def pending(self, token: str) -> Pending | None:
        with self.engine.connect() as db:
            row = db.execute(select(pending).where(pending.c.token == token)).first()
        return None if row is None else Pending(**row._mapping)

    def drop_pending(self, token: str) -> None:
        with self.engine.begin() as db:
            db.execute(delete(pending).where(pending.c.token == token))

    def day_counts(self, phone_key: str, day: date) -> tuple[int, int]:
        """(codes sent, wrong codes) for this number today."""
        with self.engine.connect() as db:
            row = db.execute(
                select(phone_days.c.codes_sent, phone_days.c.wrong_codes).where(
                    phone_days.c.phone_key == phone_key, phone_days.c.day == day
                )
            ).first()
        return (0, 0) if row is None else (row[0], row[1])

    def count(self, phone_key: str, day: date, *, sent: int = 0, wrong: int = 0) -> None:
        with self.engine.begin() as db:
            where = (phone_days.c.phone_key == phone_key, phone_days.c.day == day)
            changed = db.execute(
                update(phone_days)
                .where(*where)
                .values(codes_sent=phone_days.c.codes_sent + sent, wrong_codes=phone_days.c.wrong_codes + wrong)
            ).rowcount
            if not changed:
                db.execute(insert(phone_days).values(phone_key=phone_key, day=day, codes_sent=sent, wrong_codes=wrong))

    # -- the numbers of booked tickets ------------------------------------------------------------------------
    def add_phone(
        self, ticket_id: str, phone: str, key: str, service_id: str, day: date, purge_after: datetime
    ) -> None:
        with self.engine.begin() as db:
            db.execute(
                insert(phones).values(
                    ticket_id=ticket_id, phone=phone, phone_key=key, service_id=service_id, day=day,
                    purge_after=purge_after, near_sent=False,
                )
            )  # fmt: skip

    def phone_of(self, ticket_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(select(phones.c.phone).where(phones.c.ticket_id == ticket_id)).scalar()

    def phones_of(self, ticket_ids: Iterable[str]) -> dict[str, str]:
        ids = list(ticket_ids)
        if not ids:
            return {}
        with self.engine.connect() as db:
            rows = db.execute(select(phones.c.ticket_id, phones.c.phone).where(phones.c.ticket_id.in_(ids)))
            return {r[0]: r[1] for r in rows}

    def tickets_of(self, day: date) -> list[str]:
        """The ticket ids of the numbers booked on ``day`` whose phone is still kept."""
        with self.engine.connect() as db:
            return list(db.execute(select(phones.c.ticket_id).where(phones.c.day == day)).scalars())

    def booked_count(self, day: date, *, phone_key: str | None = None, service_id: str | None = None) -> int:
        query = select(func.count()).select_from(phones).where(phones.c.day == day)
        if phone_key is not None:
            query = query.where(phones.c.phone_key == phone_key)
        if service_id is not None:
            query = query.where(phones.c.service_id == service_id)
        with self.engine.connect() as db:
            return int(db.execute(query).scalar() or 0)

    def first_near(self, ticket_id: str) -> bool:
        """Mark the "near" notice of this ticket as sent; True only the first time."""
        with self.engine.begin() as db:
            changed = db.execute(
                update(phones)
                .where(phones.c.ticket_id == ticket_id, phones.c.near_sent.is_(False))
                .values(near_sent=True)
            ).rowcount
        return bool(changed)

    def purge(self, now: datetime, oldest_day: date) -> int:
        """Delete the numbers whose retention ended, expired codes, and counts of days before ``oldest_day``."""
        with self.engine.begin() as db:
            gone = db.execute(delete(phones).where(phones.c.purge_after <= now)).rowcount
            db.execute(delete(pending).where(pending.c.expires_at <= now))
            db.execute(delete(phone_days).where(phone_days.c.day < oldest_day))
        return int(gone or 0)
