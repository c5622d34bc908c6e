"""``make demo``: the whole office on the embedded defaults (amqtt in-process, SQLite), with simulated devices.

A simulated kiosk issues tickets, simulated counter units call, finish and rate them, at the pace of the sample
day profile time-compressed (``queue_server.simulate.demo_pace``: the queue stays an office's, never a flood),
and a simulated hall display prints what a waiting citizen would see. Devices and web users (a manager, one
staff member per counter) are provisioned on first run; their passwords are kept in the demo's data folder and
printed at start (a demo convenience: a real office uses ``motcua device add`` and ``motcua web create-admin`` /
``add-user``).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

from queue_server import logs
from queue_server.app import OfficeServer, open_store
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.config import Settings, load_settings
from queue_server.contract.device_link import DeviceLink
from queue_server.simulate.demo_pace import DemoPace
from queue_server.store.devices import DeviceRegistry

logger = logging.getLogger("motcua.demo")
OUTCOMES = ["dossier_received", "dossier_received", "result_returned", "guidance_only"]
RATINGS = ["very_satisfied", "satisfied", "satisfied", "very_satisfied", "dissatisfied"]
SIMULATED_COUNTER_UNITS = 2
DEMO_OUTPUT = Path("var/demo")
"""Screenshots of the counter screens and hall board, LED-board bytes and one WAV per call."""


def demo_devices(settings: Settings) -> dict[str, dict[str, Any]]:
    """kiosk-01 and one counter unit per counter, created once; returns id -> {password, kind, counter}."""
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.server.data_dir / "demo-devices.json"
    known: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    wanted: dict[str, tuple[str, str | None]] = {"kiosk-01": ("kiosk", None), "board-01": ("display", None)}
    wanted |= {f"counter-{c.number}": ("counter", c.id) for c in settings.counters}
    store = open_store(settings)
    try:
        registry = DeviceRegistry(store)
        for device_id, (kind, counter) in wanted.items():
            if device_id in known and registry.get(device_id) is not None:
                continue
            password = new_password()
            if registry.get(device_id) is None:
                registry.add(device_id, kind, hash_password(password), counter)
            else:
                registry.set_password_hash(device_id, hash_password(password))
            known[device_id] = {"password": password, "kind": kind, "counter": counter}
    finally:
        store.close()
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return known


def demo_users(settings: Settings) -> dict[str, dict[str, Any]]:
    """A manager and one staff member per counter, created once; returns username -> {password, role, counter}."""
    from queue_server.store.web_users import Role, create_user, get_user, set_password

    path = settings.server.data_dir / "demo-users.json"
    known: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    staff = [s.id for s in settings.staff]
    wanted: dict[str, tuple[Role, str | None, str | None]] = {"quanly": (Role.MANAGER, None, None)}
    for i, counter in enumerate(settings.counters):
        wanted[f"quay{counter.number}"] = (Role.STAFF, counter.id, staff[i] if i < len(staff) else None)
    store = open_store(settings)
    try:
        for username, (role, counter_id, staff_id) in wanted.items():
            exists = get_user(store.engine, username) is not None
            if username in known and exists:
                continue
            password = new_password()
            if exists:
                set_password(store.engine, username, password)
            else:
                create_user(
                    store.engine,
                    username,
                    password,
                    role,
                    office_id=settings.office.id,
                    counter_id=counter_id,
                    staff_id=staff_id,
                )
            known[username] = {"password": password, "role": role.value, "counter": counter_id}
    finally:
        store.close()
    path.write_text(json.dumps(known, indent=2))
    path.chmod(0o600)
    return known


def _link(settings: Settings, device_id: str, password: str, **kwargs: Any) -> DeviceLink:
    return DeviceLink(
        office_id=settings.office.id,
        device_id=device_id,
        password=password,
        host=settings.broker.host,
        port=settings.broker.port,
        outbox_path=settings.server.data_dir / f"outbox-{device_id}.db",
        **kwargs,
    ).start()


def device_rng(seed: int | None, device_id: str) -> random.Random:
    """The random draws of one simulated device: its own generator, so a seeded run repeats each device's script
    whatever the threads' interleaving (unseeded: different every run)."""
    return random.Random(None if seed is None else f"{seed}:{device_id}")


def device_pace(settings: Settings, rng: random.Random) -> DemoPace:
    """One device's view of the demo's pace (``simulate.demo_pace``), drawing from the device's own generator."""
    return DemoPace([s.id for s in settings.services], rng=rng, prefixes={s.prefix: s.id for s in settings.services})


def next_ticket(rng: random.Random, services: list[str]) -> tuple[float, str, str | None]:
    """The simulated kiosk's first ticket from a fresh pace drawing from ``rng``: the pause before it, its service
    and its priority category (a seeded run repeats it)."""
    return DemoPace(services, rng=rng).next_ticket(0.0)


def _kiosk(settings: Settings, link: DeviceLink, stop: threading.Event, pace: DemoPace) -> None:
    """Citizens at the sample profile's pace (``simulate.demo_pace``): a believable office, not a flood."""
    names = {s.id: s.name_vi for s in settings.services}
    started = time.monotonic()
    while True:
        delay, service, priority = pace.next_ticket(time.monotonic() - started)
        if stop.wait(delay):
            return
        reply = link.request("issue_ticket", {"service_id": service, "priority": priority}, timeout=5)
        if reply and reply["ok"]:
            t = reply["result"]["ticket"]
            tag = " (ưu tiên)" if priority else ""
            logger.info(
                "Ki-ốt: phát số %s%s – %s, %d người đang chờ trước",
                t["label"],
                tag,
                names[service],
                t["people_ahead"],
            )
        elif reply:
            logger.warning("Ki-ốt: lỗi %s", reply["error"])


