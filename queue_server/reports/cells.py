"""Text that a spreadsheet must show, never run: a service, staff or office name that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be a live formula in Excel or LibreOffice (``=HYPERLINK(...)``,
``=cmd|...``, data sent to another site). Such text gets a leading apostrophe (OWASP's advice for CSV injection) in
the CSV and xlsx exports; real numbers, negative ones too, stay numbers."""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


def inert(text: str) -> str:
    """``text`` as a cell may hold it: prefixed with ``'`` when it would start a formula."""
    if text.startswith(TRIGGERS) and not NUMBER.match(text):
        return "'" + text
    return text
