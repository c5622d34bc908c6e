"""Shared set-up for the remote-number tests (no tests here): a desk on the web tests' office, and a notifier
that keeps what it accepted (the ``Notifier`` protocol's own contract: durable, once per ``dedupe_key``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from queue_server.notify.notifier import OutgoingSms, Purpose
from queue_server.remote.booking import Booked, CodeSent, RemoteDesk
from queue_server.remote.phone_store import PhoneStore
from queue_server.remote.policy import RemotePolicy
from tests.integration.web_support import Office

PHONE = "0912345678"
SECRET = "test-remote-secret"


@dataclass
class KeptNotifier:
    sent: list[OutgoingSms] = field(default_factory=list)
    refuse: bool = False

    def enqueue(self, message: OutgoingSms) -> bool:
        if self.refuse or any(m.dedupe_key == message.dedupe_key for m in self.sent):
            return False
        self.sent.append(message)
        return True

    def last_code(self) -> str:
        codes = [m for m in self.sent if m.purpose is Purpose.ONE_TIME_CODE]
        found = re.search(r"\b(\d{6})\b", codes[-1].text)
        assert found is not None
        return found.group(1)


def desk(office: Office, notifier: KeptNotifier, **policy: object) -> RemoteDesk:
    return RemoteDesk(
        policy=RemotePolicy.model_validate({"enabled": True, **policy}),
        phones=PhoneStore.in_memory(),
        notifier=notifier,
        execute=office.execute,
        live=office.service.live,
        secret=SECRET,
    )


def book(d: RemoteDesk, notifier: KeptNotifier, service_id: str = "ho-tich", phone: str = PHONE) -> Booked:
    started = d.start(service_id, phone, "10.0.0.9")
    assert isinstance(started, CodeSent), started
    booked = d.confirm(started.token, notifier.last_code())
    assert isinstance(booked, Booked), booked
    return booked
