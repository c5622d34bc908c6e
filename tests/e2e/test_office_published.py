"""One source of truth for the office (issue 12): a change made in the admin pages reaches every device live.

A real office (server process, embedded broker, SQLite, its web pages) and Debian's Chromium: an administrator
renames a field and adds a counter in the admin pages; the kiosk (SDL dummy driver, the app ``kiosk.main``
builds), a counter unit (``firmware.counter_main.run``) and the hall board (``firmware.hall_board.run``) show it
within ``LIVE_SECONDS``, without a restart and without the server's TOML. An uploaded catalogue reaches the
kiosk's search the same way. Then the server stops and the devices start again: from their cached copy, saying so.
Screenshots go to tests/artifacts/kiosk/ (the kiosk) and tests/artifacts/web/ (the admin pages).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from firmware import counter_main, hall_board
from firmware.counter_unit import CounterUnit
from firmware.device_config import VoiceConfig
from firmware.display.board_model import BoardView
from firmware.display.counter_model import CounterDisplayModel
from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.contract.link_config import LinkConfig
from queue_server.contract.office_feed import NOTICE_VI, OfficeNotice
from queue_server.store.web_users import Role, create_user
from tests.fixtures.browser import OpenPage
from tests.fixtures.mosquitto import free_port

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
LIVE_SECONDS = 5.0
"""Issue 12: "within 5 s, without a restart". The deadline of each wait below, from the admin page's answer."""
ADMIN, ADMIN_PASSWORD = "quantri", "mật khẩu đủ dài 2026"
NEW_NAME = "Hộ tịch – Khai sinh, kết hôn"
CACHED = NOTICE_VI[OfficeNotice.CACHED_SERVER_OFFLINE]
YELLOW = (255, 210, 0)
PROCEDURE = "Thủ tục thử nghiệm tải lên danh mục"


def until(
    check: Callable[[], Any], what: str, timeout: float = LIVE_SECONDS, step: Callable[[], None] | None = None
) -> Any:
    """Wait for ``check`` to be true (stepping the kiosk meanwhile): fails naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)


class RecordingScreen:
    """The hall board's screen, off screen: keeps what it was told to draw (the board's own view)."""

    def __init__(self) -> None:
        self.views: list[BoardView] = []

    def draw(self, view: BoardView) -> None:
        self.views[:] = [view]

    def close(self) -> None:
        pass


@dataclass
class Devices:
    """The three devices of the hall, each built by its own composition root, with its own cache folder."""

    office: OfficeUnderTest
    folder: Path
    pg: Any
    stop: threading.Event = field(default_factory=threading.Event)
    units: list[CounterUnit] = field(default_factory=list)
    boards: list[hall_board.HallBoard] = field(default_factory=list)
    screen: RecordingScreen = field(default_factory=RecordingScreen)
    threads: list[threading.Thread] = field(default_factory=list)

    def link(self, device_id: str) -> LinkConfig:
        return LinkConfig(office_id=self.office.office_id, device_id=device_id,
                          password=SecretStr(self.office.passwords[device_id]), host="127.0.0.1", port=self.office.port,
                          outbox=self.folder / device_id / "outbox.db")  # fmt: skip

    def start(self) -> None:
        from kiosk.config import KioskConfig
        from kiosk.main import open_kiosk

        for device_id in ("kiosk-1", "counter-1", "board-1"):
            (self.folder / device_id).mkdir(parents=True, exist_ok=True)
        config = KioskConfig(link=self.link("kiosk-1"))
        self.app, self.kiosk_link = open_kiosk(config, self.pg.display.set_mode(config.display.size))
        self.kiosk_link.start()
        unit_config = counter_main.CounterUnitConfig(
            link=self.link("counter-1"),
            counter=counter_main.CounterConfig(id="quay-1"),
            panel=counter_main.PanelConfig(kind="none"),
        )
        board_config = hall_board.HallBoardConfig(link=self.link("board-1"), voice=VoiceConfig(enabled=False))
        self.threads = [
            threading.Thread(target=counter_main.run, args=(unit_config, self.stop), daemon=True,
                             kwargs={"outputs": [], "on_started": self.units.append}),
            threading.Thread(target=hall_board.run, args=(board_config, self.stop), daemon=True,
                             kwargs={"screen": self.screen, "on_started": self.boards.append}),
        ]  # fmt: skip
        for thread in self.threads:
            thread.start()
        until(lambda: self.units and self.boards, "the counter unit and the hall board wired", timeout=20)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(10)
        self.kiosk_link.close()
        self.app.close()

    # -- what each device shows -------------------------------------------------------------------------------
    def kiosk_step(self) -> None:
        self.app.step()

    def kiosk_says(self, text: str) -> bool:
        return any(text in t for t in self.app.texts())

    def transfer_cycle(self) -> list[str]:
        """Every field the counter unit's transfer button offers, pressing it round the whole cycle."""
        chooser = self.units[0].transfer
        names: list[str] = []
        for _ in range(len(chooser.targets)):
            choice = chooser.step()
            if choice is not None:
                names.append(choice.name)
        chooser.cancel()
        return names

    def board(self) -> BoardView:
        return self.boards[0].tick(True)


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    import pygame

    pygame.init()
    yield pygame
    pygame.quit()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[OfficeUnderTest]:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded", web=True)
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "board-1": ("display", None)})
    store = open_store(office.settings)
    try:
        create_user(store.engine, ADMIN, ADMIN_PASSWORD, Role.ADMIN, password_method="pbkdf2:sha256:1000")
    finally:
        store.close()
    yield office
    office.stop_server()


