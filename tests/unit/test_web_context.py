"""The web views reach their dependencies through ``queue_server.web.context`` only: no view loads the settings
file or looks a dependency up in ``app.config`` at request time (the app is built with all of them)."""

from __future__ import annotations

import ast
from pathlib import Path

import queue_server.web

WEB = Path(queue_server.web.__file__).parent
LOOKUPS = {"MOTCUA_SETTINGS", "CATALOGUE_DIR"}


def _modules() -> list[Path]:
    return sorted(p for p in WEB.glob("*.py") if p.name != "__init__.py")


def test_no_view_loads_the_settings() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name | ast.Attribute) and "load_settings" in {
                getattr(node, "id", None),
                getattr(node, "attr", None),
            }:
                offenders.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.alias) and node.name == "load_settings":
                offenders.append(f"{path.name}: imports load_settings")
    assert offenders == []


def test_no_view_looks_a_dependency_up_in_the_flask_config() -> None:
    found = [
        f"{path.name}:{node.lineno}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in LOOKUPS
    ]
    assert found == []


def test_the_check_sees_a_lookup() -> None:
    tree = ast.parse('settings = current_app.config.get("MOTCUA_SETTINGS")')
    assert any(isinstance(n, ast.Constant) and n.value in LOOKUPS for n in ast.walk(tree))


def test_no_view_writes_sql() -> None:
    """Queries live in ``queue_server.store`` (repositories); the views call them."""
    queries = {"select", "insert", "update", "delete", "text"}
    found = [
        f"{path.name}: {alias.name}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in queries
    ]
    assert found == []
