"""Shared set-up for the web tests (no tests here): a real office service on a real SQLite store, web users, and
a client that signs in with the CSRF token like a browser does."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from queue_server.audited import Audited
from queue_server.config import Settings, load_settings
from queue_server.engine import commands as cmd
from queue_server.engine.setup import OfficeSetup, Outcome
from queue_server.service import OfficeService
from queue_server.store.event_store import EventStore
from queue_server.store.web_users import Role, create_user
from queue_server.web import create_app
from tests.fakes import OfficeClock

PASSWORD = "correct horse battery"
USERS: dict[str, dict[str, Any]] = {
    "admin": {"role": Role.ADMIN},
    "boss": {"role": Role.MANAGER, "office_id": "tuan-giao"},
    "other-boss": {"role": Role.MANAGER, "office_id": "muong-ang"},
    "province": {"role": Role.PROVINCE_MANAGER},
    "lan": {"role": Role.STAFF, "counter_id": "quay-1", "staff_id": "nv-lan"},
    "hung": {"role": Role.STAFF, "counter_id": "quay-2", "staff_id": "nv-hung"},
}
FAST_HASH = "pbkdf2:sha256:1000"
"""Cheap hashes for the test users only; real users get scrypt (checked in test_web_auth)."""
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Office:
    store: EventStore
    setup: OfficeSetup
    service: OfficeService
    clock: OfficeClock
    sent: list[cmd.Command] = field(default_factory=list)

    def execute(self, command: cmd.Command | Audited) -> Mapping[str, Any]:
        """What the web app calls: recorded, then run by the real service (as ``ServerLink.execute`` would)."""
        self.sent.append(command.command if isinstance(command, Audited) else command)  # audit rides along
        reply, _ = self.service.execute(command)
        return reply

    def run(self, command: cmd.Command) -> dict[str, Any]:
        """A command from elsewhere (a kiosk, a counter unit): not through the web app."""
        reply, _ = self.service.execute(command)
        assert reply["ok"], reply
        return reply


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", "tuan-giao")
    store.migrate()
    yield started_office(store)
    store.close()


def started_office(store: EventStore) -> Office:
    """The office of ``motcua.toml``'s defaults served on ``store`` (what it already holds is replayed), with the
    test users; on the support clock."""
    setup = load_settings().office_setup()
    clock = OfficeClock()
    ids = (f"tk{i:014d}" for i in itertools.count())  # 16 characters, like secrets.token_urlsafe(12)
    service = OfficeService(setup=setup, store=store, devices=lambda _: None, clock=clock, new_id=lambda: next(ids))
    service.start()
    for username, fields in USERS.items():
        create_user(store.engine, username, PASSWORD, password_method=FAST_HASH, **fields)
    return Office(store, setup, service, clock)


def make_app(
    office: Office,
    *,
    connected: bool = True,
    settings: Settings | None = None,
    catalogue_dir: Path | None = None,
    **config: Any,
) -> Flask:
    test_config = {"TESTING": True, "SECRET_KEY": "test-secret", **config}
    execute = office.execute if connected else None
    return create_app(
        test_config,
        store=office.store,
        setup=office.setup,
        execute=execute,
        settings=settings,
        catalogue_dir=catalogue_dir,
    )


@pytest.fixture
def app(office: Office) -> Flask:
    return make_app(office)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    match = TOKEN.search(client.get("/auth/login").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def post(client: FlaskClient, url: str, data: Mapping[str, str] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)})


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return post(client, "/auth/login", {"username": username, "password": password})


def day_of_three_visits(office: Office) -> None:
    """2026-11-23 (local UTC+7), counter 1, Lan signed in; three ho-tich tickets issued 08:00, 08:01, 08:02.

    A001 called 08:05 (waited 300 s), finished 08:15 with a dossier (600 s), rated satisfied.
    A002 called 08:21 (waited 1,200 s), finished 08:25, guidance only (240 s), rated dissatisfied.
    A003 called 08:42 (waited 2,400 s), absent: skipped 08:43 (a no-show; its segment is not service time).
    """
    run, at = office.run, office.clock.at
    at(1, 0)
    run(cmd.SignIn("quay-1", "nv-lan"))
    for minute in (0, 1, 2):
        at(1, minute)
        run(cmd.IssueTicket("ho-tich"))
    at(1, 5)
    run(cmd.CallNext("quay-1"))
    at(1, 15)
    run(cmd.FinishService("quay-1", Outcome.DOSSIER_RECEIVED, "HS-001"))
    at(1, 15, 30)
    run(cmd.RateService("quay-1", "satisfied"))
    at(1, 21)
    run(cmd.CallNext("quay-1"))
    at(1, 25)
    run(cmd.FinishService("quay-1", Outcome.GUIDANCE_ONLY))
    at(1, 25, 30)
    run(cmd.RateService("quay-1", "dissatisfied"))
    at(1, 42)
    run(cmd.CallNext("quay-1"))
    at(1, 43)
    run(cmd.SkipTicket("quay-1"))


def tile(page: str, tile_id: str) -> str:
    match = re.search(rf'<b id="{tile_id}">([^<]*)</b>', page)
    assert match is not None, tile_id
    return match.group(1)


def target_statuses(page: str) -> list[str]:
    return re.findall(r'<tr class="(met|not_met|no_data)">', page)
