"""Office → province, exactly once, with real processes: two Mosquittos bridged, PostgreSQL at the province.

The office side is the office server's own parts (``queue_server.province.rig``): its SQLite ``EventStore``, a
``motcua-server`` client publishing each committed event as the server does after a commit, and the
``EventReplayer``. The province side is ``ProvinceIngest`` on a real PostgreSQL database. Faults are real:
brokers stopped, killed, restarted.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from queue_server.config import ConfigError
from queue_server.contract import topics
from queue_server.province.config import load_province_settings
from queue_server.province.rig import TIMEOUT, OfficeRig, ProvinceRig, wait_until
from queue_server.store.jsonl import record_to_dict
from tests.fixtures.mosquitto import MosquittoBroker

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres]

OFFICES = ("q1", "q2")


@pytest.fixture
def world(tmp_path: Path, postgres_db_url: str, mosquitto: MosquittoBroker) -> Iterator[tuple[ProvinceRig, OfficeRig]]:
    """The province (broker + ingest on PostgreSQL) and office q1 bridged to it (``mosquitto``: skip if absent)."""
    province = ProvinceRig(tmp_path / "province", postgres_db_url, OFFICES)
    office = province.office("q1", tmp_path / "q1")
    try:
        yield province, office
    finally:
        province.ingest.stop()
        office.close()
        province.broker.stop()


def test_events_reach_the_province_once_and_in_order(world: tuple[ProvinceRig, OfficeRig]) -> None:
    province, office = world
    for _ in range(5):
        office.commit(10)
    got = province.wait_for(office)
    assert got == office.event_ids()  # each once, in the office's order


def test_province_broker_down_then_back_loses_nothing_and_doubles_nothing(world: tuple[ProvinceRig, OfficeRig]) -> None:
    province, office = world
    office.commit(10)
    province.wait_for(office)
    province.broker.stop()
    office.commit(20)  # queued by the office broker for its bridge
    province.broker.restart()
    got = province.wait_for(office)
    assert sorted(got) == sorted(office.event_ids())
    assert len(got) == 30


def test_office_broker_restart_loses_its_bridge_queue_and_the_gap_is_filled(
    world: tuple[ProvinceRig, OfficeRig], caplog: pytest.LogCaptureFixture
) -> None:
    province, office = world
    caplog.set_level(logging.INFO, logger="queue_server.province")
    office.commit(10)
    province.wait_for(office)
    province.broker.stop()
    lost = office.commit(10)  # in the office broker's memory only...
    office.broker.kill_and_restart()  # ...and gone with it
    wait_until(office.connected, "the office server's clients to reconnect")
    office.commit(5)
    province.broker.restart()
    got = province.wait_for(office)
    assert len(got) == 25 and set(got) == set(office.event_ids())
    assert {s.event_id for s in lost} <= set(got)
    assert "asking for" in caplog.text  # the province asked the office to resend


def test_malformed_or_foreign_events_are_refused_and_logged(
    world: tuple[ProvinceRig, OfficeRig], caplog: pytest.LogCaptureFixture
) -> None:
    province, office = world
    caplog.set_level(logging.WARNING, logger="queue_server.province")
    foreign = record_to_dict(office.commit(1, publish=False)[0]) | {"office_id": "q2", "event_id": "f" * 36}
    wrong_schema = record_to_dict(office.commit(1, publish=False)[0]) | {"schema": 2, "event_id": "e" * 36}
    # A NUL in an id (PostgreSQL text cannot hold one) is refused as malformed; the others still arrive.
    poison = record_to_dict(office.commit(1, publish=False)[0]) | {"event_id": "d" * 36, "device_id": "kiosk\u0000"}
    fine = record_to_dict(office.commit(1, publish=False)[0])
    office.publish([b"not json {", json.dumps(foreign).encode(), json.dumps(wrong_schema).encode()])
    office.publish([json.dumps(poison).encode(), json.dumps(fine).encode()])
    good = office.commit(1)[0]
    wait_until(lambda: good.event_id in province.event_ids("q1"), "the good event")
    assert province.event_ids("q2") == []
    assert foreign["event_id"] not in province.event_ids("q1")
    assert wrong_schema["event_id"] not in province.event_ids("q1")
    assert "refused a malformed event" in caplog.text
    assert "unsupported schema 2" in caplog.text
    assert "belongs to office 'q2'" in caplog.text
    assert poison["event_id"] not in province.event_ids("q1") and fine["event_id"] in province.event_ids("q1")
    assert "control characters" in caplog.text


def test_an_office_bridge_account_cannot_publish_another_office_events(world: tuple[ProvinceRig, OfficeRig]) -> None:
    province, office = world
    record = record_to_dict(office.commit(1, publish=False)[0]) | {"office_id": "q2"}
    intruder = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder-q1")
    intruder.username_pw_set("q1", province.bridge_passwords["q1"])
    intruder.connect(province.broker.host, province.broker.port)
    intruder.loop_start()
    try:
        for topic in (topics.event_stream("q2"), topics.resend_request("q2")):
            intruder.publish(topic, json.dumps(record).encode(), qos=1).wait_for_publish(TIMEOUT)
        # Denied publishes are acknowledged silently: one allowed message on the same connection comes after them.
        allowed = office.commit(1, publish=False)[0]
        intruder.publish(topics.event_stream("q1"), json.dumps(record_to_dict(allowed)).encode(), qos=1)
        wait_until(lambda: allowed.event_id in province.event_ids("q1"), "the allowed event")
    finally:
        intruder.disconnect()
        intruder.loop_stop()
    assert province.event_ids("q2") == []


def test_an_office_bridge_account_cannot_take_the_ingests_connection(
    world: tuple[ProvinceRig, OfficeRig], caplog: pytest.LogCaptureFixture
) -> None:
    """The client id is the username on the province broker: naming the ingest's id takes nothing over."""
    province, office = world
    for client_id in ("motcua-province-ingest", "motcua-province", "q1"):
        intruder = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        intruder.username_pw_set("q2", province.bridge_passwords["q2"])
        intruder.connect(province.broker.host, province.broker.port)
        intruder.loop_start()
        try:
            wait_until(intruder.is_connected, f"the intruder as {client_id}")
        finally:
            intruder.disconnect()
            intruder.loop_stop()
    after = office.commit(1)[0]
    wait_until(lambda: after.event_id in province.event_ids("q1"), "an event after the attempts")
    assert "province ingest lost the broker" not in caplog.text
    assert office.connected()


