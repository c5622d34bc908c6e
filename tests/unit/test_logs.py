"""The key=value log: a value sent by a client cannot end its field early and forge another."""

from __future__ import annotations

import json
import logging
import re

import pytest

from queue_server.logs import KeyValueFormatter

FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def fields(line: str) -> list[tuple[str, str]]:
    """The line's key=value fields, as a log reader (or grep for ``level=ERROR``) would take them."""
    assert "\n" not in line and "\r" not in line
    found = FIELD.findall(line)
    assert " ".join(f"{k}={v}" for k, v in found) == line, "nothing outside a field"
    return found


@pytest.mark.parametrize(
    "sent",
    [
        'abc" level=ERROR logger=queue_server.engine msg="the office is on fire',
        "abc\nlevel=ERROR logger=forged msg=x",
        'a\\" level=ERROR',
        "abc\r\x1b[2Kcursor games\x00",
        "Nguyễn V. A. 'quoted' \"double\"",
    ],
)
def test_a_client_value_cannot_forge_a_field(sent: str) -> None:
    record = logging.LogRecord("queue_server.service", logging.WARNING, __file__, 1, "device=%s refused", (sent,), None)
    line = KeyValueFormatter(with_time=False).format(record)
    found = fields(line)
    assert [k for k, _ in found] == ["level", "logger", "msg"]
    assert found[0] == ("level", "WARNING") and found[1] == ("logger", "queue_server.service")
    assert json.loads(found[2][1]) == f"device={sent} refused", "the message reads back exactly"


def test_a_traceback_is_one_quoted_field_too() -> None:
    try:
        raise ValueError('bad "value"\nlevel=ERROR')
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = KeyValueFormatter(with_time=True).format(record)
    found = fields(line.split(" ", 1)[1])
    assert [k for k, _ in found] == ["level", "logger", "msg", "exc"]
    assert "ValueError" in json.loads(found[3][1])
