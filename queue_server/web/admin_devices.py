"""Devices in the admin pages: list, add (its broker password shown once), revoke.

Same code as ``motcua device add`` (``queue_server.provisioning``): only the password's hash is stored. The new
password is written into this one response (marked ``no-store``), never into the session, a flash message, the
log or the audit log, so it cannot be shown again. With an external Mosquitto, set the app's ``MOTCUA_SETTINGS``
to the server's ``Settings`` and its password and ACL files are rewritten after each change.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server import provisioning
from queue_server.config import ConfigError
from queue_server.contract.permissions import DeviceKind
from queue_server.store.devices import DeviceRegistry, UnknownDeviceError
from queue_server.store.event_store import StoreError
from queue_server.store.web_users import Role
from queue_server.web import audit, context, get_store
from queue_server.web.admin_setup import VIEWERS, FormError, an_id, current_setup, may_view_office
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _

bp = Blueprint("devices", __name__, url_prefix="/devices")


def _page(status: int = 200, new_device: str | None = None, password: str | None = None) -> ResponseReturnValue:
    response = make_response(
        render_template(
            "admin_devices.html",
            devices=DeviceRegistry(get_store()).list(),
            counters=current_setup().counters,
            kinds=_kind_names(),
            editable=current_user.role is Role.ADMIN,
            new_device=new_device,
            password=password,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _kind_names() -> dict[str, str]:
    return {
        DeviceKind.KIOSK: _("Ticket kiosk"),
        DeviceKind.COUNTER: _("Counter keypad"),
        DeviceKind.DISPLAY: _("Display screen"),
        DeviceKind.CONSOLE: _("Staff console or tool"),
        DeviceKind.OTHER: _("Other device"),
    }


def _sync_broker() -> None:
    settings = context.current().settings
    if settings is not None:
        provisioning.sync_mosquitto(settings, DeviceRegistry(get_store()).list(include_revoked=False))


@bp.route("")
@roles_required(*VIEWERS)
def page() -> ResponseReturnValue:
    may_view_office()
    return _page()


@bp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
def add() -> ResponseReturnValue:
    kind = request.form.get("kind", "")
    counter_id = request.form.get("counter_id") or None
    counters = {c.id for c in current_setup().counters}
    try:
        device_id = an_id("device_id", _("Device code"))
        if kind not in {k.value for k in DeviceKind}:
            raise FormError(_("Choose the kind of device."))
        if kind == DeviceKind.COUNTER and counter_id not in counters:
            raise FormError(_("A counter keypad needs its counter."))
        if DeviceRegistry(get_store()).get(device_id) is not None:
            raise FormError(_("Device %(id)s is already registered (codes are never reused).", id=device_id))
        row = audit.entry("device.add", device_id, {"kind": kind, "counter_id": counter_id})
        password = provisioning.register_device(get_store(), device_id, kind, counter_id, counters, audit_row=row)
    except FormError as exc:
        flash(str(exc), "error")
        return _page(400)
    except (ConfigError, StoreError) as exc:
        current_app.logger.warning("device not added: %s", exc)
        flash(_("The device could not be added."), "error")
        return _page(400)
    _sync_broker()
    return _page(201, device_id, password)


@bp.route("/<device_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
def revoke(device_id: str) -> ResponseReturnValue:
    try:
        DeviceRegistry(get_store()).revoke(device_id, audit_row=audit.entry("device.revoke", device_id))
    except UnknownDeviceError:
        flash(_("No such device."), "error")
        return _page(404)
    _sync_broker()
    flash(_("Device %(id)s revoked: its password no longer works.", id=device_id), "info")
    return redirect(url_for("admin.devices.page"))
