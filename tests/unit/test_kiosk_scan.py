"""ID-card scans at the kiosk, and the printer alarms it reports; SDL dummy driver, fakes that validate.

The scanner's bytes go through ``app.scan`` exactly as the serial driver delivers them. What must hold: a 60+
citizen is offered the priority, a garbled scan changes nothing, and no ID digit, full name or address leaves
the parser (logs, requests, printed bytes, files); the masked name, when enabled, goes in the request only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import KioskConfig, ScannerSection, TimingSection
from tests.unit import test_kiosk_app
from tests.unit.test_kiosk_app import OFFICE, FakeClock, FakeLink, shot, tap

pg = test_kiosk_app.pg  # the SDL dummy driver fixture

ID, OLD_ID, DOB = "001050012345", "012345678", "01011950"
ADDRESS = "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
ELDER = f"{ID}|{OLD_ID}|NGUYỄN VĂN AN|{DOB}|Nam|{ADDRESS}|15042021".encode()
YOUNG = f"{ID}||TRẦN THỊ BÍCH|20051990|Nữ|{ADDRESS}|15042021".encode()
SECRETS = (ID, OLD_ID, DOB, "NGUYỄN VĂN AN", "Nguyễn Văn An", "Bến Nghé")
MASKED = "Nguyễn V. A."


class AlarmLink(FakeLink):
    """The fake link plus ``set_alarms``, which checks codes against the contract and records each set."""

    def __init__(self) -> None:
        super().__init__()
        self.alarm_sets: list[list[str]] = []

    def set_alarms(self, alarms: list[Any]) -> None:
        from queue_server.contract.messages import AlarmCode

        self.alarm_sets.append([AlarmCode(a).value for a in alarms])


def make_app(link: FakeLink, *, names: bool = False, printer: Any = None) -> Any:
    from hardware.printer import open_printer
    from kiosk.app import KioskApp
    from kiosk.catalogue import load_catalogue

    config = KioskConfig(
        timing=TimingSection(idle_timeout_s=60, printer_check_s=30), scanner=ScannerSection(show_masked_name=names)
    )
    printer = printer if printer is not None else open_printer("dummy")
    app = KioskApp(link, printer, load_catalogue(), OFFICE, clock=FakeClock(), config=config)
    app.update()
    return app


def scan(app: Any, payload: bytes) -> None:
    app.scan(payload)
    app.step()


def test_a_60_plus_card_offers_the_priority_and_yes_sends_it(pg: Any) -> None:
    link = FakeLink()
    app = make_app(link)
    scan(app, ELDER)
    shot(app, "scan-offer")
    assert app.screen.name == "scan_offer"
    assert "Bạn đủ 60 tuổi: lấy số ưu tiên?" in app.texts()
    assert not any("Nguyễn" in t for t in app.texts()), "the name is shown only when the office enables it"
    tap(app, "offer:yes")
    assert app.screen.name == "home" and app.priority == "elderly_60"
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert link.requests == [("issue_ticket", {"service_id": "ho-tich", "priority": "elderly_60"})]


def test_no_takes_a_regular_number(pg: Any) -> None:
    link = FakeLink()
    app = make_app(link)
    scan(app, ELDER)
    tap(app, "offer:no")
    tap(app, "field:dat-dai")
    app.wait_idle()
    assert link.requests == [("issue_ticket", {"service_id": "dat-dai", "priority": None})]


def test_masked_name_when_enabled_and_forgotten_for_the_next_citizen(pg: Any) -> None:
    app = make_app(FakeLink(), names=True)
    scan(app, ELDER)
    assert "Xin chào Nguyễn V. A." in app.texts()
    tap(app, "offer:yes")
    assert any(t.startswith("Nguyễn V. A. — Ưu tiên") for t in app.texts()), app.texts()
    tap(app, "field:ho-tich")
    app.wait_idle()
    body = {"service_id": "ho-tich", "priority": "elderly_60", "display_name": MASKED}
    assert app.link.requests == [("issue_ticket", body)], "the office enabled it: the counter screen gets it"
    app.home()
    assert app.masked_name is None and not any("Nguyễn" in t for t in app.texts())
    scan(app, YOUNG)  # under 60: no offer, so no name is kept or sent
    tap(app, "field:dat-dai")
    app.wait_idle()
    assert app.link.requests[-1] == ("issue_ticket", {"service_id": "dat-dai", "priority": None})


@pytest.mark.parametrize("payload", [b"garbage", b"001050012345|x|y", "€".encode() * 600, b"\xff\xfe\x00"])
def test_garbled_scan_shows_a_friendly_message_and_changes_nothing(pg: Any, payload: bytes) -> None:
    app = make_app(FakeLink())
    tap(app, "priority")
    tap(app, "priority:pregnant")
    scan(app, payload)
    shot(app, "garbled-scan")
    assert app.screen.name == "home" and app.priority == "pregnant"
    assert "Không đọc được thẻ. Vui lòng quét lại mã QR trên thẻ căn cước." in app.texts()
    app.clock.t += 10
    app.step()
    assert not any("Không đọc được thẻ" in t for t in app.texts()), "the banner goes away by itself"
    assert app.priority == "pregnant"


def test_over_long_input_dropped_by_the_scanner_shows_the_same_message(pg: Any) -> None:
    app = make_app(FakeLink())
    app.scan_rejected("too long")
    app.step()
    assert app.screen.name == "home" and "Không đọc được thẻ" in " ".join(app.texts())


def test_under_60_is_told_to_choose_a_field_and_a_scan_elsewhere_is_ignored(pg: Any) -> None:
    app = make_app(FakeLink())
    scan(app, YOUNG)
    assert app.screen.name == "home" and app.priority is None
    assert "Đã đọc thẻ. Mời chọn lĩnh vực để lấy số." in app.texts()
    tap(app, "search")
    scan(app, ELDER)
    assert app.screen.name == "search"


def test_no_id_data_reaches_logs_requests_printer_or_files(
    pg: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from hardware.printer import open_printer

    caplog.set_level(logging.DEBUG)
    link = FakeLink()
    ticket_log = tmp_path / "tickets.bin"
    with open_printer("file", path=ticket_log) as printer:
        app = make_app(link, names=True, printer=printer)
        scan(app, ELDER)
        tap(app, "offer:yes")
        tap(app, "field:ho-tich")
        app.wait_idle()
        app.save_png(str(tmp_path / "screen.png"))
        scan(app, b"|".join(ELDER.split(b"|")[:3]))  # a cut-off scan, rejected: its message must not quote it
        app.close()
    assert app.screen.name == "ticket" and link.requests[0][1]["priority"] == "elderly_60"
    assert link.requests[0][1]["display_name"] == MASKED, "the masked name goes in the request, and only there"
    assert "Nguy" not in repr(app.screen.view), "the ticket printed (and shown) carries no name"
    printed = ticket_log.read_bytes()
    assert b"\x1dv0" in printed
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    requests = repr(link.requests)
    files = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret not in logged, secret
        assert secret not in requests, secret
        for encoding in ("utf-8", "utf-16-le", "ascii"):
            try:
                needle = secret.encode(encoding)
            except UnicodeEncodeError:
                continue
            assert needle not in printed and needle not in files, (secret, encoding)
    assert MASKED not in logged and "Nguyễn" not in logged
    for encoding in ("utf-8", "utf-16-le"):
        for needle in (MASKED.encode(encoding), "Nguy".encode(encoding)):
            assert needle not in printed and needle not in files, encoding


def test_printer_alarms_raised_on_paper_out_and_cleared_when_refilled(pg: Any) -> None:
    from hardware.printer import TicketPrinter

    class SerialPrinter:  # escpos's Serial as the kiosk sees it: status answers from ``paper``
        paper = b"\x72"  # DLE EOT 4: paper end

        def is_online(self) -> bool:
            return True

        def query_status(self, _: bytes) -> bytes:
            return self.paper

        def image(self, *args: Any, **kwargs: Any) -> None:
            pass

        def cut(self) -> None:
            pass

        def close(self) -> None:
            pass

    escpos = SerialPrinter()
    link = AlarmLink()
    app = make_app(link, printer=TicketPrinter("serial", escpos))
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.screen.name == "printer_error"
    assert link.alarm_sets == [["printer_paper_out"]]
    escpos.paper = b"\x1e"  # near end: printing works, the office is warned
    app.clock.t += 31
    app.update()
    app.wait_idle()
    app._check.result(5)
    assert link.alarm_sets[-1] == ["printer_paper_near_end"]
    escpos.paper = b"\x12"  # refilled
    app.clock.t += 31
    app.update()
    app._check.result(5)
    assert link.alarm_sets[-1] == []


def test_scanner_lost_is_an_alarm_of_its_own(pg: Any) -> None:
    link = AlarmLink()
    app = make_app(link)
    app.scanner_status(False)
    app.alarm_board.set("printer", {"printer_offline"})
    app.scanner_status(True)
    assert link.alarm_sets == [["scanner_error"], ["printer_offline", "scanner_error"], ["printer_offline"]]


def test_a_name_that_does_not_mask_is_not_sent_and_not_logged(pg: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(FakeLink(), names=True)
    scan(app, ELDER.replace("NGUYỄN VĂN AN".encode(), "LÊ".encode()))  # one word: "Lê" would be the whole name
    tap(app, "offer:yes")
    tap(app, "field:ho-tich")
    app.wait_idle()
    assert app.link.requests == [("issue_ticket", {"service_id": "ho-tich", "priority": "elderly_60"})]
    assert "masked name not sent" in caplog.text and "Lê" not in caplog.text
