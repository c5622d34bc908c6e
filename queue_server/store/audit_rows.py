"""Audit rows written inside the transaction of the change they describe (``queue_server.audited``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert

from queue_server.store.schema import audit_log

AuditRow = Mapping[str, Any] | None
"""An ``audit_log`` row to write with a change (the ``audit_row`` of the settings, devices and users writers)."""


def store_audit(conn: Connection, row: AuditRow) -> None:
    """Insert ``row`` (if any) inside the caller's transaction: the change and its entry commit together."""
    if row is not None:
        conn.execute(insert(audit_log).values(**row))
