"""Displays drawn off-screen and saved as PNG files: the demo's and the tests' stand-ins for real screens.

pygame has one display per process, but a demo runs a counter screen and the hall board side by side; so these
draw the same ``render_counter``/``render_board`` as the real screens onto plain surfaces, under one lock
(SDL's text rendering is not meant to be used from two threads at once), and save what they drew.

Example::

    output = PngCounterOutput((800, 480), Path("out/quay-1"))
    output.show(view)            # out/quay-1/screen-0001.png and out/quay-1/latest.png
"""

from __future__ import annotations

import threading
from pathlib import Path

import pygame

from firmware.display import drawing
from firmware.display.board_model import BoardView
from firmware.display.board_screen import render_board
from firmware.display.counter_screen import render_counter
from hardware.counter_view import CounterView

RENDER_LOCK = threading.Lock()


class PngCounterOutput:
    """A counter display output (``show(view)``) that saves each new view as the next numbered PNG."""

    def __init__(self, size: tuple[int, int], folder: Path, *, keep: int = 50) -> None:
        self.folder, self.keep = folder, keep
        self.surface = pygame.Surface(size)
        self.saved: list[Path] = []
        self._last: CounterView | None = None

    def show(self, view: CounterView) -> Path | None:
        """Draw and save when the view changed (a refresh of the same view saves nothing new)."""
        if view == self._last:
            return None
        self._last = view
        with RENDER_LOCK:
            render_counter(self.surface, view)
            path = drawing.save(self.surface, self.folder / f"screen-{len(self.saved) + 1:04d}-{view.mode}.png")
            drawing.save(self.surface, self.folder / "latest.png")
        self.saved.append(path)
        if len(self.saved) > self.keep:
            self.saved[-self.keep - 1].unlink(missing_ok=True)
        return path


class PngBoardScreen:
    """A hall board screen (``draw(view)``) that keeps the last frame and saves it on request."""

    def __init__(self, size: tuple[int, int] = (1920, 1080)) -> None:
        self.surface = pygame.Surface(size)
        self.last: BoardView | None = None

    def draw(self, view: BoardView) -> None:
        with RENDER_LOCK:
            render_board(self.surface, view)
        self.last = view

    def save(self, path: Path) -> Path:
        with RENDER_LOCK:
            return drawing.save(self.surface, path)

    def close(self) -> None:
        pass
