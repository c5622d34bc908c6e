"""Web users: who may sign in, with which role, for which office and counter.

Kept in the office database in the ``web_users`` table (``queue_server.store.schema``, Alembic migrations 0002 and
0006: the session version).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Engine, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from queue_server.contract.errors import MotcuaError
from queue_server.store.audit_rows import AuditRow, store_audit
from queue_server.store.schema import web_users

MIN_PASSWORD_LENGTH = 10
PASSWORD_METHOD = "scrypt"


class Role(StrEnum):
    STAFF = "staff"
    """Works one counter: the console for that counter only."""
    MANAGER = "manager"
    """Runs one office: its dashboard."""
    PROVINCE_MANAGER = "province_manager"
    """Sees every office's dashboard."""
    ADMIN = "admin"


class UserError(MotcuaError, ValueError):
    """A user could not be created as asked."""


@dataclass(frozen=True)
class User:
    """A signed-in person, as Flask-Login wants one (``get_id`` and the ``is_*`` flags)."""

    username: str
    role: Role
    office_id: str | None = None
    counter_id: str | None = None
    staff_id: str | None = None
    active: bool = True
    session_version: int = 0
    """Part of the session's user id (``get_id``); sign-out and a password change bump it (``end_sessions``)."""

    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        """False once deactivated: a session opened before that stops working at its next request."""
        return self.active

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What the session cookie holds: the username and the session version, so that a cookie from before
        the last sign-out or password change names a version that no longer exists (``load_user``)."""
        return f"{self.username}:{self.session_version}"

    def may_see_office(self, office_id: str) -> bool:
        if self.role in (Role.ADMIN, Role.PROVINCE_MANAGER):
            return True
        return self.role is Role.MANAGER and self.office_id == office_id


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: Role | str,
    *,
    office_id: str | None = None,
    counter_id: str | None = None,
    staff_id: str | None = None,
    password_method: str = PASSWORD_METHOD,
    audit_row: AuditRow = None,
) -> User:
    """Add a user; the password is stored only as a salted hash (scrypt unless told otherwise)."""
    role = Role(role)
    if not username or len(username) > 64 or not username.replace("-", "").replace(".", "").isalnum():
        raise UserError("username: 1-64 letters, digits, '-' or '.'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if role is Role.STAFF and counter_id is None:
        raise UserError("a staff user needs a counter")
    if role is Role.MANAGER and office_id is None:
        raise UserError("a manager needs an office")
    with engine.begin() as conn:
        if conn.execute(select(web_users.c.username).where(web_users.c.username == username)).first():
            raise UserError(f"user {username!r} exists")
        conn.execute(
            insert(web_users).values(
                username=username,
                password_hash=generate_password_hash(password, method=password_method),
                role=role.value,
                office_id=office_id,
                counter_id=counter_id,
                staff_id=staff_id,
                active=True,
                created_at=datetime.now(UTC),
            )
        )
        store_audit(conn, audit_row)
    return User(username, role, office_id, counter_id, staff_id)


def _user(row: Any) -> User:
    return User(
        row.username,
        Role(row.role),
        row.office_id,
        row.counter_id,
        row.staff_id,
        bool(row.active),
        int(row.session_version),
    )


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(web_users).where(web_users.c.username == username)).first()
    return None if row is None else _user(row)


def load_user(engine: Engine, user_id: str) -> User | None:
    """The user a session names (``User.get_id``), only if its session version is still the current one: a
    cookie captured before a sign-out or a password change signs nobody in (Flask-Login's user loader)."""
    username, _, version = user_id.rpartition(":")
    user = get_user(engine, username) if username and version.isdigit() else None
    if user is None or user.session_version != int(version):
        return None
    return user


def end_sessions(engine: Engine, username: str) -> None:
    """Every open session of ``username`` ends at its next request (sign-out, password change or reset)."""
    with engine.begin() as conn:
        conn.execute(
            update(web_users)
            .where(web_users.c.username == username)
            .values(session_version=web_users.c.session_version + 1)
        )


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user if the password matches and the account is active; None otherwise (same cost either way)."""
    with engine.connect() as conn:
        row = conn.execute(select(web_users).where(web_users.c.username == username)).first()
    stored = row.password_hash if row is not None else _dummy_hash()
    if not check_password_hash(stored, password) or row is None or not row.active:
        return None
    return _user(row)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(web_users).order_by(web_users.c.username)).all()
    return [_user(r) for r in rows]


def set_active(engine: Engine, username: str, active: bool, *, audit_row: AuditRow = None) -> None:
    """Deactivate (or reactivate) a user; never deleted, so the audit log keeps a known name."""
    _update(engine, username, audit_row, active=active)


def set_password(
    engine: Engine,
    username: str,
    password: str,
    *,
    password_method: str = PASSWORD_METHOD,
    audit_row: AuditRow = None,
) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    _update(
        engine,
        username,
        audit_row,
        password_hash=generate_password_hash(password, method=password_method),
        # a new password also ends the sessions opened with the old one (same transaction)
        session_version=web_users.c.session_version + 1,
    )


def _update(engine: Engine, username: str, audit_row: AuditRow, **values: object) -> None:
    with engine.begin() as conn:
        if conn.execute(update(web_users).where(web_users.c.username == username).values(**values)).rowcount == 0:
            raise UserError(f"no user {username!r}")
        store_audit(conn, audit_row)


@cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong name costs as long as a wrong password."""
    return generate_password_hash("not a real password", method=PASSWORD_METHOD)
