"""The kiosk's copy of the office, kept live: a new ``state/office`` replaces the fields, counters and catalogue.

The link's thread only queues a copy (``OfficeFeed`` listener); the screen's thread applies it on the next frame
(``KioskApp.update``), so a rename shows on the home screen within a frame, without a restart. A catalogue in
the copy that does not validate is logged and the one in use kept: a citizen never meets an empty search.
"""

from __future__ import annotations

import logging

from kiosk.catalogue import Catalogue, CatalogueError, validate_document
from queue_server.contract.office import Office
from queue_server.contract.office_feed import OfficeNotice

logger = logging.getLogger(__name__)

NOTICE_TEXT = {
    OfficeNotice.CACHED_SERVER_OFFLINE: "Đang dùng cấu hình lưu sẵn (máy chủ chưa kết nối)",
    OfficeNotice.OLDER_THAN_SERVER: "Cấu hình đang dùng cũ hơn của máy chủ",
    OfficeNotice.NO_OFFICE: "Chưa có cấu hình văn phòng (máy chủ chưa kết nối)",
}
"""Message ids (Vietnamese, the kiosk's source language) for ``kiosk.i18n._``."""


def catalogue_of(office: Office, previous: Catalogue) -> Catalogue:
    """The office's catalogue if it has a valid one, else ``previous`` (none uploaded, or invalid: logged)."""
    if office.catalogue is None:
        return previous
    try:
        procedures = validate_document(office.catalogue)
    except CatalogueError as exc:
        logger.error("catalogue in state/office refused, keeping the one in use: %d problems", len(exc.problems))
        return previous
    if office.catalogue_sha256:
        logger.info("catalogue applied: %d procedures (sha256 %s)", len(procedures), office.catalogue_sha256[:12])
    return Catalogue(procedures)
