"""Per-office settings an administrator saves in the admin pages (table ``office_settings``, migration 0005).

They are kept apart from the config file on purpose: the file is what the office was installed with, these are
what its administrator decided later, and they win over the file (docs/statistics.md "Targets").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from queue_server.store.audit_rows import AuditRow, store_audit
from queue_server.store.schema import office_settings


def read_settings(engine: Engine, office_id: str, prefix: str = "") -> dict[str, Any]:
    """The office's saved settings whose key starts with ``prefix``, as key -> decoded JSON value."""
    table = office_settings.c
    query = select(table.key, table.value).where(table.office_id == office_id, table.key.startswith(prefix))
    with engine.connect() as conn:
        return {row.key: json.loads(row.value) for row in conn.execute(query)}


def write_settings(
    engine: Engine, office_id: str, values: dict[str, Any], username: str, *, audit_row: AuditRow = None
) -> None:
    """Save ``values`` (key -> JSON-able value) for the office in one transaction, replacing older ones (and
    ``audit_row`` in the same transaction)."""
    now = datetime.now(UTC)
    table = office_settings.c
    with engine.begin() as conn:
        store_audit(conn, audit_row)
        conn.execute(delete(office_settings).where(table.office_id == office_id, table.key.in_(list(values))))
        if values:
            conn.execute(
                insert(office_settings),
                [
                    {
                        "office_id": office_id,
                        "key": key,
                        "value": json.dumps(value, ensure_ascii=False, sort_keys=True),
                        "updated_at": now,
                        "updated_by": username,
                    }
                    for key, value in values.items()
                ],
            )
