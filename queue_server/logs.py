"""Logging, configured once at each entry point: one ``key=value`` line per record, easy to grep and parse.

Under journald (``JOURNAL_STREAM`` set) timestamps are left to the journal.
"""

from __future__ import annotations

import logging
import os


class KeyValueFormatter(logging.Formatter):
    def __init__(self, with_time: bool) -> None:
        super().__init__()
        self.with_time = with_time

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().replace("\n", " | ")
        head = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} " if self.with_time else ""
        line = f'{head}level={record.levelname} logger={record.name} msg="{message}"'
        if record.exc_info:
            line += " | " + self.formatException(record.exc_info).replace("\n", " | ")
        return line


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter(with_time="JOURNAL_STREAM" not in os.environ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqtt", "transitions", "passlib", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
