"""The province's per-office watermark (``OfficeSeqs.through``), kept in the province database.

A restarted ingest asks each office to resend only after its watermark instead of from the beginning. The
table has its own Alembic history (``province/migrations``, version table ``province_alembic_version``), so
the office store's migrations stay untouched and an office database never gets it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, select, text, update
from sqlalchemy.exc import DBAPIError

from queue_server.store.schema import ID_LENGTH, UTCDateTime

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "province_alembic_version"
HEAD_REVISION = "p0002"

metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})
cursors = Table(
    "province_cursors",
    metadata,
    Column("office_id", String(ID_LENGTH), primary_key=True),
    Column("through_seq", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)


def migrate(engine: Engine) -> None:
    """Create or upgrade the province's own tables (Alembic, one transaction); nothing to do at head."""
    try:
        with engine.connect() as conn:
            current = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one_or_none()
    except DBAPIError:
        current = None
    if current == HEAD_REVISION:
        return
    from alembic import command  # only when migrating, as in queue_server.store.db
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.info("province tables migrated to %s", HEAD_REVISION)


class CursorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            return {row.office_id: int(row.through_seq) for row in conn.execute(select(cursors))}

    def save(self, office_id: str, through_seq: int) -> None:
        """Record the watermark; only ever moves it forward."""
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(cursors)
                .where(cursors.c.office_id == office_id, cursors.c.through_seq < through_seq)
                .values(through_seq=through_seq, updated_at=now)
            ).rowcount
            if not changed:
                exists = conn.execute(select(cursors.c.office_id).where(cursors.c.office_id == office_id)).first()
                if exists is None:
                    conn.execute(cursors.insert().values(office_id=office_id, through_seq=through_seq, updated_at=now))
