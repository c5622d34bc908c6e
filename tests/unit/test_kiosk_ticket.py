"""Ticket rendering: 1-bit, paper-wide, Vietnamese glyphs really drawn, QR with the ticket id only."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from hardware.fonts import BOLD, REGULAR, FontMissingError, find_font
from kiosk.ticket import (
    WIDTH_58MM,
    WIDTH_80MM,
    TicketView,
    _font,
    qr_image,
    render_ticket,
    ticket_url,
)
from kiosk.wait_forecast import WaitForecast
from queue_server.contract.payloads import TicketResult

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
BASE_URL = "http://motcua.local"
VIEW = TicketView(
    ticket_id="tuan-giao-20261123-A001",
    label="A001",
    office_name="Trung tâm Phục vụ hành chính công xã Tuần Giáo",
    field_name="Hộ tịch",
    counters=("Quầy 1", "Quầy 2"),
    issued_at=datetime(2026, 11, 23, 8, 5, 12),
    people_ahead=3,
    wait=WaitForecast(25, 35, datetime(2026, 11, 23, 9, 40)),
    priority=True,
)
VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵỆỬỠẪ"


@pytest.mark.parametrize("width", [WIDTH_80MM, WIDTH_58MM])
def test_renders_one_bit_image_of_paper_width(width: int) -> None:
    image = render_ticket(VIEW, base_url=BASE_URL, width=width)
    assert image.mode == "1" and image.width == width
    assert width < image.height < 3 * width
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / f"ticket_sample_{width}px.png")


def test_width_must_be_printable() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        render_ticket(VIEW, base_url=BASE_URL, width=500)


def test_priority_marker_adds_a_block() -> None:
    plain = render_ticket(dataclasses.replace(VIEW, priority=False), base_url=BASE_URL)
    priority = render_ticket(VIEW, base_url=BASE_URL)
    assert priority.height > plain.height


def test_number_is_very_large() -> None:
    """The label's glyphs are at least a quarter of the paper width tall (readable from a waiting chair)."""
    image = render_ticket(dataclasses.replace(VIEW, label="B123"), base_url=BASE_URL)
    inked_rows = [y for y in range(image.height) if image.crop((0, y, image.width, y + 1)).getbbox() is not None]
    # longest run of consecutive inked rows: the big number
    longest = run = 0
    for previous, current in zip([-2, *inked_rows], inked_rows, strict=False):
        run = run + 1 if current == previous + 1 else 1
        longest = max(longest, run)
    assert longest >= image.width // 4


def test_every_vietnamese_letter_has_a_real_glyph() -> None:
    """Tofu (the .notdef box) would mean the font lacks Vietnamese; each letter must also differ from its base."""
    for name in (REGULAR, BOLD):
        font = _font(find_font(name), 40)
        notdef = font.getmask("\uffff")
        for letter in VIETNAMESE:
            mask = font.getmask(letter)
            assert mask.size != notdef.size or bytes(mask) != bytes(notdef), (name, letter)
        accented, plain = Image.new("1", (60, 60), 1), Image.new("1", (60, 60), 1)
        ImageDraw.Draw(accented).text((5, 5), "Ệ", font=font, fill=0)
        ImageDraw.Draw(plain).text((5, 5), "E", font=font, fill=0)
        assert ImageChops.difference(accented, plain).getbbox() is not None


def test_qr_holds_only_the_ticket_id() -> None:
    assert ticket_url("http://motcua.local/", "tg-2026/A 001") == "http://motcua.local/t/tg-2026%2FA%20001"
    image = qr_image(ticket_url(BASE_URL, VIEW.ticket_id), 200)
    assert image.mode == "1" and image.width == image.height and 100 <= image.width <= 200


def test_missing_font_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(FontMissingError, match="fonts-dejavu-core"):
        find_font(REGULAR, tmp_path)
    with pytest.raises(FontMissingError):
        render_ticket(VIEW, base_url=BASE_URL, font_dir=tmp_path)


def test_view_from_server_reply() -> None:
    reply_ticket = {
        "ticket_id": "tk-9",
        "label": "D007",
        "number": 7,
        "service_id": "cu-tru",
        "priority": "elderly_60",
        "day": "2026-11-23",
        "people_ahead": 4,
    }
    view = TicketView.from_reply(
        TicketResult.model_validate(reply_ticket),
        office_name=VIEW.office_name,
        field_name="Đăng ký, quản lý cư trú",
        counters=("Quầy 2",),
        issued_at=VIEW.issued_at,
    )
    assert (view.ticket_id, view.label, view.people_ahead, view.priority) == ("tk-9", "D007", 4, True)
    no_priority = TicketResult.model_validate({**reply_ticket, "priority": None})
    assert TicketView.from_reply(no_priority, **_ARGS).priority is False


_ARGS: dict[str, Any] = {
    "office_name": "X",
    "field_name": "Y",
    "counters": (),
    "issued_at": datetime(2026, 1, 1),
}


def test_the_servers_forecast_is_read_in_office_time_and_a_malformed_one_is_left_out() -> None:
    from kiosk.wait_forecast import printed_line, wait_forecast

    good = {
        "position": 4,
        "wait_minutes": {"low": 25, "high": 35},
        "call_at": "2026-11-23T02:40:00+00:00",
        "call_at_low": "2026-11-23T02:35:00+00:00",
        "call_at_high": "2026-11-23T02:45:00+00:00",
    }
    forecast = wait_forecast(good, 420)
    assert forecast is not None and f"{forecast.call_at:%H:%M}" == "09:40"  # a Pi on UTC prints office time
    assert printed_line(forecast) == "Thời gian chờ dự kiến: khoảng 25–35 phút (dự kiến gọi lúc 09:40)"
    for bad in (None, {}, {**good, "wait_minutes": {"low": "25", "high": 35}}, {**good, "call_at": "9h40"},
                {**good, "wait_minutes": {"low": True, "high": 35}}):  # fmt: skip
        assert wait_forecast(bad, 420) is None
