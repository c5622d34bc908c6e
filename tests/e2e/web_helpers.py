"""What the end-to-end tests of the web pages share: an office's config file, a provisioned kiosk and manager,
a kiosk's device link, and a browser over real HTTP (cookies, the CSRF token). Not a test module: tests import it.
"""

from __future__ import annotations

import re
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from queue_server.app import OfficeServer, open_store
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.config import Settings
from queue_server.contract.device_link import DeviceLink
from queue_server.store.devices import DeviceRegistry
from queue_server.store.web_users import Role, create_user

OFFICE = "tuan-giao"
WEB_PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def write_config(directory: Path, broker_kind: str, broker_port: int, server_password: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "motcua.toml"
    path.write_text(
        f'[broker]\nkind = "{broker_kind}"\nhost = "127.0.0.1"\nport = {broker_port}\n'
        f'server_password = "{server_password}"\n'
        f'[store]\nurl = "sqlite:///{directory}/office.db"\n'
        f'[server]\ndata_dir = "{directory / "data"}"\n'
        "[web]\nport = 0\n"
    )
    return path


def provision(settings: Settings) -> str:
    """A kiosk and a manager; returns the kiosk's broker password."""
    password = new_password()
    store = open_store(settings)
    try:
        DeviceRegistry(store).add("kiosk-01", "kiosk", hash_password(password), None)
        create_user(
            store.engine, "boss", WEB_PASSWORD, Role.MANAGER, office_id=OFFICE, password_method="pbkdf2:sha256:1000"
        )
    finally:
        store.close()
    return password


class Browser:
    """Real HTTP with a cookie jar, signing in with the CSRF token as a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return str(response.read().decode())

    def login(self, username: str) -> None:
        match = TOKEN.search(self.get("/auth/login"))
        assert match is not None
        form = urlencode({"username": username, "password": WEB_PASSWORD, "csrf_token": match.group(1)}).encode()
        with self.opener.open(self.base + "/auth/login", form, timeout=10) as response:
            assert response.status == 200 and "/auth/login" not in response.url

    def first_event(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            lines = []
            while (line := response.readline().decode()) not in ("\n", ""):
                lines.append(line)
            return "".join(lines)


def kiosk(server: OfficeServer, password: str, tmp_path: Path) -> DeviceLink:
    return DeviceLink(
        office_id=OFFICE,
        device_id="kiosk-01",
        password=password,
        host="127.0.0.1",
        port=server.settings.broker.port,
        outbox_path=tmp_path / "outbox-kiosk.db",
    )
