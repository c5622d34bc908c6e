"""Names shown for the codes the pages display (roles, periods, groups, outcomes, target checks)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from queue_server.analytics.targets import Kind, Target
from queue_server.web.i18n import _, current_locale, format_decimal


def target_label(target: Target) -> str:
    value = format_decimal(target.value, format="#,##0")
    if target.kind is Kind.WAIT:
        return _("Average wait ≤ %(n)s min per visit", n=format_decimal(target.value / 60, format="#,##0"))
    if target.kind is Kind.SATISFACTION:
        return _("QĐ 766 satisfaction ≥ %(n)s %%", n=format_decimal(target.value * 100, format="#,##0"))
    return _("≥ %(n)s dossiers per staff member a year", n=value)


def lang_url(code: str) -> str:
    """This page in another language, keeping its query (the dashboard's period)."""
    args = {**request.args.to_dict(), "lang": code}
    return f"{request.path}?{urlencode(args)}"


def context() -> dict[str, Any]:
    """Template globals, in the request's language."""
    return {
        "current_lang": current_locale(),
        "target_label": target_label,
        "lang_url": lang_url,
        "role_names": {
            "staff": _("Staff"),
            "manager": _("Manager"),
            "province_manager": _("Province manager"),
            "admin": _("Administrator"),
        },
        "period_names": {"day": _("Day"), "week": _("Week"), "month": _("Month"), "custom": _("Custom")},
        "group_names": {
            "service": _("By service"),
            "counter": _("By counter"),
            "staff": _("By staff member"),
            "day": _("By day"),
            "hour": _("By hour"),
        },
        "status_names": {"met": _("Met"), "not_met": _("Not met"), "no_data": _("No data")},
        "outcome_names": {
            "dossier_received": _("Dossier received"),
            "result_returned": _("Result returned"),
            "guidance_only": _("Guidance only"),
            "refused": _("Refused"),
        },
    }
