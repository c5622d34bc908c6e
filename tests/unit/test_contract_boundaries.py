"""Who may import what, checked on the source (in the style of ``test_engine_purity.py``).

* ``queue_server/contract/`` is the device library: only itself, the standard library, paho and pydantic, so a
  kiosk or counter unit installs the contract and its drivers and nothing else of the server.
* ``kiosk/`` and ``firmware/`` speak to the office only through the contract: no other ``queue_server`` module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_DIR = ROOT / "queue_server" / "contract"
DEVICE_DIRS = (ROOT / "kiosk", ROOT / "firmware")
CONTRACT_MAY_IMPORT = frozenset({"paho", "pydantic", "pydantic_core", "typing_extensions"})

OFFICE_STATE_ALLOW_LIST: set[tuple[str, str]] = set()
"""Device modules allowed to import the server outside ``contract``: none since the devices take the office from
``state/office`` (issue 12). Kept as a named empty allow-list so a future exception must be written down here."""


def imported_modules(source: str) -> list[str]:
    """Every absolute module an ``import`` or ``from ... import`` names, at any depth (lazy imports too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def contract_problems(source: str) -> list[str]:
    problems = []
    for module in imported_modules(source):
        top = module.split(".")[0]
        if module == "queue_server.contract" or module.startswith("queue_server.contract."):
            continue
        if top in sys.stdlib_module_names or top in CONTRACT_MAY_IMPORT:
            continue
        problems.append(module)
    return problems


def device_problems(source: str) -> list[str]:
    return [
        module
        for module in imported_modules(source)
        if module.split(".")[0] == "queue_server"
        and module != "queue_server.contract"
        and not module.startswith("queue_server.contract.")
    ]


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


CONTRACT_MODULES = sorted(CONTRACT_DIR.rglob("*.py"))
DEVICE_MODULES = sorted(p for d in DEVICE_DIRS for p in d.rglob("*.py"))


def test_there_is_something_to_check() -> None:
    names = {p.name for p in CONTRACT_MODULES}
    assert {"device_link.py", "outbox.py", "mqtt_client.py", "link_config.py", "permissions.py"} <= names
    assert {"kiosk/app.py", "firmware/counter_unit.py"} <= {_relative(p) for p in DEVICE_MODULES}


@pytest.mark.parametrize("module", CONTRACT_MODULES, ids=_relative)
def test_the_contract_imports_only_itself_the_standard_library_paho_and_pydantic(module: Path) -> None:
    assert contract_problems(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module", DEVICE_MODULES, ids=_relative)
def test_devices_import_no_server_module_but_the_contract(module: Path) -> None:
    allowed = {imported for path, imported in OFFICE_STATE_ALLOW_LIST if path == _relative(module)}
    assert [m for m in device_problems(module.read_text(encoding="utf-8")) if m not in allowed] == []


def test_every_allowed_violation_is_still_there() -> None:
    """An allow-list line whose import is gone must be removed with it, or it would hide the next one."""
    for path, imported in sorted(OFFICE_STATE_ALLOW_LIST):
        assert imported in device_problems((ROOT / path).read_text(encoding="utf-8")), (path, imported)


@pytest.mark.parametrize(
    "source",
    [
        "from queue_server.engine import commands",
        "import queue_server.config",
        "from queue_server.mqtt.server_link import ServerLink",
        "def f():\n    from queue_server.app import OfficeServer",
        "import sqlalchemy",
        "from flask import Flask",
    ],
)
def test_the_contract_checker_catches_outside_imports(source: str) -> None:
    assert contract_problems(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "import json, threading, sqlite3",
        "import paho.mqtt.client as mqtt",
        "from pydantic import BaseModel",
        "from queue_server.contract import topics",
        "from queue_server.contract.messages import encode",
        "from . import topics",
    ],
)
def test_the_contract_checker_accepts_its_own_imports(source: str) -> None:
    assert contract_problems(source) == []


@pytest.mark.parametrize(
    "source",
    [
        "from queue_server.config import load_settings",
        "import queue_server.bench.percentile",
        "def f():\n    from queue_server.demo import demo_devices",
        "from queue_server import contract_extra",
    ],
)
def test_the_device_checker_catches_server_imports(source: str) -> None:
    assert device_problems(source) != []


@pytest.mark.parametrize(
    "source",
    ["from queue_server.contract import topics", "import queue_server.contract.device_link", "import hardware.printer"],
)
def test_the_device_checker_accepts_the_contract_and_hardware(source: str) -> None:
    assert device_problems(source) == []
