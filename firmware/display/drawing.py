"""Shared pygame drawing: DejaVu fonts by pixel size, text fitted into a box. Only the screens import this."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pygame

from hardware.fonts import BOLD, REGULAR, find_font

Colour = tuple[int, int, int]
Align = Literal["left", "center", "right"]


def init(size: tuple[int, int], *, fullscreen: bool, caption: str) -> pygame.Surface:
    """Open the window (or the whole screen); under ``SDL_VIDEODRIVER=dummy`` nothing is shown, as in tests."""
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_caption(caption)
    flags = pygame.FULLSCREEN if fullscreen and os.environ.get("SDL_VIDEODRIVER") != "dummy" else 0
    if fullscreen:
        pygame.mouse.set_visible(False)
    return pygame.display.set_mode(size, flags)


_watching_quit = False


def _forget_fonts() -> None:
    """Called by ``pygame.quit()``: a Font kept from before it is dangling and crashes SDL_ttf when used."""
    global _watching_quit
    _watching_quit = False
    _font.cache_clear()


@lru_cache(maxsize=128)
def _font(size: int, bold: bool, font_dir: Path | None) -> pygame.font.Font:
    return pygame.font.Font(str(find_font(BOLD if bold else REGULAR, font_dir)), max(size, 6))


def font(size: int, bold: bool = True, font_dir: Path | None = None) -> pygame.font.Font:
    """A cached Font; the cache is emptied whenever pygame (or its font module) is shut down and started again,
    e.g. by a kiosk in the same process (pygame's quit hooks are one-shot, hence the re-registration)."""
    global _watching_quit
    if not pygame.font.get_init():
        _font.cache_clear()
        pygame.font.init()
    if not _watching_quit:
        pygame.register_quit(_forget_fonts)
        _watching_quit = True
    return _font(size, bold, font_dir)


def text(
    surface: pygame.Surface,
    value: str,
    box: pygame.Rect,
    colour: Colour,
    *,
    bold: bool = True,
    align: Align = "center",
    font_dir: Path | None = None,
) -> pygame.Rect:
    """Draw ``value`` as large as fits ``box`` (by height, shrunk to the width), vertically centred."""
    size = int(box.height * 0.95)
    face = font(size, bold, font_dir)
    while size > 8 and (face.size(value)[0] > box.width or face.get_linesize() > box.height * 1.25):
        size = int(size * 0.92)
        face = font(size, bold, font_dir)
    image = face.render(value, True, colour)
    rect = image.get_rect(centery=box.centery)
    if align == "left":
        rect.left = box.left
    elif align == "right":
        rect.right = box.right
    else:
        rect.centerx = box.centerx
    surface.blit(image, rect)
    return rect


def save(surface: pygame.Surface, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(path))
    return path


class Window:
    """A pygame window (or the SDL dummy surface in tests) that screens draw on; closed once, as a context."""

    def __init__(self, size: tuple[int, int], *, fullscreen: bool, caption: str) -> None:
        self.surface = init(size, fullscreen=fullscreen, caption=caption)
        self._closed = False

    def save(self, path: Path) -> Path:
        return save(self.surface, path)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            pygame.display.quit()

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
