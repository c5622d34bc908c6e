"""Sign in and out; the role check every other blueprint uses; the login rate limit (``login_limits``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user  # type: ignore[import-untyped]

from queue_server.store.web_users import Role, User, authenticate, end_sessions
from queue_server.web import get_store
from queue_server.web.i18n import _
from queue_server.web.login_limits import LoginLimiter, LoginLimits

bp = Blueprint("auth", __name__, url_prefix="/auth")
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def limiter() -> LoginLimiter:
    """The app's sign-in limiter, made on first use from its ``LOGIN_*`` settings."""
    found = current_app.extensions.get("motcua.login_limiter")
    if found is None:
        config = current_app.config
        limits = LoginLimits(
            per_account=config["LOGIN_MAX_FAILURES"],
            per_address=config["LOGIN_FAILURES_PER_ADDRESS"],
            per_username=config["LOGIN_FAILURES_PER_USERNAME"],
            total=config["LOGIN_FAILURES_GLOBAL"],
            window_seconds=config["LOGIN_FAILURE_WINDOW_SECONDS"],
        )
        found = current_app.extensions.setdefault("motcua.login_limiter", LoginLimiter(limits))
    return cast(LoginLimiter, found)


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
    address = request.remote_addr
    if limiter().blocked(address, username):
        flash(_("Too many failed attempts. Try again in a few minutes."), "error")
        return render_template("login.html", username=username), 429
    user: User | None = authenticate(get_store().engine, username, password) if username and password else None
    if user is None:
        limiter().failed(address, username)
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", username=username), 401
    limiter().succeeded(address, username)
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
    login_user(user)
    return redirect(url_for("index"))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # Ends this session everywhere it was copied to (a cookie captured on a shared PC), and the user's
        # other sessions with it: signing out means signed out.
        end_sessions(get_store().engine, current_user.username)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
