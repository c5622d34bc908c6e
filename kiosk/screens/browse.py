"""Finding a procedure: the search box with its on-screen keyboard, procedure lists, a procedure's details.

The keyboard has the 26 Latin letters in alphabetical order, a space and a delete key, and no diacritics: the
catalogue's search folds them away (kiosk.text.fold), so "dang ky khai sinh" finds "Đăng ký khai sinh". A
physical keyboard (or a Vietnamese input method) types into the same box. Lists paginate instead of scrolling.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import pygame

from kiosk.catalogue import Procedure
from kiosk.i18n import _
from kiosk.screens.base import (
    GAP,
    HEADER_H,
    MARGIN,
    PALE,
    TOUCH_MIN,
    Button,
    Label,
    Screen,
    Widget,
    fits,
    font,
    grid,
    header,
    row,
    wrap,
)
from kiosk.screens.base import pager as page_bar

KEYS = (*string.ascii_lowercase, "space", "delete")
KEY_GAP = 8


class SearchScreen(Screen):
    name = "search"

    def __init__(self, app: object) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.query = ""
        self.page = 0

    def on_text(self, text: str) -> None:
        self.query = (self.query + text)[:60]
        self.page = 0

    def on_key(self, key: int) -> None:
        if key == pygame.K_BACKSPACE:
            self.query = self.query[:-1]
            self.page = 0

    def _key(self, key: str) -> None:
        if key == "delete":
            self.query = self.query[:-1]
        else:
            self.query = (self.query + (" " if key == "space" else key))[:60]
        self.page = 0

    def _go_page(self, page: int) -> None:
        self.page = page

    def results(self) -> list[Procedure]:
        return self.app.catalogue.search(self.query)

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, _("Tra cứu thủ tục"))
        per_row = max(1, (width - 2 * MARGIN + KEY_GAP) // (TOUCH_MIN + KEY_GAP))
        key_rows = -(-len(KEYS) // per_row)
        keyboard_h = key_rows * TOUCH_MIN + (key_rows - 1) * KEY_GAP
        keyboard = pygame.Rect(MARGIN, height - MARGIN - keyboard_h, width - 2 * MARGIN, keyboard_h)
        top = HEADER_H + GAP
        back = pygame.Rect(MARGIN, top, 230, TOUCH_MIN)
        widgets.append(Button("back", "◀ " + _("Trang chủ"), back, app.home, "secondary", size=30))
        nav = pygame.Rect(width - MARGIN - 3 * TOUCH_MIN - 2 * GAP, top, 3 * TOUCH_MIN + 2 * GAP, TOUCH_MIN)
        box = pygame.Rect(back.right + GAP, top, nav.x - GAP - back.right - GAP, TOUCH_MIN)
        placeholder = _("Gõ tên thủ tục, không cần dấu")
        widgets.append(Label(self.query + "▏" if self.query else placeholder, box, 34, align="left", background=PALE))
        area = pygame.Rect(MARGIN, box.bottom + GAP, width - 2 * MARGIN, keyboard.y - GAP - box.bottom - GAP)
        if self.query:
            items: Sequence[tuple[str, str, object]] = [
                (f"procedure:{p.code}", p.name, lambda p=p: app.go(DetailScreen(app, p))) for p in self.results()
            ]
            if not items:
                widgets.append(Label(_("Không tìm thấy thủ tục. Hãy thử từ khác."), area, 30))
        else:
            items = [
                (f"browse:{f}", f, lambda f=f: app.go(ProcedureListScreen(app, f, app.catalogue.in_field(f))))
                for f in app.catalogue.fields()
            ]
        widgets += _paged(self, area, items, self.page, self._go_page, 2 if width > height else 1, nav)
        columns = min(per_row, len(KEYS))
        for key, rect in zip(KEYS, _keys(keyboard, columns), strict=True):
            label = {"space": _("Cách"), "delete": "⌫ " + _("Xoá")}.get(key, key.upper())
            widgets.append(Button(f"key:{key}", label, rect, lambda k=key: self._key(k), "secondary", size=36))  # type: ignore[misc]
        return widgets


def _keys(area: pygame.Rect, columns: int) -> list[pygame.Rect]:
    """Key rectangles, row by row; on the last row the space bar takes whatever width is left."""
    width = (area.width - KEY_GAP * (columns - 1)) // columns
    rects = [
        pygame.Rect(
            area.x + (i % columns) * (width + KEY_GAP),
            area.y + (i // columns) * (TOUCH_MIN + KEY_GAP),
            width,
            TOUCH_MIN,
        )
        for i in range(len(KEYS))
    ]
    spare = columns - 1 - (len(KEYS) - 1) % columns
    if spare:
        space, delete = rects[-2], rects[-1]
        wide = min(spare, 1)  # the delete key gets one more cell if there is room, the space bar the rest
        space.width += (spare - wide) * (width + KEY_GAP)
        delete.x, delete.width = space.right + KEY_GAP, width + wide * (width + KEY_GAP)
    return rects


def _paged(
    screen: Screen,
    area: pygame.Rect,
    items: Sequence[tuple[str, str, object]],
    page: int,
    go: object,
    columns: int,
    nav: pygame.Rect | None = None,
) -> list[Widget]:
    """Buttons for ``items`` (key, text, action), a page at a time, with a pager (in ``nav`` if given)."""
    rows = fits(area.height, TOUCH_MIN)
    per_page = rows * columns
    widgets: list[Widget] = []
    if nav is not None:
        pages = max(1, -(-len(items) // per_page))
        page = min(page, pages - 1)
        widgets += page_bar(screen, nav, page, pages, go, compact=True)  # type: ignore[arg-type]
    elif len(items) > per_page:
        rows = fits(area.height - TOUCH_MIN - GAP, TOUCH_MIN)
        per_page = max(1, rows * columns)
        pages = -(-len(items) // per_page)
        nav = pygame.Rect(area.x, area.bottom - TOUCH_MIN, area.width, TOUCH_MIN)
        area = pygame.Rect(area.x, area.y, area.width, area.height - TOUCH_MIN - GAP)
        page = min(page, pages - 1)
        widgets += page_bar(screen, nav, page, pages, go)  # type: ignore[arg-type]
    shown = items[page * per_page : (page + 1) * per_page]
    height = min(130, (area.height - GAP * (rows - 1)) // max(1, rows))
    for (key, text, action), rect in zip(shown, grid(area, len(shown), columns, height), strict=True):
        widgets.append(Button(key, text, rect, action, "primary", size=30))  # type: ignore[arg-type]
    return widgets


class ProcedureListScreen(Screen):
    name = "procedures"

    def __init__(self, app: object, title: str, procedures: Sequence[Procedure]) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.title, self.procedures, self.page = title, procedures, 0

    def _go_page(self, page: int) -> None:
        self.page = page

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, self.title)
        back = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        widgets.append(Button("back", "◀ " + _("Quay lại"), back, lambda: app.go(SearchScreen(app)), "secondary"))
        area = pygame.Rect(MARGIN, HEADER_H + GAP, width - 2 * MARGIN, back.y - 2 * GAP - HEADER_H)
        items = [(f"procedure:{p.code}", p.name, lambda p=p: app.go(DetailScreen(app, p))) for p in self.procedures]
        return widgets + _paged(self, area, items, self.page, self._go_page, 1)


class DetailScreen(Screen):
    """What to bring, how long, how much; the button to take a ticket for the procedure's field."""

    name = "detail"

    def __init__(self, app: object, procedure: Procedure) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.procedure, self.page = procedure, 0

    def _go_page(self, page: int) -> None:
        self.page = page

    def build(self, width: int, height: int) -> list[Widget]:
        app, p = self.app, self.procedure
        widgets = header(app, width, p.field)
        top = HEADER_H + GAP
        name = pygame.Rect(MARGIN, top, width - 2 * MARGIN, 100)
        widgets.append(Label(p.name, name, 34, bold=True, align="left"))
        facts = [
            _("Thời hạn giải quyết: {value}").format(value=p.time_limit or _("theo quy định")),
            _("Lệ phí: {value}").format(value=p.fee or _("theo quy định")),
        ]
        fact_rect = pygame.Rect(MARGIN, name.bottom + 4, width - 2 * MARGIN, 40)
        widgets.append(Label("   ·   ".join(facts), fact_rect, 26, align="left"))
        bottom = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        area = pygame.Rect(MARGIN, fact_rect.bottom + GAP, width - 2 * MARGIN, bottom.y - GAP - fact_rect.bottom - GAP)
        pages = _paper_pages(p.papers, area.width, area.height - 44)
        page = min(self.page, len(pages) - 1)
        title = _("Giấy tờ cần mang") + (f" ({page + 1}/{len(pages)})" if len(pages) > 1 else "")
        widgets.append(Label(title, pygame.Rect(area.x, area.y, area.width, 40), 28, bold=True, align="left"))
        y = area.y + 44
        for text, lines in pages[page]:
            rect = pygame.Rect(area.x, y, area.width, lines * font(26).get_linesize())
            widgets.append(Label("• " + text, rect, 26, align="left"))
            y = rect.bottom + 6
        service = app.office.service(p.service_id) if p.service_id else None
        cells = row(bottom, 4 if service else 3)
        widgets.append(Button("back", "◀ " + _("Quay lại"), cells[0], lambda: app.go(SearchScreen(app)), "secondary"))
        widgets.append(Button("page:prev", "▲", cells[1], lambda: self._go_page(page - 1), "secondary", page > 0))
        more = page < len(pages) - 1
        widgets.append(Button("page:next", "▼", cells[2], lambda: self._go_page(page + 1), "secondary", more))
        if service is not None:
            sid = service.id
            text = _("Lấy số") + " " + service.name(app_language())
            widgets.append(Button(f"field:{sid}", text, cells[3], lambda: app.take_ticket(sid), enabled=not app.busy))
        return widgets


def app_language() -> str:
    from kiosk.i18n import language

    return language()


def _paper_pages(papers: Sequence[str], width: int, height: int) -> list[list[tuple[str, int]]]:
    """Papers split into pages that fit ``height`` at 26 px, each with its number of lines."""
    face = font(26)
    line_h = face.get_linesize()
    pages: list[list[tuple[str, int]]] = [[]]
    used = 0
    for paper in papers or (_("Xem hướng dẫn tại quầy"),):
        lines = min(len(wrap("• " + paper, face, width)), max(1, height // line_h))
        need = lines * line_h + 6
        if pages[-1] and used + need > height:
            pages.append([])
            used = 0
        pages[-1].append((paper, lines))
        used += need
    return pages
