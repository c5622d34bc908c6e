"""An admin change and its audit entry are one transaction: a failure of either write (injected with a real
SQLite trigger, as a full disk or a kill would) leaves neither; without a failure both are stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from queue_server.engine import events as ev
from queue_server.store.schema import audit_log, web_users
from tests.integration.web_support import Office, login, make_app, post

CHANGES: list[tuple[str, dict[str, str]]] = [
    ("/admin/setup/services", {"id": "thue", "prefix": "E", "name_vi": "Thuế"}),
    ("/admin/users", {"username": "moi", "role": "manager"}),
]


def fail_inserts_into(office: Office, table: str) -> None:
    with office.store.engine.begin() as conn:
        conn.execute(
            text(f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'disk I/O'); END")
        )


def counts(office: Office) -> tuple[int, int, int]:
    """(audit entries, OfficeConfigured events, web users)."""
    with office.store.engine.connect() as conn:
        audits = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        users = conn.execute(select(func.count()).select_from(web_users)).scalar_one()
    setups = sum(isinstance(s.event, ev.OfficeConfigured) for s in office.store.events())
    return audits, setups, users


@pytest.fixture
def admin(office: Office) -> FlaskClient:
    app: Flask = make_app(office)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failed commit is the app's 500 page, as in production
    client = app.test_client()
    login(client, "admin")
    return client


@pytest.mark.parametrize(("url", "form"), CHANGES)
@pytest.mark.parametrize("failing", ["audit_log", "events", "web_users"])
def test_a_change_is_stored_with_its_audit_entry_or_not_at_all(
    office: Office, admin: FlaskClient, url: str, form: dict[str, str], failing: str
) -> None:
    before = counts(office)
    fail_inserts_into(office, failing)
    response: Any = post(admin, url, form)
    after = counts(office)
    changed = (after[1] - before[1]) + (after[2] - before[2])
    audited = after[0] - before[0]
    assert audited == changed  # an entry exactly when the change was stored
    touches = {"/admin/setup/services": {"audit_log", "events"}, "/admin/users": {"audit_log", "web_users"}}[url]
    if failing in touches:
        assert (audited, changed) == (0, 0) and response.status_code >= 400
    else:
        assert (audited, changed) == (1, 1)
