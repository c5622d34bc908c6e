"""The counter display model, and its pygame screen under SDL's dummy driver (a screenshot per state)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware.display.counter_model import CounterDisplayModel, CounterView
from hardware.counter_view import CounterView as DriverView
from queue_server.contract import topics

OFFICE, COUNTER = "tuan-giao", "quay-3"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "display"
SERVING = {"ticket_id": "t1", "label": "C025", "service_id": "dat-dai", "priority": False, "since": "x"}


def state(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"counter_id": COUNTER, "number": 3, "services": ["dat-dai"], "paused": False,
                            "staff_id": None, "serving": None, "at": "2026-11-23T08:00:00+07:00"}  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def model() -> CounterDisplayModel:
    m = CounterDisplayModel(OFFICE, COUNTER, services={"dat-dai": "Đất đai"})
    m.set_link(True)
    return m


def feed(m: CounterDisplayModel, **overrides: Any) -> CounterView:
    m.on_state(topics.counter_state(OFFICE, COUNTER), state(**overrides))
    return m.view()


def test_serving_shows_the_number_the_counter_and_the_field(model: CounterDisplayModel) -> None:
    view = feed(model, serving=SERVING)
    assert view == CounterView("serving", 3, "C025", "Đất đai")
    assert (view.headline, view.counter_text) == ("C025", "Quầy 3")


def test_nothing_known_is_link_lost_not_a_guess() -> None:
    m = CounterDisplayModel(OFFICE, COUNTER, number=3)
    m.set_link(True)
    assert m.view() == CounterView("link_lost", 3)


def test_paused_hides_the_number(model: CounterDisplayModel) -> None:
    assert feed(model, serving=SERVING, paused=True) == CounterView("paused", 3)
    assert model.view().headline == "TẠM DỪNG"


def test_link_or_server_loss_hides_the_number_and_recovery_restores_it(model: CounterDisplayModel) -> None:
    feed(model, serving=SERVING)
    model.set_link(False)
    assert model.view().mode == "link_lost" and model.view().headline == "MẤT KẾT NỐI"
    model.set_link(True)
    assert model.view().label == "C025"
    model.on_state(topics.server_status(OFFICE), {"online": False})
    assert model.view().mode == "link_lost"
    model.on_state(topics.server_status(OFFICE), {"online": True})
    assert model.view().mode == "serving"


def test_another_counters_state_is_ignored(model: CounterDisplayModel) -> None:
    feed(model, serving=SERVING)
    model.on_state(topics.counter_state(OFFICE, "quay-1"), state(counter_id="quay-1", number=1, serving=None))
    model.on_state(topics.counter_state(OFFICE, COUNTER), state(counter_id="quay-1", number=1))
    assert model.view() == CounterView("serving", 3, "C025", "Đất đai")


@pytest.fixture
def pygame_dummy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    pygame = pytest.importorskip("pygame")
    yield pygame
    pygame.display.quit()


VIEWS = {
    "serving": CounterView("serving", 3, "C025", "Đăng ký, quản lý cư trú"),
    "idle": CounterView("idle", 3),
    "paused": CounterView("paused", 3),
    "link_lost": CounterView("link_lost", 12),
    "transfer": CounterView("transfer", 3, "C025", "Đất đai", "1/3"),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_screen_draws_each_state_and_saves_a_screenshot(pygame_dummy: Any, name: str) -> None:
    from firmware.display.counter_screen import BACKGROUND, WHITE, YELLOW, CounterScreen

    view = VIEWS[name]
    with CounterScreen((800, 480)) as screen:
        screen.draw(view)
        path = screen.save(ARTIFACTS / f"counter_{name}.png")
        surface = screen.surface
        assert surface.get_at((2, 2))[:3] == BACKGROUND[name]
        # the number (yellow) or the state (white) was drawn in the middle band, not just the background
        colour = YELLOW if name == "serving" else WHITE
        band = [surface.get_at((x, y))[:3] for x in range(0, 800, 4) for y in range(120, 360, 4)]
        assert band.count(colour) > (1000 if name == "serving" else 50), band.count(colour)
    assert path.stat().st_size > 1000


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.shown: list[DriverView] = []
        self.fail = fail

    def show(self, view: DriverView) -> None:
        if self.fail:
            raise OSError("board unplugged")
        self.shown.append(view)


def test_runner_sends_changes_at_once_and_refreshes_a_steady_view(model: CounterDisplayModel) -> None:
    from firmware.display.counter_display import CounterDisplay

    now = [0.0]
    out = Recorder()
    display = CounterDisplay(model, [Recorder(fail=True), out], refresh_seconds=5.0, clock=lambda: now[0])
    feed(model, serving=SERVING)
    display.tick(True)
    display.tick(True)
    assert [v.label for v in out.shown] == ["C025"]  # unchanged: not sent twice, a failing output ignored
    feed(model, paused=True)
    display.tick(True)
    assert out.shown[-1].mode == "paused"
    now[0] = 5.0
    display.tick(True)
    assert len(out.shown) == 3  # the refresh
    display.tick(False)
    assert out.shown[-1].mode == "link_lost"


def test_models_and_runners_import_neither_pygame_nor_serial() -> None:
    import subprocess
    import sys

    code = (
        "import sys, firmware.hall_board, firmware.display.board_model, firmware.display.counter_display, "
        "hardware.serial_display; print(sorted(m for m in ('pygame', 'serial') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def private(m: CounterDisplayModel, name: object, ticket_id: str = "t1", counter_id: str = COUNTER) -> None:
    serving = {"ticket_id": ticket_id, "label": "C025", "display_name": name}
    m.on_state(topics.device_view(OFFICE, "counter-3"), {"v": 1, "counter_id": counter_id, "serving": serving})


@pytest.fixture
def unit() -> CounterDisplayModel:
    """The model of counter unit ``counter-3``: it also reads its own private view."""
    m = CounterDisplayModel(OFFICE, COUNTER, services={"dat-dai": "Đất đai"}, device_id="counter-3")
    m.set_link(True)
    assert topics.device_view(OFFICE, "counter-3") in m.state_topics()
    return m


def test_serving_shows_the_masked_name_from_the_units_private_view(unit: CounterDisplayModel) -> None:
    private(unit, "Nguyễn V. A.")
    view = feed(unit, serving=SERVING)
    assert view == CounterView("serving", 3, "C025", "Đất đai", display_name="Nguyễn V. A.")


def test_the_public_state_never_names_anyone(unit: CounterDisplayModel) -> None:
    """A name in the public counter state (an old server, a forgery) is not shown: only the private view counts."""
    assert feed(unit, serving={**SERVING, "display_name": "Nguyễn V. A."}).display_name is None


def test_a_private_view_of_another_ticket_or_counter_or_a_cleared_one_shows_no_name(unit: CounterDisplayModel) -> None:
    private(unit, "Nguyễn V. A.", ticket_id="t0")  # the previous citizen's, not yet replaced
    assert feed(unit, serving=SERVING).display_name is None
    private(unit, "Nguyễn V. A.", counter_id="quay-9")
    assert feed(unit, serving=SERVING).display_name is None
    private(unit, "Nguyễn V. A.")
    unit.on_state(topics.device_view(OFFICE, "counter-3"), {})  # cleared (the unit was revoked)
    assert feed(unit, serving=SERVING).display_name is None


@pytest.mark.parametrize("bad", ["Nguyễn Văn An", "001090123456", 42, ""])
def test_anything_but_a_masked_name_is_not_shown(unit: CounterDisplayModel, bad: object) -> None:
    private(unit, bad)
    assert feed(unit, serving=SERVING).display_name is None


def test_screen_shows_the_masked_name_small_under_the_number(pygame_dummy: Any) -> None:
    from firmware.display.counter_screen import WHITE, YELLOW, CounterScreen

    def white_under_the_number(view: CounterView, name: str) -> tuple[int, int]:
        with CounterScreen((800, 480)) as screen:
            screen.draw(view)
            screen.save(ARTIFACTS / f"counter_{name}.png")
            surface = screen.surface
            name_band = [surface.get_at((x, y))[:3] for x in range(0, 800, 2) for y in range(326, 372, 2)]
            number_band = [surface.get_at((x, y))[:3] for x in range(0, 800, 4) for y in range(120, 320, 4)]
            return name_band.count(WHITE), number_band.count(YELLOW)

    plain = CounterView("serving", 3, "C025", "Đất đai")
    white_plain, _ = white_under_the_number(plain, "serving_plain")
    white_named, yellow_named = white_under_the_number(
        CounterView("serving", 3, "C025", "Đất đai", display_name="Nguyễn V. A."), "serving_named"
    )
    assert white_plain == 0 and white_named > 100, (white_plain, white_named)
    assert yellow_named > 1000  # the number is still the big thing on the screen


def test_a_unit_on_its_cached_office_says_so_on_a_yellow_strip(pygame_dummy: Any) -> None:
    from firmware.display.counter_screen import YELLOW, CounterScreen

    model = CounterDisplayModel("tuan-giao", "quay-3")
    said = {"text": "Đang dùng cấu hình lưu sẵn (máy chủ chưa kết nối)"}
    model.notice_source = lambda connected: None if connected else said["text"]
    assert model.view().notice == said["text"]  # link down: the cached copy is all there is
    model.set_link(True)
    assert model.view().notice is None

    def bottom_yellow(view: CounterView, name: str) -> int:
        with CounterScreen((800, 480)) as screen:
            screen.draw(view)
            screen.save(ARTIFACTS / f"counter_{name}.png")
            return [screen.surface.get_at((x, 476))[:3] for x in range(0, 800, 8)].count(YELLOW)

    assert bottom_yellow(CounterView("link_lost", 3), "link_lost_plain") == 0
    assert bottom_yellow(CounterView("link_lost", 3, notice=said["text"]), "link_lost_cached") > 80
