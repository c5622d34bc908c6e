"""The hall board drawn with pygame under SDL's dummy driver: screenshots at 1920x1080 and 1280x720."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware.display.board_model import LINK_LOST_BANNER, BoardView, CallRow, CounterRow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "display"
CALLS = (
    CallRow("C125", 3, True, highlighted=True, flashing=True, flash_on=True),
    CallRow("A024", 1, True),
    CallRow("D007", 2, True),
    CallRow("B031", 3, False),
    CallRow("A023", 1, False),
)
COUNTERS = (CounterRow(1, "A024", False), CounterRow(2, "D007", False), CounterRow(3, "C125", False),
            CounterRow(4, None, True), CounterRow(5, None, False))  # fmt: skip
WAITING = (("Hộ tịch", 12), ("Chứng thực", 3), ("Đất đai", 0), ("Đăng ký, quản lý cư trú", 7))
VIEWS = {
    "live": BoardView(CALLS, COUNTERS, WAITING, None),
    "flash_dark": BoardView((CallRow("C125", 3, True, True, True, False), *CALLS[1:]), COUNTERS, WAITING, None),
    "offline": BoardView(
        tuple(CallRow(c.label, c.counter_number, False) for c in CALLS),
        tuple(CounterRow(c.number, None, c.paused) for c in COUNTERS),
        WAITING,
        LINK_LOST_BANNER,
    ),
}


@pytest.fixture
def pygame_dummy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    pygame = pytest.importorskip("pygame")
    yield pygame
    pygame.display.quit()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_board_screenshots(pygame_dummy: Any, name: str, size: tuple[int, int]) -> None:
    from firmware.display.board_screen import PANEL, RED, YELLOW, BoardScreen

    with BoardScreen(size) as screen:
        screen.draw(VIEWS[name])
        path = screen.save(ARTIFACTS / f"board_{name}_{size[0]}x{size[1]}.png")
        surface = screen.surface
        width, height = size
        # the banner row under the header is red exactly when the view has a banner
        banner_pixel = surface.get_at((width // 100, height // 11 + height // 40))[:3]
        assert (banner_pixel == RED) == (VIEWS[name].banner is not None)
        # the newest call's band: yellow when bright, dark panel in the flash's dark phase, never when offline
        column = [surface.get_at((width // 60 + 4, y))[:3] for y in range(height // 11, height // 2)]
        assert (column.count(YELLOW) > height // 10) == (name == "live")
        assert column.count(PANEL) > height // 10
    assert path.stat().st_size > 10_000
