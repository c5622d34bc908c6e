"""How the long-running servers (``motcua run``, ``motcua province``) learn to stop: SIGTERM (systemd) or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType


def stop_on_signals(logger: logging.Logger) -> threading.Event:
    """An event set by the first SIGTERM or SIGINT, logged on ``logger``; the caller waits on it, then shuts down
    in its own order. Installs the handlers, so call it from the main thread, before starting anything."""
    done = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: stopping", signum)
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return done
