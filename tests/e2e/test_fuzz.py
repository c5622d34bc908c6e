"""10,000 generated malformed requests through real Mosquitto: the server answers each with an error, keeps
running, stores nothing for them, and still serves the next good request."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.contract import topics
from queue_server.contract.messages import ContractError, parse_request
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.mosquitto]
COUNT = 10_000
GOOD = {"v": 1, "id": "fuzz-00000000", "type": "issue_ticket", "body": {"service_id": "ho-tich"}}


def _mutations(rng: random.Random) -> bytes:
    kind = rng.randrange(12)
    good = dict(GOOD, id=f"fuzz-{rng.randrange(10**8):08d}")
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 300))
    if kind == 1:
        text = json.dumps(good)
        return text[: rng.randrange(1, len(text) - 1)].encode()
    if kind == 2:
        return json.dumps(rng.choice([None, 1, "x", [], [good], True, 3.5])).encode()
    if kind == 3:
        return json.dumps(dict(good, v=rng.choice([0, 2, "1", None, 1.5, -1]))).encode()
    if kind == 4:
        return json.dumps(dict(good, type=rng.choice(["", "issue", "DROP TABLE", "call_next ", "x" * 200]))).encode()
    if kind == 5:
        return json.dumps(dict(good, body={"service_id": rng.choice([1, None, [], {}, "x" * 500])})).encode()
    if kind == 6:
        return json.dumps(dict(good, body={"service_id": "ho-tich", rng.choice("abcxyz"): 1})).encode()
    if kind == 7:
        return json.dumps(dict(good, id=rng.choice(["", "short", "a" * 65, 42, None, "bad id with spaces"]))).encode()
    if kind == 8:
        return b"{" + b'"pad":"' + b"x" * rng.randrange(5000, 60000) + b'"}'
    if kind == 9:
        return json.dumps({k: v for k, v in good.items() if k != rng.choice(["v", "id", "type"])}).encode()
    if kind == 10:
        return ("[" * rng.randrange(50, 3000)).encode()
    return b"\xff\xfe" + json.dumps(good).encode()[2:]


def malformed(count: int, seed: int = 20261123) -> list[bytes]:
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < count:
        payload = _mutations(rng)
        try:
            parse_request(payload, 4096)
        except ContractError:
            out.append(payload)
    return out


def test_ten_thousand_malformed_messages(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port)
    passwords = office.provision({"kiosk-1": ("kiosk", None)})
    mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    office.start_server()
    replies: list[dict[str, Any]] = []
    lock = threading.Lock()
    all_in = threading.Event()
    subscribed = threading.Event()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with lock:
            replies.append(json.loads(message.payload))
            if len(replies) >= COUNT + 1:
                all_in.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fuzzer")
    client.username_pw_set("kiosk-1", passwords["kiosk-1"])
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.subscribe(topics.reply(office.office_id, "kiosk-1"), qos=1)
    client.loop_start()
    try:
        assert subscribed.wait(10)
        topic = topics.request(office.office_id, "kiosk-1")
        for payload in malformed(COUNT):
            client.publish(topic, payload, qos=1)
        client.publish(topic, json.dumps(GOOD).encode(), qos=1)
        all_in.wait(120)
        assert office.process is not None and office.process.poll() is None, "server died"
    finally:
        client.loop_stop()
        client.disconnect()
        office.stop_server()
    errors = [r for r in replies if r.get("ok") is False]
    good = [r for r in replies if r.get("ok") is True]
    assert len(errors) == COUNT, f"{len(errors)} error replies for {COUNT} malformed messages"
    assert {r["error"]["code"] for r in errors} >= {"malformed", "too_large", "schema_version", "invalid_request"}
    assert len(good) == 1 and good[0]["result"]["ticket"]["label"] == "A001"
    log = office.log_path.read_text(errors="replace")
    refusals = [line for line in log.splitlines() if "device=kiosk-1 code=" in line]
    assert 4 <= len(refusals) <= 12, refusals  # one line per kind of refusal a minute, never one per message
    store = open_store(office.settings)
    try:
        types = [type(s.event).__name__ for s in store.events()]
    finally:
        store.close()
    assert types.count("TicketIssued") == 1
