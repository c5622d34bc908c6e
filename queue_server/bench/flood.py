"""``make bench`` row: an honest device's issue round trip while one kiosk floods the server (issue 10).

The attacker publishes ``flood`` ticket requests as fast as paho sends them, with a kiosk's credentials; a console
device (whose budget allows a steady stream) issues a ticket every 100 ms meanwhile. The office runs with its
default ``[limits]``, so the flood is refused on the server's MQTT thread and the honest requests should wait
no longer than without it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import MosquittoProcess, free_port
from queue_server.contract import topics


def flood_round_trips(base: Path, flood: int, honest: int, embedded: bool = False) -> tuple[list[float], int]:
    """(honest round trips in ms, None-free; server RSS growth in KiB) under a flood of ``flood`` requests."""
    port = free_port()
    office = OfficeUnderTest(base, port=port, broker_kind="embedded" if embedded else "mosquitto", limits="")
    office.provision({"kiosk-a": ("kiosk", None), "console-1": ("console", None)})
    broker = None
    if not embedded:
        broker = MosquittoProcess(base / "mosquitto")
        broker.start_on(port, office.accounts(), office_id=office.office_id)
    attacker = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{office.office_id}-kiosk-a")
    try:
        office.start_server()
        rss = office.server_rss_kib()
        attacker.username_pw_set("kiosk-a", office.passwords["kiosk-a"])
        attacker.max_inflight_messages_set(1000)
        attacker.connect("127.0.0.1", port)
        attacker.loop_start()
        topic = topics.request(office.office_id, "kiosk-a")

        def send() -> None:
            for i in range(flood):
                body = {"v": 1, "id": f"flood-{i:08d}", "type": "issue_ticket", "body": {"service_id": "ho-tich"}}
                attacker.publish(topic, json.dumps(body).encode(), qos=1)

        flooder = threading.Thread(target=send, daemon=True)
        latencies: list[float] = []
        with office.link("console-1") as link:
            link.wait_connected(10)
            flooder.start()
            for _ in range(honest):
                t0 = time.perf_counter()
                reply = link.request("issue_ticket", {"service_id": "dat-dai"}, timeout=8, ttl=8)
                latencies.append((time.perf_counter() - t0) * 1000 if reply is not None else 8000.0)
                time.sleep(0.1)
            flooder.join(60)
        return latencies, office.server_rss_kib() - rss
    finally:
        attacker.loop_stop()
        attacker.disconnect()
        office.stop_server()
        if broker is not None:
            broker.stop()
