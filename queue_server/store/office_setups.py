"""Each office's current setup read from an events table that holds several offices (the province database).

One query over the ``OfficeConfigured`` events only (``ix_events_type_at``), never a replay of a whole log: a
province holds millions of events, and its pages need only the offices' names, area classes, UTC offsets and
rating scales.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from queue_server.engine import events as ev
from queue_server.engine.codec import event_from_dict
from queue_server.engine.setup import OfficeSetup
from queue_server.store.schema import events as events_table


def office_setups(engine: Engine) -> dict[str, OfficeSetup]:
    """Each office's setup as its last ``OfficeConfigured`` event in the office's own order says (an older one
    resent by gap fill arrives later but is not the last), by office id (sorted)."""
    e = events_table
    query = select(e.c.office_id, e.c.origin_seq, e.c.seq, e.c.payload).where(e.c.type == ev.OfficeConfigured.__name__)
    last: dict[str, tuple[tuple[int, int], str]] = {}
    with engine.connect() as conn:
        for office_id, origin_seq, seq, payload in conn.execute(query):
            key = (-1 if origin_seq is None else int(origin_seq), int(seq))
            if office_id not in last or key > last[office_id][0]:
                last[office_id] = (key, payload)
    setups = []
    for _key, payload in last.values():
        event = event_from_dict(json.loads(payload))
        assert isinstance(event, ev.OfficeConfigured)
        setups.append(event.setup)
    return {s.office_id: s for s in sorted(setups, key=lambda s: s.office_id)}
