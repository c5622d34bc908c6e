"""The ``audit_log`` table (Alembic migration 0003): rows written inside the transaction of the change they describe
(``queue_server.audited``), a row written on its own, and the newest-first pages the admin pages show.

Only the SQL lives here; who the row names and what it may hold (no secrets) is ``queue_server.web.audit``'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from queue_server.store.schema import audit_log

AuditRow = Mapping[str, Any] | None
"""An ``audit_log`` row to write with a change (the ``audit_row`` of the settings, devices and users writers)."""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    username: str
    office_id: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


def store_audit(conn: Connection, row: AuditRow) -> None:
    """Insert ``row`` (if any) inside the caller's transaction: the change and its entry commit together."""
    if row is not None:
        conn.execute(insert(audit_log).values(**row))


def write_audit(engine: Engine, row: Mapping[str, Any]) -> None:
    """Insert ``row`` in a transaction of its own (a change with no database write of its own)."""
    with engine.begin() as conn:
        store_audit(conn, row)


def audit_page(engine: Engine, page: int, page_size: int) -> tuple[list[AuditEntry], int]:
    """Page ``page`` (from 1; below 1 is the first) of the entries, newest first, and the number of entries."""
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        rows = conn.execute(
            select(audit_log)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(page_size)
            .offset((max(page, 1) - 1) * page_size)
        ).all()
    found = [AuditEntry(r.id, r.at, r.username, r.office_id, r.action, r.target, json.loads(r.detail)) for r in rows]
    return found, int(total)