def test_lost_last_events_are_asked_for_when_the_bridge_comes_back(world: tuple[ProvinceRig, OfficeRig]) -> None:
    """No later event reveals this gap: the bridge's "up" notification makes the province ask anyway."""
    province, office = world
    office.commit(5)
    province.wait_for(office)
    province.broker.stop()
    office.commit(5)
    office.broker.kill_and_restart()
    province.broker.restart()
    got = province.wait_for(office)
    assert len(got) == 10 and set(got) == set(office.event_ids())


def test_ingest_restart_keeps_its_watermark_and_gets_what_was_queued(world: tuple[ProvinceRig, OfficeRig]) -> None:
    province, office = world
    office.commit(5)
    province.wait_for(office)
    province.ingest.stop()
    office.commit(5)  # queued by the province broker for the ingest's persistent session
    province.ingest = province.start_ingest()
    assert province.ingest.through("q1") == 5  # loaded from the province database
    got = province.wait_for(office)
    assert got == office.event_ids()


def test_province_main_runs_the_ingest_as_a_process(world: tuple[ProvinceRig, OfficeRig], tmp_path: Path) -> None:
    """``province_main`` (what ``motcua province`` runs) from its TOML file, stopped by SIGTERM like systemd."""
    province, office = world
    province.ingest.stop()  # the process takes over the same persistent session
    settings = tmp_path / "province.toml"
    settings.write_text(
        f'offices = ["q1", "q2"]\n[broker]\nport = {province.broker.port}\npassword = "{province.ingest_password}"\n'
        f'[store]\nurl = "{province.db_url}"\n[ingest]\nheartbeat_seconds = 60\n'
    )
    code = (
        "import sys; from pathlib import Path; from queue_server.province.main import province_main; "
        f"sys.exit(province_main(Path({str(settings)!r})))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        office.commit(3)
        wait_until(lambda: set(province.event_ids("q1")) == set(office.event_ids()), "3 events via the process")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    assert "province ingest connected" in stderr


def test_province_settings_errors_are_clear(tmp_path: Path) -> None:
    settings = tmp_path / "province.toml"
    settings.write_text('offices = ["Q 1"]\n[broker]\npassword = "x"\nprot = 1\n')
    with pytest.raises(ConfigError, match=r"broker\.prot"):
        load_province_settings(settings)
    settings.write_text('offices = ["Q 1"]\n[broker]\npassword = "x"\n')
    with pytest.raises(ConfigError, match="invalid office ids"):
        load_province_settings(settings)


def test_province_database_outage_loses_nothing(
    world: tuple[ProvinceRig, OfficeRig], postgres_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """While the database refuses connections the ingest retries and acknowledges nothing; then all arrive."""
    province, office = world
    office.commit(3)
    province.wait_for(office)
    database = province.db_url.rsplit("/", 1)[1]
    postgres_server.admin(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
    postgres_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
    try:
        office.commit(5)
        wait_until(lambda: "events failed; retrying" in caplog.text, "the import to fail")
    finally:
        postgres_server.admin(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
    got = province.wait_for(office)
    assert got == office.event_ids()


def _resend_requests(office: OfficeRig) -> tuple[mqtt.Client, list[float]]:
    """A client on the office broker (the monitor account) noting when each resend request arrives there."""
    seen: list[float] = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"resend-counter-{office.office_id}")
    listener.username_pw_set(topics.MONITOR_USERNAME, office.monitor_password)
    listener.on_message = lambda _c, _u, _m: seen.append(time.monotonic())
    listener.connect(office.broker.host, office.broker.port)
    listener.subscribe(topics.resend_request(office.office_id), qos=1)
    listener.loop_start()
    wait_until(listener.is_connected, "the resend counter to connect")
    return listener, seen


def test_a_forged_future_seq_is_not_chased(
    world: tuple[ProvinceRig, OfficeRig], caplog: pytest.LogCaptureFixture
) -> None:
    """An event replayed onto the office's topic with a made-up seq: at most one request per resend_timeout
    (here 1 s), the seq is logged as one the office does not have, and the province stops asking for it."""
    province, office = world
    caplog.set_level(logging.INFO, logger="queue_server.province")
    real = office.commit(5)
    province.wait_for(office)
    listener, seen = _resend_requests(office)
    try:
        forged = record_to_dict(real[2]) | {"seq": 999_999}
        started = time.monotonic()
        office.publish([json.dumps(forged).encode()])
        wait_until(lambda: "seqs the office does not have" in caplog.text, "the forged seq to be disowned")
        office.commit(3)  # traffic goes on; its events close nothing the forged seq opened
        province.wait_for(office)
        window = 4.0
        wait_until(lambda: time.monotonic() - started >= window, "the counting window", timeout=window + 1)
        asked = len([t for t in seen if t - started <= window])
    finally:
        listener.disconnect()
        listener.loop_stop()
    # Before: a new request as soon as each report came back (~23 a second, for ever).
    assert 1 <= asked <= window / province.options.resend_timeout + 1
    assert caplog.text.count("seqs the office does not have") == 1
    assert province.ingest.through("q1") == 8 and len(province.event_ids("q1")) == 8


def test_a_resend_asked_before_the_office_replayer_is_back_is_asked_again(world: tuple[ProvinceRig, OfficeRig]) -> None:
    """The bridge comes back while the office server's replayer is still away: the request reaches the office
    broker with nobody to read it. The province repeats it until a replay report comes, so the lost events
    arrive seconds after the replayer is back, not at the next heartbeat (60 s here)."""
    province, office = world
    office.commit(5)
    province.wait_for(office)
    office.replayer.stop()
    province.broker.stop()
    office.commit(5)  # queued for the bridge by the office broker...
    office.broker.kill_and_restart()  # ...and lost with it
    wait_until(office.publisher.is_connected, "the office's publisher to reconnect")
    listener, seen = _resend_requests(office)
    try:
        province.broker.restart()
        wait_until(lambda: len(seen) >= 1, "the bridge-up request to reach the office broker")
        office.replayer = office.start_replayer()
        got = province.wait_for(office, timeout=10)
    finally:
        listener.disconnect()
        listener.loop_stop()
    assert len(got) == 10 and set(got) == set(office.event_ids())