def start_server(office: OfficeUnderTest) -> str:
    offset = office.log_path.stat().st_size if office.log_path.exists() else 0
    office.start_server()
    found = until(lambda: re.findall(r"web pages on (http://[^\s\"]+)", office.log_path.read_text()[offset:]),
                  "the web pages' address in the server log", timeout=30)  # fmt: skip
    return str(found[0]).rstrip("/")


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("Tên đăng nhập").fill(ADMIN)
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.locator("form.card").get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(base + "/admin/users")


def kiosk_png(devices: Devices, name: str) -> Any:
    """Save the kiosk's screen and read it back: what the checks below look at is the picture itself."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"office-published-{name}.png"
    devices.app.save_png(str(path))
    return devices.pg.image.load(str(path))


def notice_strip_is_yellow(picture: Any) -> bool:
    width, height = picture.get_size()
    return all(tuple(picture.get_at((x, height - 4)))[:3] == YELLOW for x in (4, width // 2, width - 4))


def test_a_change_in_the_admin_pages_reaches_every_device_live_and_survives_the_server_stopping(
    office: OfficeUnderTest, open_page: OpenPage, pg: Any, tmp_path: Path
) -> None:
    base = start_server(office)
    devices = Devices(office, tmp_path / "devices", pg)
    devices.start()
    try:
        until(lambda: devices.kiosk_says("Hộ tịch"), "the kiosk's first office", timeout=20, step=devices.kiosk_step)
        assert "Hộ tịch" in until(devices.transfer_cycle, "the counter unit's first office", timeout=20)
        assert not notice_strip_is_yellow(kiosk_png(devices, "before"))  # the server's copy: nothing to say

        page = open_page("admin-setup")
        sign_in(page, base)
        page.goto(base + "/admin/setup")
        service_form = page.locator("form[action$='/admin/setup/services']")
        service_form.locator("input[name=id]").fill("ho-tich")
        service_form.locator("input[name=prefix]").fill("A")
        service_form.locator("input[name=name_vi]").fill(NEW_NAME)
        service_form.locator("button[type=submit]").click()
        expect(page.locator(".flash.info")).to_be_visible()
        counter_form = page.locator("form[action$='/admin/setup/counters']")
        counter_form.locator("input[name=id]").fill("quay-9")
        counter_form.locator("input[name=number]").fill("9")
        counter_form.locator("input[name=service_ids][value=ho-tich]").check()
        counter_form.locator("button[type=submit]").click()
        expect(page.locator(".flash.info")).to_be_visible()

        until(lambda: devices.kiosk_says(NEW_NAME), "the new name on the kiosk's home screen", step=devices.kiosk_step)
        kiosk_png(devices, "renamed")
        assert NEW_NAME in until(lambda: NEW_NAME in devices.transfer_cycle() and devices.transfer_cycle(),
                                 "the new name in the counter unit's transfer cycle")  # fmt: skip
        until(lambda: NEW_NAME in dict(devices.board().waiting), "the hall board's label for the field")
        until(lambda: 9 in [c.number for c in devices.board().counters], "counter 9 on the hall board")
        assert devices.board().banner is None

        catalogue = tmp_path / "thu-tuc.json"
        procedure = {"code": "9.000001", "name": PROCEDURE, "field": "Hộ tịch", "service_id": "ho-tich",
                     "source": "dichvucong.gov.vn"}  # fmt: skip
        catalogue.write_text(json.dumps({"version": 1, "procedures": [procedure]}, ensure_ascii=False), "utf-8")
        upload = open_page("admin-catalogue")
        sign_in(upload, base)
        upload.goto(base + "/admin/catalogue")
        upload.locator("input[type=file]").set_input_files(str(catalogue))
        upload.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
        expect(upload.locator(".flash.info")).to_be_visible()
        from kiosk.screens.browse import SearchScreen

        devices.app.go(SearchScreen(devices.app))
        for letter in "thu nghiem tai len":
            pg.event.post(pg.event.Event(pg.TEXTINPUT, text=letter))
        until(lambda: devices.kiosk_says(PROCEDURE), "the uploaded procedure in the kiosk's search",
              step=devices.kiosk_step)  # fmt: skip
        kiosk_png(devices, "search")
        devices.app.home()
    finally:
        devices.close()

    office.stop_server()  # the embedded broker goes with it: no server, no broker, only the devices' caches
    again = Devices(office, tmp_path / "devices", pg)
    again.start()
    try:
        until(lambda: again.kiosk_says(CACHED), "the kiosk saying it runs on its cached copy", step=again.kiosk_step)
        service = again.app.office.service("ho-tich")
        assert service is not None and service.name_vi == NEW_NAME
        assert again.app.catalogue.search("thu nghiem tai len")[0].name == PROCEDURE
        assert notice_strip_is_yellow(kiosk_png(again, "cached"))
        assert NEW_NAME in again.transfer_cycle()
        model = again.units[0].display
        assert isinstance(model, CounterDisplayModel) and model.view().notice == CACHED
        board = until(lambda: again.screen.views and again.screen.views[0], "the hall board's first frame", timeout=10)
        assert NEW_NAME in again.boards[0].model.services.values()
        assert board.banner is not None and CACHED in board.banner
    finally:
        again.close()
