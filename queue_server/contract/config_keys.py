"""A device config's validation errors as lines a technician can act on: "did you mean", and retired keys named.

A device's TOML is strict (unknown keys refused) so a typo never falls back to a default silently; pydantic's own
message ("Extra inputs are not permitted") does not say what was meant, and a key this release retired (the
office now comes from the server) deserves its reason rather than "unknown".
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

RETIRED_KEYS = {
    "office_config": "no longer read: the office (services, counters, catalogue) now comes from the server's "
    "state/office topic and is cached on the device; remove this line",
}
"""Keys an older config may still have, with what to do about them."""


def config_problems(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One line per error: ``where: what`` (``link.hots: unknown key; did you mean 'host'?``)."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        key = str(error["loc"][-1]) if error["loc"] else ""
        if error["type"] == "extra_forbidden" and key in RETIRED_KEYS:
            lines.append(f"{where}: {RETIRED_KEYS[key]}")
        elif error["type"] == "extra_forbidden":
            known = _fields_at(root, error["loc"][:-1])
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(known))})"
            lines.append(f"{where}: unknown key{hint}")
        else:
            lines.append(f"{where}: {error['msg']}")
    return lines


def _fields_at(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The field names of the (sub)model at ``path`` ([] when the path leads elsewhere: a dict, a list)."""
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _model_of(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """``Section`` from ``Section``, ``Section | None`` or ``Optional[Section]``."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return annotation
