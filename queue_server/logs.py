"""Logging, configured once at each entry point: one ``key=value`` line per record, easy to grep and parse.

Under journald (``JOURNAL_STREAM`` set) timestamps are left to the journal.
"""

from __future__ import annotations

import json
import logging
import os


class KeyValueFormatter(logging.Formatter):
    """``level=… logger=… msg="…"``: the message (and a traceback, as ``exc="…"``) quoted and escaped.

    Messages carry what devices and web clients sent (ids, topics, reasons); quoting alone would let a value with
    a quote, a space or a newline end the field and forge another (``" level=ERROR logger=…``). JSON string
    escaping (``\\"``, ``\\\\``, ``\\n``, other control characters as ``\\uXXXX``) keeps every line one record with
    exactly these fields, still readable (Vietnamese is not escaped) and parsable.
    """

    def __init__(self, with_time: bool) -> None:
        super().__init__()
        self.with_time = with_time

    def format(self, record: logging.LogRecord) -> str:
        head = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} " if self.with_time else ""
        line = f"{head}level={record.levelname} logger={record.name} msg={quote(record.getMessage())}"
        if record.exc_info:
            line += f" exc={quote(self.formatException(record.exc_info))}"
        return line


def quote(value: str) -> str:
    """A double-quoted value that cannot end early: JSON's escaping, non-ASCII letters kept as they are."""
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter(with_time="JOURNAL_STREAM" not in os.environ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqtt", "transitions", "passlib", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
