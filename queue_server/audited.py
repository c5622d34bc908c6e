"""An admin change and its audit entry, stored in ONE transaction.

The admin pages send ``Audited(command, entry)`` through the same ``execute`` path as any engine command; the
service commits the command's events and the ``audit_log`` row together (``EventStore.commit``), so a kill or a
failed commit can never leave a change without its audit entry, nor an entry for a change that was not made.
A refused command stores no entry (nothing changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from queue_server.engine.commands import Command


@dataclass(frozen=True)
class Audited:
    command: Command
    entry: Mapping[str, Any]
    """One ``audit_log`` row (``queue_server.web.audit.entry``): at, username, office_id, action, target, detail."""
