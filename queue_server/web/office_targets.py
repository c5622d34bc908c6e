"""The office's targets in the web pages: the config file's ``[targets]`` with what an administrator saved in
the admin pages over them (``analytics.current.effective_targets``), and the admin form that changes them.

The form shows waits in minutes and satisfaction in percent (what a manager reads on the dashboard); the
stored values are in the analytics' units (seconds, share).
"""

from __future__ import annotations

from flask import request

from queue_server.analytics.current import effective_targets
from queue_server.analytics.targets import DEFAULT_TARGETS, Kind, Target, Targets, make_target, slots, with_slots
from queue_server.web import context, get_store
from queue_server.web.i18n import _

SCALE = {Kind.WAIT: 60.0, Kind.SATISFACTION: 0.01, Kind.PRODUCTIVITY: 1.0}
"""Form unit -> stored unit: minutes -> seconds, percent -> share, dossiers."""


def configured_targets() -> Targets:
    """The config file's targets (the server's settings in the web context), else the national ones."""
    settings = context.current().settings
    return DEFAULT_TARGETS if settings is None else settings.office_targets()


def current_targets() -> Targets:
    """What the dashboard, the exports and the admin page compare with: saved over configured."""
    return effective_targets(get_store(), configured_targets())


def form_value(target: Target) -> str:
    """The target's value as the form shows it (minutes, percent, dossiers)."""
    return f"{target.value / SCALE[target.kind]:g}"


def slot_names() -> dict[str, str]:
    """Each slot as the admin page names it."""
    return {
        "wait_interim": _("Average wait, interim target (minutes)"),
        "wait_final": _("Average wait, final target (minutes)"),
        "satisfaction_interim": _("Satisfaction, interim target (%)"),
        "satisfaction_final": _("Satisfaction, final target (%)"),
        "productivity_urban": _("Dossiers per staff member a year, urban"),
        "productivity_rural": _("Dossiers per staff member a year, rural"),
        "productivity_remote": _("Dossiers per staff member a year, remote"),
    }


def targets_from_form(current: Targets) -> Targets:
    """``current`` with every slot's value, year and source from the posted form; ``ValueError`` (translated)
    naming the first bad field."""
    changes: dict[str, Target] = {}
    names = slot_names()
    for slot, old in slots(current).items():
        label = names[slot]
        try:
            value = float(request.form.get(f"{slot}.value", "").replace(",", "."))
            year = int(request.form.get(f"{slot}.year", ""))
        except ValueError:
            raise ValueError(_("%(field)s: a number and a year are required.", field=label)) from None
        source = request.form.get(f"{slot}.source", "").strip()
        if not source or len(source) > 1000:
            raise ValueError(_("%(field)s: the source is required (at most 1000 characters).", field=label))
        if not 2000 <= year <= 2100:
            raise ValueError(_("%(field)s: a year from 2000 to 2100.", field=label))
        if old.kind is Kind.SATISFACTION and not 0 < value <= 100:
            raise ValueError(_("%(field)s: a percentage above 0 and at most 100.", field=label))
        if not value > 0:
            raise ValueError(_("%(field)s: a value above 0.", field=label))
        changes[slot] = make_target(slot, value * SCALE[old.kind], year, source)
    return with_slots(current, changes)
