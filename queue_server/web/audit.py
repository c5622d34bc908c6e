"""The audit log of the admin pages: who changed what, when (table ``audit_log``, Alembic migration 0003).

``detail`` is JSON describing the change, never a secret: ``record`` refuses keys that name one (passwords,
hashes, tokens), so a careless caller fails loudly in tests instead of leaking a password into the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_login import current_user  # type: ignore[import-untyped]
from sqlalchemy import func, insert, select

from queue_server.store.schema import ID_LENGTH, audit_log
from queue_server.web import get_setup, get_store

PAGE_SIZE = 50
SECRET_WORDS = ("password", "secret", "hash", "token")


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    username: str
    office_id: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


def entry(action: str, target: str | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``audit_log`` row for the signed-in user, in this office: to store in the change's own transaction
    (``Audited`` for engine commands, ``audit_row`` of the settings, devices and users writers)."""
    detail = detail or {}
    secret = [key for key in detail if any(word in key.lower() for word in SECRET_WORDS)]
    if secret:
        raise ValueError(f"audit detail must not hold secrets: {secret}")
    return {
        "at": datetime.now(UTC),
        "username": current_user.username,
        "office_id": get_setup().office_id,
        "action": action,
        "target": None if target is None else target[:ID_LENGTH],
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


def record(action: str, target: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Write one entry on its own (a change with no database write of its own, e.g. the clock's confirmation)."""
    row = entry(action, target, detail)
    with get_store().engine.begin() as conn:
        conn.execute(insert(audit_log).values(**row))


def entries(page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[Entry], int]:
    """One page of entries, newest first, and the number of pages (at least 1)."""
    with get_store().engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        rows = conn.execute(
            select(audit_log)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(page_size)
            .offset((max(page, 1) - 1) * page_size)
        ).all()
    found = [Entry(r.id, r.at, r.username, r.office_id, r.action, r.target, json.loads(r.detail)) for r in rows]
    return found, max(1, -(-total // page_size))
