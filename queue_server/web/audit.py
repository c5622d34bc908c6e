"""The audit log of the admin pages: who changed what, when (the table's reads and writes: ``store.audit_rows``).

``detail`` is JSON describing the change, never a secret: ``record`` refuses keys that name one (passwords,
hashes, tokens), so a careless caller fails loudly in tests instead of leaking a password into the database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.store.audit_rows import AuditEntry, audit_page, write_audit
from queue_server.store.schema import ID_LENGTH
from queue_server.web import get_setup, get_store

PAGE_SIZE = 50
SECRET_WORDS = ("password", "secret", "hash", "token")


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
    write_audit(get_store().engine, entry(action, target, detail))


def entries(page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, and the number of pages (at least 1)."""
    found, total = audit_page(get_store().engine, page, page_size)
    return found, max(1, -(-total // page_size))
