"""Admin-only pages: for now, the list of web users (creation is ``create_user`` / ``flask create-admin``)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from queue_server.web import get_store
from queue_server.web.auth import roles_required
from queue_server.web.users import Role, list_users

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(Role.ADMIN)
def users_page() -> ResponseReturnValue:
    return render_template("users.html", users=list_users(get_store().engine))
