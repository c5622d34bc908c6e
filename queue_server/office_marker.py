"""The office's data folder remembers that its event log had events, so an emptied store is not a new office.

A wrong ``[store] url``, a database restored to nothing, or a SQLite file deleted by mistake would otherwise start
a fresh office silently: numbering back at A001 the same morning, yesterday's statistics gone. At every start the
server writes ``<data_dir>/office.json`` (office id, a fingerprint of the store URL without its password, the
last seq seen); a later start on an empty store while that file says events existed is refused, with how to
restore (``motcua events import``) or to start empty on purpose (``motcua server --accept-empty-store``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from queue_server.contract.errors import MotcuaError

logger = logging.getLogger(__name__)
MARKER = "office.json"


class EmptyStoreError(MotcuaError):
    """The store is empty but this office's data folder says it had events."""


@dataclass(frozen=True)
class Marker:
    office_id: str
    store: str
    """sha256 of the store URL with its password hidden (first 16 hex digits): which database this was."""
    last_seq: int
    written_at: str


def store_fingerprint(url: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def read_marker(data_dir: Path) -> Marker | None:
    path = data_dir / MARKER
    try:
        return Marker(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as exc:
        logger.warning("%s is unreadable (%s); it is written again", path, exc)
        return None


def check_store(data_dir: Path, office_id: str, url: str, last_seq: int, *, accept_empty: bool) -> None:
    """Refuse an empty store where this office had events (``EmptyStoreError``, the message says what to do)."""
    marker = read_marker(data_dir)
    if marker is None or marker.last_seq == 0 or last_seq > 0:
        if marker is not None and 0 < last_seq < marker.last_seq:
            logger.warning(
                "the store ends at seq %d but this office had seen seq %d: restored from an older backup?",
                last_seq,
                marker.last_seq,
            )
        return
    where = "the same database" if marker.store == store_fingerprint(url) else "another database ([store] url changed)"
    if accept_empty:
        logger.warning(
            "starting on an EMPTY store although office %s had %d events in %s (--accept-empty-store)",
            marker.office_id,
            marker.last_seq,
            where,
        )
        return
    raise EmptyStoreError(
        f"the event store is empty, but office {marker.office_id} had {marker.last_seq} events "
        f"(in {where}; {data_dir / MARKER}, written {marker.written_at}). Not starting a new office by accident: "
        "check [store] url, or restore the log (motcua events import BACKUP.jsonl); to start this office empty "
        "on purpose, run motcua server --accept-empty-store once."
    )


def write_marker(data_dir: Path, office_id: str, url: str, last_seq: int) -> None:
    """Write the marker atomically (a crash leaves the old one or the new one, never half a file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = Marker(office_id, store_fingerprint(url), last_seq, datetime.now(UTC).isoformat(timespec="seconds"))
    tmp = data_dir / f".{MARKER}.tmp"
    tmp.write_text(json.dumps(asdict(marker), indent=2) + "\n")
    os.replace(tmp, data_dir / MARKER)
