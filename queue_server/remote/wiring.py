"""The remote-number parts of a running office server, built once in ``OfficeServer.start``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from queue_server.analytics.current import ProjectionKeeper
from queue_server.live import LiveOffice
from queue_server.notify.notifier import Notifier
from queue_server.remote.booking import Execute, RemoteDesk
from queue_server.remote.notices import RemoteNotices, WaitingRemotePhones
from queue_server.remote.phone_store import PhoneStore
from queue_server.store.event_store import EventStore

if TYPE_CHECKING:
    from queue_server.config import Settings

PHONE_FILE = "remote.sqlite"
SECRET_FILE = "remote.secret"
NOTICE_SECONDS = 2.0


@dataclass
class RemoteParts:
    desk: RemoteDesk
    phones: PhoneStore
    waiting: WaitingRemotePhones
    keeper: ProjectionKeeper

    def stop(self) -> None:
        self.keeper.stop()
        self.phones.engine.dispose()


def start_remote(
    settings: Settings, store: EventStore, live: LiveOffice, execute: Execute, notifier: Notifier
) -> RemoteParts:
    from queue_server.app import data_dir_secret

    phones = PhoneStore.open(settings.server.data_dir / PHONE_FILE)
    policy = settings.remote
    desk = RemoteDesk(
        policy=policy,
        phones=phones,
        notifier=notifier,
        execute=execute,
        live=live,
        secret=data_dir_secret(settings, SECRET_FILE),
    )
    notices = RemoteNotices(store=store, live=live, phones=phones, notifier=notifier, policy=policy)
    keeper = ProjectionKeeper(None, None, NOTICE_SECONDS, work=notices.tick).start()
    return RemoteParts(desk, phones, WaitingRemotePhones(phones, live), keeper)
