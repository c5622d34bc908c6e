"""Upload of the kiosk's procedure catalogue: validated by the kiosk's own code, one clear error per bad field.

A file (JSON as ``kiosk/data/procedures.json``, or the same structure in TOML with ``[[procedures]]`` tables) is
checked with ``kiosk.catalogue.validate_document``; if any entry is bad nothing is stored and every problem is
listed with its entry number, field and reason. A good file becomes a ``CatalogueUploaded`` event (through the
engine path, like a setup change, audited in the same transaction), so the event log says which catalogue the
kiosks show: the server publishes it on ``state/office`` and every running kiosk takes it within seconds. A copy is
also kept, normalised to NFC JSON, in the server's data directory as ``catalogue/procedures-v<N>.json`` plus
``catalogue/procedures.json`` (the latest), for the administrators' history. A catalogue too large for the
broker's packet limit (``contract.limits``) is refused here, before anything is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kiosk.catalogue import CATALOGUE_VERSION, CatalogueError, Issue, validate_document
from queue_server.audited import Audited
from queue_server.contract.limits import MAX_PAYLOAD_BYTES
from queue_server.engine import commands as cmd
from queue_server.store.web_users import Role
from queue_server.web import audit, context, get_execute
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")
MAX_BYTES = 2 * 1024 * 1024
OFFICE_ROOM_BYTES = 32 * 1024
"""Room left in ``state/office`` for the rest of the office (services, counters, rating scale) next to the
catalogue: a catalogue over ``MAX_PAYLOAD_BYTES - OFFICE_ROOM_BYTES`` of compact JSON is refused."""
VERSION_FILE = re.compile(r"procedures-v(\d+)\.json")


def catalogue_dir() -> Path:
    return context.current().catalogue_folder()


def stored_versions() -> list[int]:
    folder = catalogue_dir()
    found = [VERSION_FILE.fullmatch(p.name) for p in folder.glob("procedures-v*.json")] if folder.exists() else []
    return sorted((int(m.group(1)) for m in found if m), reverse=True)


def reason(issue: Issue) -> str:
    """The problem in the page's language (pydantic's own English message as the fallback)."""
    reasons = {
        "missing": _("required, missing"),
        "extra_forbidden": _("unknown field"),
        "string_pattern_mismatch": _("wrong format"),
        "string_too_short": _("too short"),
        "string_type": _("must be text"),
        "int_type": _("must be a whole number"),
        "int_parsing": _("must be a whole number"),
        "list_type": _("must be a list"),
        "tuple_type": _("must be a list"),
        "model_type": _("must be an object with fields"),
        "value_error": _("a list item is blank"),
        "version": _("version %(v)s is the only one supported", v=CATALOGUE_VERSION),
    }
    if issue.kind == "duplicate" and issue.duplicate_of is not None:
        return _("same code as entry %(n)s", n=issue.duplicate_of + 1)
    return reasons.get(issue.kind) or _("invalid value (%(detail)s)", detail=issue.message)


def parse(name: str, data: bytes) -> Any:
    """The uploaded document; ``ValueError`` with a translated message if it is not JSON/TOML text."""
    try:
        text = data.decode("utf-8-sig")
        return tomllib.loads(text) if name.lower().endswith(".toml") else json.loads(text)
    except UnicodeDecodeError:
        raise ValueError(_("The file is not UTF-8 text.")) from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(_("The file cannot be read as JSON or TOML: %(detail)s", detail=str(exc))) from None


def _page(status: int = 200, issues: tuple[Issue, ...] = ()) -> ResponseReturnValue:
    rows = [(i.row, i.code, i.field, reason(i)) for i in issues]
    return render_template("admin_catalogue.html", versions=stored_versions(), issues=rows), status


@bp.route("")
@roles_required(Role.ADMIN)
def page() -> ResponseReturnValue:
    return _page()


@bp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
def upload() -> ResponseReturnValue:
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash(_("Choose a file to upload."), "error")
        return _page(400)
    data = sent.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        flash(_("The file is larger than %(n)s MB.", n=MAX_BYTES // 2**20), "error")
        return _page(400)
    try:
        procedures = validate_document(parse(sent.filename, data))
    except ValueError as exc:
        if isinstance(exc, CatalogueError):
            flash(_("Nothing was stored: %(n)s problems in the file.", n=len(exc.issues) or 1), "error")
            return _page(400, exc.issues or (Issue(None, "", "unreadable", str(exc)),))
        flash(str(exc), "error")
        return _page(400)
    execute = get_execute()
    if execute is None:
        flash(_("The admin pages are not connected to the queue server."), "error")
        return _page(503)
    document = _document([p.model_dump(mode="json") for p in procedures], sent.filename)
    compact = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # As the event carries it (a JSON string: quotes escaped) on the way to the province, and on state/office.
    if len(json.dumps(compact, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES - OFFICE_ROOM_BYTES:
        limit = (MAX_PAYLOAD_BYTES - OFFICE_ROOM_BYTES) // 1024
        flash(_("The catalogue is too large to send to the kiosks (over %(n)s KiB).", n=limit), "error")
        return _page(400)
    version = max(stored_versions(), default=0) + 1
    detail = {"procedures": len(procedures), "file": sent.filename[:120]}
    reply = execute(Audited(cmd.UploadCatalogue(compact), audit.entry("catalogue.upload", f"v{version}", detail)))
    if not reply.get("ok"):
        error = reply.get("error") or {}
        flash(_("Refused: %(reason)s", reason=error.get("message", "")), "error")
        return _page(409)
    _store(document, version)
    flash(_("Catalogue version %(v)s stored with %(n)s procedures.", v=version, n=len(procedures)), "info")
    return redirect(url_for("admin.catalogue.page"))


def _document(procedures: list[dict[str, Any]], filename: str) -> dict[str, Any]:
    return {"version": CATALOGUE_VERSION, "about": f"Uploaded as {filename[:120]}", "procedures": procedures}


def _store(document: dict[str, Any], version: int) -> None:
    """Keep version ``version`` and make it the latest (each file written whole, then renamed into place)."""
    folder = catalogue_dir()
    folder.mkdir(parents=True, exist_ok=True)
    procedures = document["procedures"]
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    for name in (f"procedures-v{version}.json", "procedures.json"):
        temporary = folder / f".{name}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, folder / name)
    current_app.logger.info(
        "catalogue v%d stored (%d procedures, sha256 %s)",
        version,
        len(procedures),
        hashlib.sha256(text.encode()).hexdigest()[:12],
    )
