"""The serial LED board in Vietnamese: a board with a graphic mode is sent the screen drawn with DejaVu (every
diacritic), through a pseudo-terminal, read back on the master side and decoded as a board would."""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from firmware.display.counter_model import CounterView
from hardware.serial_bitmap import bitmap_frame, frame_length, parse_bitmap_frame, render
from hardware.serial_display import FRAME_LENGTH, SerialCounterDisplay

SIZE = (128, 32)


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def read(master: int, length: int, timeout: float = 2.0) -> bytes:
    data = b""
    while len(data) < length:
        ready, _, _ = select.select([master], [], [], timeout)
        assert ready, f"only {len(data)} of {length} bytes arrived"
        data += os.read(master, length - len(data))
    return data


def lit(image: Image.Image) -> int:
    return sum(bin(byte).count("1") for byte in image.tobytes())


def test_a_graphic_board_gets_the_exact_bitmap_of_the_vietnamese_screen(pty: tuple[int, str], tmp_path: Path) -> None:
    master, name = pty
    serving = CounterView("serving", 3, "A025")
    paused = CounterView("paused", 12)
    with SerialCounterDisplay(name, 115200, mode="bitmap", pixels=SIZE) as display:
        display.show(serving)
        first = read(master, frame_length(SIZE))
        display.show(paused)
        second = read(master, frame_length(SIZE))
    assert len(first) == 2 + 2 + 1 + 16 * 32 + 2 == 519
    board = parse_bitmap_frame(first)
    assert board.size == SIZE
    assert board.tobytes() == render(serving, SIZE).tobytes()  # bit for bit what was drawn
    assert parse_bitmap_frame(second).tobytes() == render(paused, SIZE).tobytes()
    assert board.tobytes() != parse_bitmap_frame(second).tobytes()
    board.convert("L").resize((512, 128)).save(tmp_path / "board-a025.png")  # for a human eye


def test_the_diacritics_are_drawn_not_folded() -> None:
    """ "Quầy" and "TẠM DỪNG" light other pixels than their ASCII folds: the marks are there."""
    accented, folded = render(CounterView("paused", 3), SIZE), render(_Folded("paused", 3), SIZE)
    assert lit(accented) > 0 and lit(folded) > 0
    assert accented.tobytes() != folded.tobytes()
    # the marks sit above the capitals: rows the folded text leaves dark are lit
    assert _top_row(accented) < _top_row(folded)


def _top_row(image: Image.Image) -> int:
    bbox = image.getbbox()
    assert bbox is not None
    return bbox[1]


class _Folded(CounterView):
    """What an ASCII-only board would show, as a view: the same screen without diacritics."""

    @property
    def counter_text(self) -> str:
        return "QUAY 3"

    @property
    def headline(self) -> str:
        return "TAM DUNG"


def test_a_bad_frame_is_refused() -> None:
    frame = bitmap_frame(render(CounterView("idle", 1), (64, 16)))
    assert parse_bitmap_frame(frame).size == (64, 16)
    with pytest.raises(ValueError, match="checksum"):
        parse_bitmap_frame(frame[:-1] + bytes([frame[-1] ^ 1]))
    with pytest.raises(ValueError, match="bytes"):
        parse_bitmap_frame(frame[:-3] + frame[-2:])


def test_a_text_board_keeps_the_ascii_frame(pty: tuple[int, str]) -> None:
    master, name = pty
    with SerialCounterDisplay(name, 9600) as display:
        display.show(CounterView("serving", 3, "A025"))
        assert read(master, FRAME_LENGTH)[2:22] == b"A025          QUAY 3"


def test_an_unshowable_label_falls_back_to_the_dash(pty: tuple[int, str]) -> None:
    master, name = pty
    with SerialCounterDisplay(name, 9600, mode="bitmap", pixels=SIZE) as display:
        display.show(CounterView("serving", 3, "A0\n25"))
        assert read(master, FRAME_LENGTH)[2:5] == b"---"
