"""The citizen kiosk's touchscreen app: a small state machine of screens drawn with pygame.

The app owns no connection: it is given a link (``DeviceLink`` or a fake with ``request``, ``connected`` and an
``on_state`` attribute), a printer (``hardware.printer.TicketPrinter``) or None, the procedure catalogue, the
office (fields, counters) and a clock. ``kiosk.main`` builds the real ones; tests pass fakes or the real ones.

Drive it with :meth:`KioskApp.step` (events, then :meth:`update`, then :meth:`draw`)::

    app = KioskApp(link, printer, catalogue, office, clock=SystemClock(), config=KioskConfig())
    while app.running:
        app.step()

Taking a ticket runs ``issue_ticket`` and printing on a worker thread so the screen stays alive; while one is in
flight every ticket button is disabled and further taps are ignored, so a double tap issues one ticket. With the
link down no request is sent: the offline screen says the system is reconnecting. A request carries a time to
live (``timing.request_timeout_s``): a citizen told "reconnecting" never gets a ticket printed later, and a
late reply that still brings one is logged, not printed (docs/kiosk.md, "Late replies").

Printer status is checked before and after each print and every ``timing.printer_check_s`` while idle; the
kiosk's alarms (paper out, near end, offline, scanner lost) go to the server through ``link.set_alarms``.
ID-card scans arrive on the scanner's thread through :meth:`KioskApp.scan` (see :mod:`kiosk.scan`).

The estimated wait is the server's forecast from the reply (``kiosk/wait_forecast.py``): the engine's calling
rule run forward over the counters open now, printed as a range with the expected call time in office time.

A refusal with ``after_closing`` (the capacity cut-off: the predicted call falls after closing) is never silent:
:class:`kiosk.screens.late.LateScreen` shows the prediction and offers the number anyway (the same request again
with ``accept_late: true``) or the next opening (nothing printed); see :mod:`kiosk.late`.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pygame

from hardware.printer import PrinterError, TicketPrinter
from kiosk import i18n
from kiosk.alarms import AlarmBoard, PrinterWatch
from kiosk.callbacks import Callbacks
from kiosk.catalogue import Catalogue
from kiosk.check_in import CheckInResult
from kiosk.config import KioskConfig, OfficeInfo, in_office_time, office_from_state
from kiosk.late import AFTER_CLOSING, IssueRequest, LateNotice, late_notice
from kiosk.office_copy import NOTICE_TEXT, catalogue_of
from kiosk.screens.base import GAP, HEADER_H, MARGIN, TOUCH_MIN, YELLOW, Button, Label, Screen, Widget, draw, font
from kiosk.ticket import TicketView
from kiosk.wait_forecast import wait_forecast
from queue_server.contract.link import Link
from queue_server.contract.masked_name import is_masked_name
from queue_server.contract.messages import ContractError, ErrorCode
from queue_server.contract.office import Office
from queue_server.contract.office_feed import OfficeFeed
from queue_server.contract.payloads import EXPIRED, Reply

logger = logging.getLogger(__name__)
OFFICE_NOTICE_H = 36
"""The strip along the bottom saying the kiosk runs on its cached office copy (``OfficeFeed.notice``)."""
OFFLINE_HOLD_SECONDS = 5.0
"""After a request timed out, "reconnecting" stays this long even if the link says it is up."""


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now().astimezone()


@dataclass(frozen=True)
class Outcome:
    """What one tap on a field ended in: a ticket (maybe unprinted) or an error code from the server."""

    ticket: TicketView | None = None
    printer_error: PrinterError | None = None
    error: str | None = None
    late: LateNotice | None = None
    """With ``error == "after_closing"``: the server's prediction, for the citizen to decide."""
    request: IssueRequest | None = None
    check_in: CheckInResult | None = None
    """A remote number's check-in (``kiosk/check_in.py``) rather than a ticket."""


