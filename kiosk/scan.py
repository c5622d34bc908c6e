"""What the kiosk does with an ID-card scan: offer the 60+ priority, and nothing else.

The scanner's thread hands the raw bytes to :meth:`kiosk.app.KioskApp.scan`, which queues them for the screen's
thread; :func:`handle_scan` then parses them with :mod:`kiosk.cccd` into an age (and, if the office enables it,
a masked name) and drops the rest at once. Nothing else from the card is sent to the server, printed, logged
or written anywhere: the ticket request carries the priority category, exactly as when the citizen taps it,
and, only if the office enables ``show_masked_name``, the masked name for the counter's screen
(``KioskApp._sendable_name``; docs/kiosk.md says why that is safe).

A scan is taken on the home and priority screens only (elsewhere it is ignored: the citizen is busy with
something else). A garbled scan shows a friendly banner for a few seconds and changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kiosk.cccd import CccdError, parse_cccd_qr
from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.app import KioskApp

logger = logging.getLogger(__name__)
ELDERLY = "elderly_60"
SCAN_SCREENS = frozenset({"home", "priority"})
GARBLED = N_("Không đọc được thẻ. Vui lòng quét lại mã QR trên thẻ căn cước.")
NOT_ELDERLY = N_("Đã đọc thẻ. Mời chọn lĩnh vực để lấy số.")
GARBLED_CHECK_IN = N_("Không đọc được mã xác nhận. Xin quét lại hoặc nhập 6 chữ số.")
ALREADY = N_("Bạn đã chọn số ưu tiên. Mời chọn lĩnh vực.")


def handle_scan(app: KioskApp, payload: bytes | None) -> None:
    """One scan (None: the scanner dropped an unreadable, over-long one); runs on the screen's thread."""
    from kiosk.check_in import code_of_scan, is_check_in_scan
    from kiosk.screens.scan import ScanOfferScreen

    if payload is not None and is_check_in_scan(payload) and not app.busy:
        code = code_of_scan(payload)  # a ticket page's QR (remote number), on any screen: the citizen came for it
        if code is None:
            app.show_notice(GARBLED_CHECK_IN)
        else:
            app.check_in(code)
        return
    if app.busy or app.screen.name not in SCAN_SCREENS:
        logger.info("ID-card scan ignored on the %s screen", app.screen.name)
        return
    if payload is None:
        app.show_notice(GARBLED)
        return
    try:
        holder = parse_cccd_qr(payload, today=app.clock.now().date(), with_name=app.config.scanner.show_masked_name)
    except CccdError:
        app.show_notice(GARBLED)  # the parser has logged why, without the data
        return
    finally:
        del payload
    elderly, name = holder.elderly and ELDERLY in app.office.priority_categories, holder.masked_name
    del holder
    if not elderly:
        app.show_notice(NOT_ELDERLY)
    elif app.priority is not None:
        app.show_notice(ALREADY)
    else:
        logger.info("ID-card scan: offering the 60+ priority")
        app.go(ScanOfferScreen(app, name))