def _counter(link: DeviceLink, counter_id: str, number: int, stop: threading.Event, pace: DemoPace) -> None:
    """Calls as soon as it is free; serves for the profile's service time of the ticket's service, compressed."""
    rng = pace.rng
    while not stop.wait(rng.uniform(0.5, 1.5)):
        reply = link.request("call_next", {"counter_id": counter_id}, timeout=5)
        if not reply or not reply["ok"]:
            continue
        label = reply["result"]["ticket"]["label"] or ""
        logger.info("Quầy %d: mời số %s", number, label)
        if stop.wait(pace.service_seconds(pace.service_of(label))):
            return
        link.request("finish", {"counter_id": counter_id, "outcome": rng.choice(OUTCOMES)}, timeout=5)
        if rng.random() < 0.8:
            link.request("rate", {"counter_id": counter_id, "level": rng.choice(RATINGS)}, timeout=5)


def _counter_units(
    settings: Settings,
    devices: dict[str, dict[str, Any]],
    stop: threading.Event,
    out_dir: Path,
    count: int,
    pace: DemoPace,
) -> None:
    from queue_server.demo.counters import run_counters

    outputs = run_counters(
        settings, devices, stop, out_dir, counters=count, pause_between=pace.button_pause(), rng=pace.rng
    )
    logger.info(
        "demo: %d counter screens, %d hall board screens, %d calls spoken (WAV) in %s",
        len(outputs.counter_screens),
        len(outputs.board_screens),
        len(outputs.calls),
        outputs.out_dir,
    )


def run_demo(config: Path | None, seconds: float | None = None, seed: int | None = None) -> int:
    """Run the demo office until Ctrl-C or for ``seconds``; with ``seed``, every simulated device draws the same
    pauses, services, outcomes and ratings on every run (``device_rng``)."""
    settings = load_settings(config)
    # The demo's one kiosk issues for a whole hall (a ticket every 1-3 s): its budget is a hall's, not a kiosk's.
    kiosk_budget = settings.limits.kiosk.model_copy(update={"per_minute": 120.0, "burst": 20})
    settings = settings.model_copy(update={"limits": settings.limits.model_copy(update={"kiosk": kiosk_budget})})
    logs.configure("INFO")
    devices = demo_devices(settings)
    users = demo_users(settings)
    server = OfficeServer(settings).start()
    stop = threading.Event()
    links: list[DeviceLink] = []
    threads: list[threading.Thread] = []
    try:
        if server.link is not None:
            server.link.wait_connected(10)
        kiosk = _link(settings, "kiosk-01", devices["kiosk-01"]["password"])
        links.append(kiosk)
        pace = device_pace(settings, device_rng(seed, "kiosk-01"))
        threads.append(threading.Thread(target=_kiosk, args=(settings, kiosk, stop, pace), daemon=True))
        # The first counters are full counter units on simulated GPIO buttons, with their displays, the hall
        # board and its voice (queue_server.demo.counters); any further counter is a plain simulated device.
        simulated_units = min(SIMULATED_COUNTER_UNITS, len(settings.counters))
        threads.append(
            threading.Thread(
                target=_counter_units,
                args=(
                    settings,
                    devices,
                    stop,
                    DEMO_OUTPUT,
                    simulated_units,
                    device_pace(settings, device_rng(seed, "counter-units")),
                ),
                name="demo-counter-units",
                daemon=True,
            )
        )
        for counter in settings.counters[simulated_units:]:
            device_id = f"counter-{counter.number}"
            link = _link(settings, device_id, devices[device_id]["password"])
            links.append(link)
            threads.append(
                threading.Thread(
                    target=_counter,
                    args=(link, counter.id, counter.number, stop, device_pace(settings, device_rng(seed, device_id))),
                    daemon=True,
                )
            )
        for thread in threads:
            thread.start()
        logger.info(
            "motcua demo: %s – broker %s:%s, dữ liệu %s. Ctrl-C để dừng.",
            settings.office.name,
            settings.broker.host,
            settings.broker.port,
            settings.server.data_dir,
        )
        if server.web is not None:
            _announce_web(server.web.url, users)
        stop.wait(seconds) if seconds else _wait_for_interrupt(stop)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for link in links:
            link.close()
        server.stop()
    return 0


def _announce_web(url: str, users: dict[str, dict[str, Any]]) -> None:
    """The web address and the demo accounts, printed so anyone trying the demo can sign in at once."""
    print(f"\nTrang web / web pages: {url}", flush=True)
    print(f"  Trực tiếp / live: {url}live", flush=True)
    for username, user in users.items():
        where = f" ({user['counter']})" if user.get("counter") else ""
        print(f"  {user['role']}{where}: {username} / {user['password']}", flush=True)
    print(flush=True)


def _wait_for_interrupt(stop: threading.Event) -> None:
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        logger.info("dừng / stopping")
