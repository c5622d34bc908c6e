"""``motcua province``: run the province ingest until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from queue_server import logs
from queue_server.province.config import ProvinceSettings, load_province_settings
from queue_server.province.ingest import IngestOptions, ProvinceIngest

logger = logging.getLogger(__name__)
PROVINCE_FILE = Path("/etc/motcua/province.toml")


def make_ingest(settings: ProvinceSettings) -> ProvinceIngest:
    options = IngestOptions(
        offices=frozenset(settings.offices),
        resend_timeout=settings.ingest.resend_timeout_seconds,
        heartbeat=settings.ingest.heartbeat_seconds,
        client_id=settings.broker.client_id,
        max_batch=settings.ingest.max_batch,
    )
    return ProvinceIngest(
        settings.store.url.get_secret_value(),
        host=settings.broker.host,
        port=settings.broker.port,
        password=settings.broker.password.get_secret_value(),
        options=options,
    )


def province_main(settings_path: Path | None = None) -> int:
    """Load the settings (default /etc/motcua/province.toml), run the ingest until a stop signal; exit status.

    Raises ``ConfigError`` for a missing or invalid file (``motcua``'s main prints it and exits with 2).
    """
    settings = load_province_settings(settings_path or PROVINCE_FILE)
    logs.configure(settings.ingest.log_level)
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: stopping", signum)
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    ingest = make_ingest(settings).start()
    logger.info("province ingest running for %d offices", len(settings.offices))
    try:
        done.wait()
    finally:
        ingest.stop()
    return 0
