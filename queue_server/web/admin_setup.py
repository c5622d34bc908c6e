"""The office setup in the admin pages: services and prefixes, counters, staff, priority policy, opening hours,
targets.

Every change is a ``ConfigureOffice`` command sent through ``get_execute()`` (the engine path the console uses),
so it becomes an ``OfficeConfigured`` event and the setup stays a replay of the event log. The page reads the
setup from the replayed state, not from the config file the server started with. Managers see their own office's
setup read-only; only administrators change it. Targets are not part of the queue's setup: they are saved in
``office_settings`` (``web.office_targets``), audited, and win over the config file's ``[targets]``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.analytics.current import save_targets
from queue_server.analytics.targets import slots
from queue_server.audited import Audited
from queue_server.contract.errors import MotcuaError
from queue_server.contract.topics import valid_id
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Counter, OfficeSetup, PriorityPolicy, Service, Staff
from queue_server.store.web_users import Role, User, list_users
from queue_server.web import audit, get_execute, get_setup, get_store
from queue_server.web.admin_hours import HOURS_FIELDS, dates_text, day_text, hours_from_form, weekdays
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _
from queue_server.web.office_targets import current_targets, form_value, slot_names, targets_from_form

bp = Blueprint("setup", __name__, url_prefix="/setup")
VIEWERS = (Role.ADMIN, Role.MANAGER, Role.PROVINCE_MANAGER)
PREFIX = re.compile(r"[A-Z]{1,2}")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)
COLLECTIONS = {"services": "service", "counters": "counter", "staff": "staff"}
"""URL part -> the name used in audit actions."""
FORM_FIELDS = frozenset(
    {"id", "prefix", "name_vi", "name_en", "number", "name", "service_ids", "priority_policy", "interleave_every"}
    | HOURS_FIELDS
)
"""What the setup forms send (and the audit log keeps); anything else posted is ignored."""


class FormError(MotcuaError, ValueError):
    """A field of an admin form is wrong; the message is already translated."""


def current_setup() -> OfficeSetup:
    """The setup in force: the last ``OfficeConfigured`` in the log, else the one the app was started with."""
    return get_setup()


def may_view_office() -> None:
    if not current_user.may_see_office(get_setup().office_id):
        abort(403)


def field(name: str, label: str, *, required: bool = True, max_length: int = 120) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise FormError(_("%(field)s: required.", field=label))
    if len(value) > max_length:
        raise FormError(_("%(field)s: at most %(n)s characters.", field=label, n=max_length))
    return value


def an_id(name: str, label: str) -> str:
    value = field(name, label, max_length=40)
    if not valid_id(value):
        raise FormError(_("%(field)s: lowercase letters, digits and '-' only.", field=label))
    return value


def a_number(name: str, label: str, low: int, high: int) -> int:
    try:
        value = int(request.form.get(name, ""))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise FormError(_("%(field)s: a whole number from %(low)s to %(high)s.", field=label, low=low, high=high))
    return value


def change_setup(action: str, target: str, change: Callable[[OfficeSetup], OfficeSetup]) -> ResponseReturnValue:
    """Apply ``change`` to the current setup as a ``ConfigureOffice`` command; audit it if the engine accepts."""
    execute = get_execute()
    if execute is None:
        flash(_("The admin pages are not connected to the queue server."), "error")
        return make_response(page(), 503)  # the page itself: a browser does not follow a 503's Location
    try:
        new = change(current_setup())
    except FormError as exc:
        flash(str(exc), "error")
        return make_response(page(), 400)  # the page itself: a browser does not follow a 400's Location
    detail = {k: ", ".join(request.form.getlist(k)) for k in request.form if k in FORM_FIELDS}
    reply = execute(Audited(cmd.ConfigureOffice(new), audit.entry(action, target, detail)))  # one transaction
    if not reply.get("ok"):
        error = reply.get("error") or {}
        flash(_("Refused: %(reason)s", reason=error.get("message", "")), "error")
        return make_response(page(), 409)  # the page itself: a browser does not follow a 409's Location
    flash(_("Saved. The change is recorded in the event log."), "info")
    return redirect(url_for("admin.setup.page"))


@bp.route("")
@roles_required(*VIEWERS)
def page() -> ResponseReturnValue:
    may_view_office()
    return render_template(
        "admin_setup.html",
        setup=current_setup(),
        targets=slots(current_targets()),
        target_names=slot_names(),
        form_value=form_value,
        editable=current_user.role is Role.ADMIN,
        policies=[p.value for p in PriorityPolicy],
        weekdays=weekdays(),
        day_text=day_text,
        dates_text=dates_text,
    )


@bp.route("/services", methods=["POST"])
@roles_required(Role.ADMIN)
def save_service() -> ResponseReturnValue:
    def change(setup: OfficeSetup) -> OfficeSetup:
        service_id = an_id("id", _("Code"))
        prefix = field("prefix", _("Prefix"), max_length=2).upper()
        if not PREFIX.fullmatch(prefix):
            raise FormError(_("Prefix: one or two letters A-Z."))
        if any(s.prefix == prefix and s.id != service_id for s in setup.services):
            raise FormError(_("Prefix %(prefix)s is used by another service.", prefix=prefix))
        service = Service(
            service_id, prefix, field("name_vi", _("Name (Vietnamese)")), field("name_en", "", required=False)
        )
        return dataclasses.replace(setup, services=_upsert(setup.services, service))

    return change_setup("service.save", request.form.get("id", ""), change)


@bp.route("/counters", methods=["POST"])
@roles_required(Role.ADMIN)
def save_counter() -> ResponseReturnValue:
    def change(setup: OfficeSetup) -> OfficeSetup:
        served = tuple(request.form.getlist("service_ids"))
        if not served or set(served) - {s.id for s in setup.services}:
            raise FormError(_("Choose at least one of the office's services."))
        counter = Counter(
            an_id("id", _("Code")), a_number("number", _("Number"), 1, 999), served, field("name", "", required=False)
        )
        return dataclasses.replace(setup, counters=_upsert(setup.counters, counter))

    return change_setup("counter.save", request.form.get("id", ""), change)


@bp.route("/staff", methods=["POST"])
@roles_required(Role.ADMIN)
def save_staff() -> ResponseReturnValue:
    def change(setup: OfficeSetup) -> OfficeSetup:
        staff = Staff(an_id("id", _("Code")), field("name", _("Name")))
        return dataclasses.replace(setup, staff=_upsert(setup.staff, staff))

    return change_setup("staff.save", request.form.get("id", ""), change)


@bp.route("/policy", methods=["POST"])
@roles_required(Role.ADMIN)
def save_policy() -> ResponseReturnValue:
    def change(setup: OfficeSetup) -> OfficeSetup:
        try:
            policy = PriorityPolicy(request.form.get("priority_policy", ""))
        except ValueError:
            raise FormError(_("Choose a priority policy.")) from None
        every = a_number("interleave_every", _("One priority ticket after every"), 1, 20)
        return dataclasses.replace(setup, priority_policy=policy, interleave_every=every)

    return change_setup("policy.save", "priority", change)


@bp.route("/hours", methods=["POST"])
@roles_required(Role.ADMIN)
def save_hours() -> ResponseReturnValue:
    """The whole week, lunch breaks and holidays at once: one ``OfficeConfigured`` with the new hours."""

    def change(setup: OfficeSetup) -> OfficeSetup:
        try:
            hours = hours_from_form({k: request.form.get(k, "") for k in HOURS_FIELDS})
        except ValueError as exc:
            raise FormError(str(exc)) from None
        return dataclasses.replace(setup, hours=hours)

    return change_setup("hours.save", "hours", change)


@bp.route("/targets", methods=["POST"])
@roles_required(Role.ADMIN)
def save_targets_form() -> ResponseReturnValue:
    """Every target's value, year and source from the form, stored over the config file's and audited."""
    may_view_office()
    try:
        targets = targets_from_form(current_targets())
    except ValueError as exc:
        flash(str(exc), "error")
        return make_response(page(), 400)  # the page itself: a browser does not follow a 400's Location
    detail = {slot: f"{form_value(t)} ({t.year}): {t.source[:200]}" for slot, t in slots(targets).items()}
    save_targets(get_store(), targets, current_user.username, audit_row=audit.entry("targets.save", "targets", detail))
    flash(_("Targets saved. They apply to the dashboard, reports and exports from now on."), "info")
    return redirect(url_for("admin.setup.page"))


@bp.route("/<any(services, counters, staff):collection>/<item_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete(collection: str, item_id: str) -> ResponseReturnValue:
    """Remove a service, counter or staff member; refused while something still depends on it."""

    def change(setup: OfficeSetup) -> OfficeSetup:
        items: tuple[_Identified, ...] = getattr(setup, collection)
        if all(i.id != item_id for i in items):
            raise FormError(_("No such entry."))
        used = [c.id for c in setup.counters if item_id in c.service_ids] if collection == "services" else []
        if used:
            raise FormError(_("Counters %(counters)s still serve this service.", counters=", ".join(used)))
        people = [
            u.username for u in list_users(get_store().engine) if u.active and item_id in _assignment(collection, u)
        ]
        if people:
            raise FormError(_("Web users %(names)s are assigned to it.", names=", ".join(people)))
        remaining: dict[str, Any] = {collection: tuple(i for i in items if i.id != item_id)}
        return dataclasses.replace(setup, **remaining)

    return change_setup(f"{COLLECTIONS[collection]}.delete", item_id, change)


def _assignment(collection: str, user: User) -> tuple[str | None, ...]:
    return {"counters": (user.counter_id,), "staff": (user.staff_id,)}.get(collection, ())


def _upsert(items: tuple[T, ...], item: T) -> tuple[T, ...]:
    """``items`` with ``item`` in place of the one with its id, or appended."""
    if any(i.id == item.id for i in items):
        return tuple(item if i.id == item.id else i for i in items)
    return (*items, item)
