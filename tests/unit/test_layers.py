"""Layers that import the right way: the drivers in ``hardware/`` know nothing of the devices that use them (the
kiosk, the counter unit, the hall board) nor of the server; the server's reports and the languages do not reach
into the web pages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, lazily inside functions and under ``TYPE_CHECKING`` included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / folder).rglob("*.py")
        for module in imported(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    )


def test_hardware_imports_no_device_and_no_server_module() -> None:
    """The contract is the device library (its error base included); nothing else of the server."""
    found = offenders("hardware", ("firmware", "kiosk", "queue_server"))
    assert [f for f in found if not f.split(": ")[1].startswith("queue_server.contract")] == []


def test_reports_do_not_import_the_web_pages() -> None:
    assert offenders("queue_server/reports", ("queue_server.web",)) == []


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from firmware.display.counter_model import CounterView\n", encoding="utf-8")
    assert imported(module) == {"firmware.display.counter_model"}