class KioskApp(Callbacks):
    def __init__(
        self,
        link: Link,
        printer: TicketPrinter | None,
        catalogue: Catalogue,
        office: OfficeInfo,
        *,
        clock: Clock,
        config: KioskConfig,
        surface: pygame.Surface | None = None,
        office_feed: OfficeFeed | None = None,
    ) -> None:
        """``office_feed``: the server's ``state/office`` (live kiosk); without it ``office`` never changes."""
        from kiosk.screens.home import HomeScreen

        font.cache_clear()  # fonts cached by an earlier pygame.init() are dangling after pygame.quit()
        self.link, self.printer, self.catalogue, self.office = link, printer, catalogue, office
        self.clock, self.config = clock, config
        self.surface = surface if surface is not None else pygame.display.set_mode(config.display.size)
        self.waiting: dict[str, int] = {}
        self.priority: str | None = None
        self.alarms: list[PrinterError] = []
        """Printer faults seen, newest last; the office learns of them through ``alarm_board``."""
        self.alarm_board = AlarmBoard(link)
        self.printer_watch = PrinterWatch(printer, self.alarm_board, configured=config.printer.kind != "none")
        self.masked_name: str | None = None
        self.notice: tuple[str, float] | None = None
        self.scans: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.office_feed = office_feed
        self.office_updates: queue.SimpleQueue[Office] = queue.SimpleQueue()
        if office_feed is not None:
            office_feed.on_change(self.office_updates.put)
        self._check: Future[None] | None = None
        self._last_check = clock.monotonic()
        self.late_tickets: list[str] = []
        """Labels of tickets the server issued after the citizen had been told "reconnecting" (not printed)."""
        self.requests_sent = 0
        self.running = True
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-issue")
        self._pending: Future[Outcome] | None = None
        self._last_input = clock.monotonic()
        self._home = HomeScreen
        self.screen: Screen = HomeScreen(self)
        self.widgets: list[Widget] = []
        link.on_state = self.on_state
        if hasattr(link, "on_late_reply"):
            link.on_late_reply = self.on_late_reply
        i18n.set_language("vi")
        self.rebuild()

    # -- navigation -------------------------------------------------------------------------------------------
    def go(self, screen: Screen) -> None:
        logger.debug("screen %s -> %s", self.screen.name, screen.name)
        self.screen = screen
        self.screen_since = self.clock.monotonic()
        self.rebuild()

    def home(self) -> None:
        """Back to the start for the next citizen: Vietnamese, no priority, home screen."""
        i18n.set_language("vi")
        self.priority = self.masked_name = self.notice = None
        self.go(self._home(self))

    def toggle_language(self) -> None:
        i18n.set_language("en" if i18n.language() == "vi" else "vi")
        self.rebuild()

    def attach_printer(self, opener: Callable[[], TicketPrinter | None]) -> None:
        """Open the printer on the worker thread, ahead of any ticket request (they share one queue)."""

        def attach() -> None:
            self.printer = self.printer_watch.printer = opener()
            self.printer_watch.check()  # paper out or no printer: the office knows before the first citizen

        self._pool.submit(attach)

    @property
    def busy(self) -> bool:
        return self._pending is not None

    # -- taking a ticket --------------------------------------------------------------------------------------
    def take_ticket(self, service_id: str) -> None:
        self._submit(IssueRequest(service_id, self.priority, self._sendable_name()), accept_late=False)

    def take_late(self, request: IssueRequest) -> None:
        """The citizen was told they may not be served today and still wants the number."""
        self._submit(request, accept_late=True)

    def _submit(self, request: IssueRequest, *, accept_late: bool) -> None:
        from kiosk.screens.status import MessageScreen

        if self._pending is not None:
            logger.info("tap ignored: a ticket request is already in flight")
            return
        if not self.link.connected:
            self.go(MessageScreen.offline(self))
            return
        self.requests_sent += 1
        self._pending = self._pool.submit(self._issue, request, accept_late)
        self.rebuild()

    def check_in(self, code: str) -> None:
        """A remote number's check-in (typed or scanned code), on the worker like a ticket request."""
        from kiosk.check_in import send_check_in
        from kiosk.screens.status import MessageScreen

        if self._pending is not None:
            return
        if not self.link.connected:
            self.go(MessageScreen.offline(self))
            return
        self._pending = self._pool.submit(lambda: Outcome(check_in=send_check_in(self, code)))
        self.rebuild()

    def _sendable_name(self) -> str | None:
        """The scanned masked name for the counter screen, only if the office enabled it and it is one."""
        if not self.config.scanner.show_masked_name or not self.masked_name:
            return None
        if not is_masked_name(self.masked_name):
            logger.info("masked name not sent: not in the masked form")  # never the name itself
            return None
        return self.masked_name

    def _issue(self, request: IssueRequest, accept_late: bool = False) -> Outcome:
        service_id = request.service_id
        ttl = self.config.timing.request_timeout_s
        reply = self.link.request("issue_ticket", request.body(accept_late=accept_late), timeout=ttl + 1.0, ttl=ttl)
        if reply is None:
            return Outcome(error="timeout")
        try:
            answer = Reply.parse(reply)
            ticket = answer.ticket()
        except ContractError as exc:
            logger.error("issue_ticket: unreadable reply: %s", exc.message)
            return Outcome(error=ErrorCode.MALFORMED.value)
        if answer.code == EXPIRED:
            return Outcome(error="timeout")
        if answer.code == AFTER_CLOSING and not accept_late:
            logger.info("issue_ticket: predicted call after closing; asking the citizen")
            raw = reply.get("error")  # the forecast and next opening ride beside code and message
            late = late_notice(raw if isinstance(raw, dict) else {}, self.office.utc_offset_minutes)
            return Outcome(error=AFTER_CLOSING, late=late, request=request)
        if answer.error is not None or ticket is None:
            code = answer.code or ErrorCode.MALFORMED.value
            logger.error("issue_ticket refused: %s %s", code, answer.error.message if answer.error else "no ticket")
            return Outcome(error=code)
        service = self.office.service(service_id)
        counters = self.office.counters_for(service_id)
        ahead = ticket.people_ahead or 0
        wait = wait_forecast((answer.result or {}).get("forecast"), self.office.utc_offset_minutes)
        view = TicketView.from_reply(
            ticket,
            office_name=self.office.name,
            field_name=service.name_vi if service else service_id,
            counters=tuple(c.name or f"Quầy {c.number}" for c in counters),
            issued_at=in_office_time(self.clock.now(), self.office.utc_offset_minutes),
            wait=wait if ahead and wait is not None and wait.high_min > 0 else None,  # no "about 0 minutes"
        )
        self.printer_watch.printer = self.printer  # tests and the tour swap printers
        error = self.printer_watch.print(view, base_url=self.config.printer.base_url, width=self.config.printer.width)
        return Outcome(ticket=view, printer_error=error)

    def _finish(self, outcome: Outcome) -> None:
        from kiosk.screens.late import LateScreen
        from kiosk.screens.status import MessageScreen, TicketScreen

        if outcome.check_in is not None:
            from kiosk.screens.check_in import CheckInDoneScreen

            self.go(CheckInDoneScreen(self, outcome.check_in))
            return
        self.priority = None
        if outcome.late is not None and outcome.request is not None:
            self.go(LateScreen(self, outcome.late, outcome.request))
            return
        if outcome.ticket is None:
            timed_out = outcome.error == "timeout"
            if outcome.error == "clock_not_synced":
                self.go(MessageScreen.clock_not_synced(self))
                return
            if outcome.error == "rate_limited":
                self.go(MessageScreen.busy(self))
                return
            self.go(MessageScreen.offline(self, OFFLINE_HOLD_SECONDS) if timed_out else MessageScreen.refused(self))
            return
        if outcome.printer_error is not None:
            self.alarms.append(outcome.printer_error)
        self.go(TicketScreen(self, outcome.ticket, outcome.printer_error))

    # -- the loop ---------------------------------------------------------------------------------------------
    def handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
            return
        width, height = self.surface.get_size()
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and not getattr(event, "touch", False):
            self.tap(event.pos)
        elif event.type == pygame.FINGERDOWN:  # SDL also synthesises a mouse event with touch=True: ignored
            self.tap((round(event.x * width), round(event.y * height)))
        elif event.type == pygame.TEXTINPUT:
            self._touched()
            self.screen.on_text(event.text)
        elif event.type == pygame.KEYDOWN:
            self._touched()
            if event.key == pygame.K_ESCAPE:
                self.home()
            else:
                self.screen.on_key(event.key)
        else:
            return
        self.rebuild()

    def tap(self, pos: tuple[int, int]) -> None:
        self._touched()
        for widget in reversed(self.widgets):
            if isinstance(widget, Button) and widget.rect.collidepoint(pos):
                if widget.enabled:
                    widget.action()
                return

    def _touched(self) -> None:
        self._last_input = self.clock.monotonic()

    def update(self) -> None:
        """Finish a ticket request, follow the link state, apply the timeouts; call once per frame."""
        from kiosk.scan import handle_scan
        from kiosk.screens.status import MessageScreen, TicketScreen

        if self._pending is not None and self._pending.done():
            future, self._pending = self._pending, None
            self._finish(future.result())
        while not self.scans.empty():
            handle_scan(self, self.scans.get_nowait())
        while not self.office_updates.empty():
            self.apply_office(self.office_updates.get_nowait())
        now = self.clock.monotonic()
        self._watch_printer(now)
        if self.notice is not None and now >= self.notice[1]:
            self.notice = None
        offline = isinstance(self.screen, MessageScreen) and self.screen.name == "offline"
        held = offline and now - self.screen_since < getattr(self.screen, "hold_s", 0.0)
        ticket_done = isinstance(self.screen, TicketScreen) and now - self.screen_since >= self.screen.seconds
        if isinstance(self.screen, self._home) and not self.link.connected and self._pending is None:
            self.go(MessageScreen.offline(self))
        elif (offline and self.link.connected and not held) or ticket_done:
            self.home()
        elif not self._pristine() and not offline and now - self._last_input >= self.idle_s:
            logger.info("idle for %.0f s on %s: back home", now - self._last_input, self.screen.name)
            self.home()
        else:
            self.rebuild()

    def apply_office(self, office: Office) -> None:
        """A new copy of the office (screen thread): fields, counters and catalogue change on the next frame."""
        self.office = office_from_state(office)
        self.catalogue = catalogue_of(office, self.catalogue)
        logger.info("office %s applied: %d fields", office.version, len(office.services))
        self.rebuild()

    def _watch_printer(self, now: float) -> None:
        """Every ``printer_check_s`` while idle, query the printer on the worker thread (never the screen's)."""
        if self._check is not None and not self._check.done():
            return
        if self._pending is None and now - self._last_check >= self.config.timing.printer_check_s:
            self._last_check = now
            self.printer_watch.printer = self.printer
            self._check = self._pool.submit(self.printer_watch.check)

    def _pristine(self) -> bool:
        """Home, in Vietnamese, without a priority chosen: what the next citizen must find."""
        return isinstance(self.screen, self._home) and self.priority is None and i18n.language() == "vi"

    @property
    def idle_s(self) -> float:
        return self.config.timing.idle_timeout_s

    def rebuild(self) -> None:
        width, height = self.surface.get_size()
        office_notice = self.office_feed.notice(self.link.connected) if self.office_feed is not None else None
        strip_h = OFFICE_NOTICE_H if office_notice is not None else 0
        self.widgets = self.screen.build(width, height - strip_h)  # the screen above the strip, nothing hidden
        if self.notice is not None:
            banner = pygame.Rect(MARGIN, HEADER_H + GAP, width - 2 * MARGIN, TOUCH_MIN)
            self.widgets.append(Label(i18n._(self.notice[0]), banner, 34, bold=True, background=YELLOW))
        if office_notice is not None:
            strip = pygame.Rect(0, height - strip_h, width, strip_h)
            self.widgets.append(Label(i18n._(NOTICE_TEXT[office_notice]), strip, 24, background=YELLOW))

    def draw(self) -> None:
        draw(self.surface, self.widgets)
        pygame.display.flip()

    def step(self) -> None:
        for event in pygame.event.get():
            self.handle(event)
        self.update()
        self.draw()

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Block until a ticket request in flight has finished (tests and the screenshot tour)."""
        if self._pending is not None:
            self._pending.result(timeout)
        self.update()

    def texts(self) -> list[str]:
        """The screen's view model: every label and button text, in drawing order."""
        out: list[str] = []
        for widget in self.widgets:
            out.extend(t for t in (widget.text, getattr(widget, "detail", "")) if t)
        return out

    def button(self, key: str) -> Button:
        return next(w for w in self.widgets if isinstance(w, Button) and w.key == key)

    def buttons(self, prefix: str = "") -> list[Button]:
        return [w for w in self.widgets if isinstance(w, Button) and w.key.startswith(prefix)]

    def save_png(self, path: str) -> None:
        self.draw()
        pygame.image.save(self.surface, path)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
