"""The engine is pure: standard library only, no I/O, no clock, no randomness (``now`` and ids come in)."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import queue_server.engine
from queue_server.engine.decide import decide

ENGINE_DIR = Path(queue_server.engine.__file__).parent
MODULES = sorted(ENGINE_DIR.glob("*.py"))

IO_MODULES = frozenset(
    {
        "asyncio",
        "concurrent",
        "ctypes",
        "glob",
        "http",
        "io",
        "logging",
        "mmap",
        "multiprocessing",
        "os",
        "pathlib",
        "random",
        "secrets",
        "select",
        "selectors",
        "shelve",
        "shutil",
        "signal",
        "socket",
        "socketserver",
        "sqlite3",
        "ssl",
        "subprocess",
        "sys",
        "tempfile",
        "threading",
        "time",
        "urllib",
        "uuid",
        "zoneinfo",  # reads tz files: the engine uses a fixed UTC offset
    }
)
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})
"""``datetime.now()``, ``datetime.utcnow()``, ``date.today()``: whatever object they are called on."""
IMPURE_NAMES = frozenset(
    {"open", "print", "input", "exec", "eval", "uuid1", "uuid4", "time", "monotonic", "perf_counter"}
)
"""Called by bare name (``from time import time``) or as ``module.name`` (``time.time()``, ``uuid.uuid4()``)."""


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [problem for alias in node.names if (problem := _module_problem(alias.name))]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            problem = _module_problem(node.module)
            if problem:
                found.append(problem)
            elif node.module == "datetime" and any(a.name in CLOCK_METHODS for a in node.names):
                found.append("imports a clock from datetime")
        elif isinstance(node, ast.Call):
            problem = _call_problem(node.func)
            if problem:
                found.append(f"line {node.lineno}: {problem}")
    return found


def _module_problem(module: str) -> str | None:
    top = module.split(".")[0]
    if top == "queue_server":
        return None if module.startswith("queue_server.engine") else f"imports {module} (outside the engine)"
    if top not in sys.stdlib_module_names:
        return f"imports {module} (not standard library)"
    if top in IO_MODULES:
        return f"imports {module} (I/O, clock or randomness)"
    return None


def _call_problem(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name) and func.id in IMPURE_NAMES:
        return f"calls {func.id}()"
    if isinstance(func, ast.Attribute):
        if func.attr in CLOCK_METHODS:
            return f"calls .{func.attr}()"
        if func.attr in IMPURE_NAMES and isinstance(func.value, ast.Name) and func.value.id in {"time", "uuid"}:
            return f"calls {func.value.id}.{func.attr}()"
    return None


def test_engine_has_modules() -> None:
    names = {m.name for m in MODULES}
    assert {"decide.py", "state.py", "events.py", "commands.py", "codec.py"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_engine_module_is_pure(module: Path) -> None:
    assert violations(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "import os.path",
        "import socket",
        "from io import StringIO",
        "import time",
        "from random import choice",
        "import threading",
        "import asyncio",
        "import sqlite3",
        "import subprocess",
        "from pathlib import Path",
        "import logging",
        "from urllib.request import urlopen",
        "import http.client",
        "import zoneinfo",
        "import uuid",
        "import pydantic",
        "from sqlalchemy import select",
        "from queue_server.store import db",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.now(datetime.UTC)",
        "from datetime import date\nx = date.today()",
        "from datetime import datetime\nx = datetime.utcnow()",
        "x = time.time()",
        "x = uuid.uuid4()",
        "x = uuid4()",
        "x = open('events.jsonl')",
        "print('debug')",
    ],
)
def test_checker_catches_impure_code(source: str) -> None:
    assert violations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "from datetime import UTC, date, datetime, timedelta\nx = datetime(2025, 1, 1, tzinfo=UTC).date()",
        "import dataclasses, enum, typing, types, functools, collections.abc",
        "from queue_server.engine import events as ev",
        "from queue_server.engine.setup import OfficeSetup",
        "x = moment.time()",  # datetime.time() of a value, not the clock
    ],
)
def test_checker_accepts_pure_code(source: str) -> None:
    assert violations(source) == []


def test_decide_takes_the_clock_and_ids_as_arguments() -> None:
    assert list(inspect.signature(decide).parameters) == ["state", "command", "now", "new_id"]
