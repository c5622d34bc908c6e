"""``python -m queue_server.store.migrate``: upgrade the database named by ``MOTCUA_MIGRATE_URL`` to head.

Run by ``EventStore.migrate(in_subprocess=True)`` so the server process never imports Alembic.
"""

from __future__ import annotations

import os
import sys

from queue_server.store import db

if __name__ == "__main__":
    engine = db.make_engine(os.environ["MOTCUA_MIGRATE_URL"])
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    sys.exit(0)
