"""The permissions table (``contract/permissions.py``) against what derives from it and what documents it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from queue_server.cli import build_parser
from queue_server.contract import messages as msg
from queue_server.contract.permissions import (
    BOUND_TO_A_COUNTER,
    MAY_SEND,
    REQUEST_TYPES,
    DeviceKind,
    may_send,
    senders_of,
)
from queue_server.engine.setup import Outcome as EngineOutcome
from queue_server.store.schema import devices

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table under ``heading``, header and separator dropped."""
    _, found, section = text.partition(f"\n{heading}\n")
    assert found, f"docs/protocol.md has no {heading!r}"
    lines = [line for line in section.split("\n\n#", 1)[0].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def names(cell: str) -> set[str]:
    return set(re.findall(r"[a-z_]+", cell))


def test_the_docs_list_every_kind_once() -> None:
    kinds = [row[0].strip("`") for row in table_rows(DOC.read_text(encoding="utf-8"), "### Device kinds")]
    assert kinds == [kind.value for kind in DeviceKind]


def test_the_docs_sent_by_column_is_the_table() -> None:
    rows = table_rows(DOC.read_text(encoding="utf-8"), "### Request types")
    documented = {row[0].strip("`"): names(row[1]) for row in rows}
    assert documented == {t: {kind.value for kind in senders_of(t)} for t in REQUEST_TYPES}


def test_the_docs_checker_sees_a_wrong_sender() -> None:
    rows = table_rows(
        "\n### Request types\n\n| `type` | Sent by |\n|---|---|\n| `skip` | kiosk |\n", "### Request types"
    )
    assert {row[0].strip("`"): names(row[1]) for row in rows} != {"skip": {"counter", "console"}}


def test_every_kind_has_a_row_and_every_type_a_body() -> None:
    assert set(MAY_SEND) == set(DeviceKind)
    assert set(msg.REQUEST_BODIES) == set(REQUEST_TYPES)
    assert all(types <= set(REQUEST_TYPES) for types in MAY_SEND.values())


@pytest.mark.parametrize(
    ("kind", "request_type", "allowed"),
    [
        ("kiosk", "issue_ticket", True),
        ("kiosk", "call_next", False),
        ("counter", "call_next", True),
        ("counter", "issue_ticket", False),
        ("display", "issue_ticket", False),
        ("console", "sign_out", True),
        ("other", "issue_ticket", False),
        ("printer", "issue_ticket", False),
    ],
)
def test_may_send(kind: str, request_type: str, allowed: bool) -> None:
    assert may_send(kind, request_type) is allowed


@pytest.mark.parametrize("kind", [k.value for k in DeviceKind])
def test_the_cli_takes_every_kind(kind: str) -> None:
    assert build_parser().parse_args(["device", "add", "dev-1", "--kind", kind]).kind == kind


def test_the_cli_refuses_a_kind_not_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["device", "add", "dev-1", "--kind", "printer"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_registry_accepts_exactly_the_kinds() -> None:
    check = next(c for c in devices.constraints if getattr(c, "name", None) in {"kind", "ck_devices_kind"})
    assert names(str(check.sqltext)) - {"kind", "in"} == {k.value for k in DeviceKind}


def test_only_a_counter_unit_is_bound_to_a_counter() -> None:
    assert {DeviceKind.COUNTER} == BOUND_TO_A_COUNTER


def test_the_contract_outcomes_are_the_engines() -> None:
    assert [o.value for o in msg.Outcome] == [o.value for o in EngineOutcome]
