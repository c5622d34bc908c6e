"""The admin pages: web users and the audit log here; office setup, devices and the procedure catalogue in
``admin_setup``, ``admin_devices`` and ``admin_catalogue`` (nested blueprints under ``/admin``).

Only administrators change anything, and every change is written to the audit log. A new or reset password is
generated here and shown once in the response (``no-store``), like a device password.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user  # type: ignore[import-untyped]

from queue_server.store.web_users import Role, UserError, create_user, get_user, list_users, set_active, set_password
from queue_server.web import admin_catalogue, admin_devices, admin_setup, audit, get_setup, get_store
from queue_server.web.admin_setup import FormError, current_setup
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _

bp = Blueprint("admin", __name__, url_prefix="/admin")
for child in (admin_setup, admin_devices, admin_catalogue):
    bp.register_blueprint(child.bp)


def _users_page(status: int = 200, shown: tuple[str, str] | None = None) -> ResponseReturnValue:
    """The users page; ``shown`` is (username, new password), displayed in this response only."""
    setup = current_setup()
    response = make_response(
        render_template(
            "users.html",
            users=list_users(get_store().engine),
            roles=[r.value for r in Role],
            office_id=get_setup().office_id,
            counters=setup.counters,
            staff=setup.staff,
            shown=shown,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users")
@roles_required(Role.ADMIN)
def users_page() -> ResponseReturnValue:
    return _users_page()


@bp.route("/users", methods=["POST"])
@roles_required(Role.ADMIN)
def add_user() -> ResponseReturnValue:
    try:
        username = admin_setup.field("username", _("Username"), max_length=64)
        role = Role(request.form.get("role", ""))
    except (FormError, ValueError) as exc:
        flash(str(exc) if isinstance(exc, FormError) else _("Choose a role."), "error")
        return _users_page(400)
    counter_id = request.form.get("counter_id") or None if role is Role.STAFF else None
    staff_id = request.form.get("staff_id") or None if role is Role.STAFF else None
    office_id = get_setup().office_id if role is Role.MANAGER else None
    problem = None
    if get_user(get_store().engine, username) is not None:
        problem = _("User %(name)s exists.", name=username)
    elif role is Role.STAFF and counter_id not in {c.id for c in current_setup().counters}:
        problem = _("A staff member needs a counter.")
    if problem is None:
        password = secrets.token_urlsafe(12)
        try:
            create_user(
                get_store().engine,
                username,
                password,
                role,
                office_id=office_id,
                counter_id=counter_id,
                staff_id=staff_id,
                audit_row=audit.entry(
                    "user.add", username, {"role": role.value, "office_id": office_id, "counter_id": counter_id}
                ),
            )
        except UserError:
            problem = _("Username: letters, digits, '-' or '.' only (at most 64).")
    if problem is not None:
        flash(problem, "error")
        return _users_page(400)
    return _users_page(201, (username, password))


@bp.route("/users/<username>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_user_active(username: str) -> ResponseReturnValue:
    active = request.form.get("active") == "1"
    if username == current_user.username and not active:
        flash(_("You cannot deactivate yourself."), "error")
        return _users_page(400)
    try:
        row = audit.entry("user.activate" if active else "user.deactivate", username)
        set_active(get_store().engine, username, active, audit_row=row)
    except UserError:
        abort(404)
    flash(_("Saved."), "info")
    return redirect(url_for("admin.users_page"))


@bp.route("/users/<username>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(username: str) -> ResponseReturnValue:
    password = secrets.token_urlsafe(12)
    try:
        set_password(get_store().engine, username, password, audit_row=audit.entry("user.reset_password", username))
    except UserError:
        abort(404)
    if username == current_user.username:  # the reset ended every session of the user: keep this one signed in
        login_user(get_user(get_store().engine, username))
    return _users_page(200, (username, password))


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_page() -> ResponseReturnValue:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    found, pages = audit.entries(page)
    return render_template("admin_audit.html", entries=found, page=page, pages=pages)
