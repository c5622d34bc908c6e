"""Sign in and out; the role check every other blueprint uses; the login rate limit."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user  # type: ignore[import-untyped]

from queue_server.web import get_store
from queue_server.web.i18n import _
from queue_server.web.users import Role, User, authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


class FailureLimiter:
    """Failed sign-ins per (client address, username), in memory: after ``limit`` in ``window`` seconds, wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str], limit: int, window: float) -> bool:
        now = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < window]
            self._failures[key] = recent
            return len(recent) >= limit

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(self.clock())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def limiter() -> FailureLimiter:
    found = current_app.extensions.setdefault("motcua.login_limiter", FailureLimiter())
    return cast(FailureLimiter, found)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed in, and with one of ``roles``: otherwise to the sign-in page, or 403."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required  # type: ignore[untyped-decorator,misc]
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def home() -> ResponseReturnValue:
    """Each role's start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role is Role.STAFF:
        return redirect(url_for("console.page"))
    if current_user.role is Role.ADMIN:
        return redirect(url_for("admin.users_page"))
    return redirect(url_for("dashboard.period"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    key = (request.remote_addr or "?", username.lower())
    config = current_app.config
    if limiter().blocked(key, config["LOGIN_MAX_FAILURES"], config["LOGIN_FAILURE_WINDOW_SECONDS"]):
        flash(_("Too many failed attempts. Try again in a few minutes."), "error")
        return render_template("login.html", username=username), 429
    user: User | None = authenticate(get_store().engine, username, password) if username and password else None
    if user is None:
        limiter().failed(key)
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    limiter().succeeded(key)
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
    login_user(user)
    return redirect(url_for("index"))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
