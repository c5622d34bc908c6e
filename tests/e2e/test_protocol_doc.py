"""docs/protocol.md's walkthrough, run as written: its ```sh blocks through bash, mosquitto_rr and mosquitto_sub,
against a real office (server process; real Mosquitto, and the embedded broker the demo uses).

Blocks marked ```sh title="setup" (starting an office, ``motcua device add``) are not run: the test provisions the
devices those blocks name and passes their passwords in the variables the blocks set. It then checks what the doc
promises: ticket A001, the same reply for a retry and one ticket in the store, the call naming that ticket, the
counter's retained state serving it, and replies shaped like the doc's examples. A doc with a wrong topic or
payload fails (see ``test_a_wrong_walkthrough_fails``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.mosquitto]

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
DEVICE_ADD = re.compile(
    r"(?P<var>[A-Z_]+)=\$\(\S*motcua device add (?P<id>\S+) --kind (?P<kind>\S+)(?: --counter (?P<counter>\S+))?"
)
SCRIPT_TIMEOUT = 120


def walkthrough(text: str) -> dict[str, list[str]]:
    """The fenced blocks of the ``## Walkthrough`` section: ``run`` (```sh), ``setup`` (```sh title="setup"),
    ``output`` (```text)."""
    _, found, section = text.partition("\n## Walkthrough\n")
    assert found, "docs/protocol.md has no '## Walkthrough' section"
    section = section.split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {"run": [], "setup": [], "output": []}
    for match in FENCE.finditer(section):
        info = match["info"].split()
        if info[:1] == ["sh"]:
            blocks["setup" if 'title="setup"' in match["info"] else "run"].append(match["body"])
        elif info[:1] == ["text"]:
            blocks["output"].append(match["body"])
    return blocks


def devices_of(setup_blocks: list[str]) -> dict[str, tuple[str, str, str | None]]:
    """Password variable -> (device id, kind, counter), from the setup's ``VAR=$(motcua device add ...)`` lines."""
    found = {m["var"]: (m["id"], m["kind"], m["counter"]) for block in setup_blocks for m in DEVICE_ADD.finditer(block)}
    assert found, "no 'VAR=$(motcua device add ...)' line in the walkthrough's setup blocks"
    return found


def messages(output: str) -> list[tuple[str, dict[str, Any]]]:
    """``mosquitto_sub -v`` lines ("topic payload") with a JSON object payload."""
    out = []
    for line in output.splitlines():
        topic, _, payload = line.partition(" ")
        if topic.startswith("motcua/") and payload.startswith("{"):
            out.append((topic, json.loads(payload)))
    return out


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and types, not values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return "null" if value is None else type(value).__name__


def run_walkthrough(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
    )


def check_transcript(done: subprocess.CompletedProcess[str], office_id: str, examples: list[str]) -> None:
    """What the walkthrough promises, checked on what its commands printed."""
    assert done.returncode == 0, f"walkthrough exited with {done.returncode}\n{done.stdout}\n{done.stderr}"
    root = f"motcua/v1/{office_id}"
    got = messages(done.stdout)
    kiosk = [m for t, m in got if t == f"{root}/dev/kiosk-09/res"]
    counter = {m["id"]: m for t, m in got if t == f"{root}/dev/counter-09/res"}
    states = [m for t, m in got if t == f"{root}/state/counters/quay-1"]
    strays = [t for t, _ in got if not t.startswith((f"{root}/dev/", f"{root}/state/counters/quay-1"))]
    assert not strays, f"messages the walkthrough's filters should have dropped: {strays}"

    # 1 and 2: a ticket A001, and the retry answered with the very same reply
    assert len(kiosk) == 2, f"expected the reply and the retry's reply, got {kiosk}"
    issued = kiosk[0]
    assert issued["ok"] is True and issued["id"] == "kiosk-09-0001", issued
    ticket = issued["result"]["ticket"]
    assert ticket["label"] == "A001" and ticket["service_id"] == "ho-tich", ticket
    assert kiosk[1] == issued, "a retry must get the original reply"

    # 3: call_next names that ticket; quay-1's state (live update, then the retained copy) shows it in service
    called = counter["counter-09-0001"]
    assert called["ok"] is True, called
    assert called["result"]["ticket"] == {"ticket_id": ticket["ticket_id"], "label": "A001"}, called
    assert called["result"]["counter_id"] == "quay-1"
    assert len(states) == 2, f"expected the update and the retained state, got {states}"
    for state in states:
        assert state["serving"]["ticket_id"] == ticket["ticket_id"] and state["serving"]["label"] == "A001", state

    # 5: finish
    finished = counter["counter-09-0002"]
    assert finished["ok"] is True and finished["result"]["events"] == ["ServiceFinished"], finished

    # the doc's example outputs have the shape (and the labels) of the real messages
    real = {(t, m.get("id")): m for t, m in got}
    shown = messages("\n".join(examples))
    assert len(shown) >= 4, "the walkthrough should show the replies and the state it promises"
    for topic, example in shown:
        actual = real.get((topic, example.get("id")))
        assert actual is not None, f"the doc shows a message the walkthrough never received: {topic} {example}"
        assert shape(example) == shape(actual), f"doc example\n{example}\ndiffers in shape from\n{actual}"
        assert json.dumps(example).count('"A001"') == json.dumps(actual).count('"A001"'), (example, actual)


def _office(
    tmp_path: Path, broker: str, mosquitto: MosquittoBroker, blocks: dict[str, list[str]]
) -> tuple[OfficeUnderTest, dict[str, str]]:
    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port, broker_kind=broker)
    devices = devices_of(blocks["setup"])
    assert {d: (k, c) for d, k, c in devices.values()} == {
        "kiosk-09": ("kiosk", None),
        "counter-09": ("counter", "quay-1"),
    }, "the walkthrough's setup should create kiosk-09 and counter-09 (quay-1)"
    passwords = office.provision({d: (k, c) for d, k, c in devices.values()})
    if broker == "mosquitto":
        mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    office.start_server()
    env = {"HOST": "127.0.0.1", "PORT": str(port), "OFFICE": office.office_id}
    env |= {var: passwords[device] for var, (device, _, _) in devices.items()}
    return office, env


@pytest.fixture
def clients() -> None:
    for tool in ("mosquitto_rr", "mosquitto_sub", "bash"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install mosquitto-clients)")


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_walkthrough_as_written(tmp_path: Path, mosquitto: MosquittoBroker, clients: None, broker: str) -> None:
    blocks = walkthrough(DOC.read_text(encoding="utf-8"))
    office, env = _office(tmp_path, broker, mosquitto, blocks)
    try:
        done = run_walkthrough("\n".join(blocks["run"]), env, tmp_path)
    finally:
        office.stop_server()
    check_transcript(done, office.office_id, blocks["output"])
    store = open_store(office.settings)
    try:
        issued = [s for s in store.events() if type(s.event).__name__ == "TicketIssued"]
    finally:
        store.close()
    assert len(issued) == 1, "the retry must not issue a second ticket"


def test_a_wrong_walkthrough_fails(tmp_path: Path, mosquitto: MosquittoBroker, clients: None) -> None:
    """The harness can fail: the same walkthrough with a service that does not exist is caught."""
    blocks = walkthrough(DOC.read_text(encoding="utf-8"))
    script = "\n".join(blocks["run"])
    assert '"service_id":"ho-tich"' in script
    office, env = _office(tmp_path, "mosquitto", mosquitto, blocks)
    try:
        done = run_walkthrough(script.replace('"service_id":"ho-tich"', '"service_id":"ho-tichx"'), env, tmp_path)
    finally:
        office.stop_server()
    with pytest.raises(AssertionError):
        check_transcript(done, office.office_id, blocks["output"])
