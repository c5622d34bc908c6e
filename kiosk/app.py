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
link down no request is sent: the offline screen says the system is reconnecting.

Estimated wait = ceil(people ahead x ``timing.avg_service_min`` / counters serving the field), where "counters
serving" are those the office config assigns to the field (the kiosk does not yet know which are staffed).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pygame

from hardware.printer import PrinterError, PrinterFault, TicketPrinter, print_ticket
from kiosk import i18n
from kiosk.catalogue import Catalogue
from kiosk.config import KioskConfig, OfficeInfo
from kiosk.screens.base import Button, Screen, Widget, draw, font
from kiosk.ticket import TicketView, render_ticket

logger = logging.getLogger(__name__)
Reply = dict[str, Any]


class Link(Protocol):
    on_state: Callable[[str, dict[str, Any]], None] | None

    @property
    def connected(self) -> bool: ...

    def request(self, request_type: str, body: dict[str, Any], timeout: float = ...) -> Reply | None: ...


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


class KioskApp:
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
    ) -> None:
        from kiosk.screens.home import HomeScreen

        font.cache_clear()  # fonts cached by an earlier pygame.init() are dangling after pygame.quit()
        self.link, self.printer, self.catalogue, self.office = link, printer, catalogue, office
        self.clock, self.config = clock, config
        self.surface = surface if surface is not None else pygame.display.set_mode(config.display.size)
        self.waiting: dict[str, int] = {}
        self.priority: str | None = None
        self.alarms: list[PrinterError] = []
        """Printer faults seen, newest last (for the office's alarm, not yet sent to the server)."""
        self.requests_sent = 0
        self.running = True
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-issue")
        self._pending: Future[Outcome] | None = None
        self._last_input = clock.monotonic()
        self._home = HomeScreen
        self.screen: Screen = HomeScreen(self)
        self.widgets: list[Widget] = []
        link.on_state = self.on_state
        i18n.set_language("vi")
        self.rebuild()

    # -- collaborators' callbacks -----------------------------------------------------------------------------
    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        """Retained state from the server (called on the link's thread): keeps the waiting counts."""
        if topic.endswith("/state/waiting") and isinstance(data.get("waiting"), dict):
            self.waiting = {str(k): int(v) for k, v in data["waiting"].items()}

    # -- navigation -------------------------------------------------------------------------------------------
    def go(self, screen: Screen) -> None:
        logger.debug("screen %s -> %s", self.screen.name, screen.name)
        self.screen = screen
        self.screen_since = self.clock.monotonic()
        self.rebuild()

    def home(self) -> None:
        """Back to the start for the next citizen: Vietnamese, no priority, home screen."""
        i18n.set_language("vi")
        self.priority = None
        self.go(self._home(self))

    def toggle_language(self) -> None:
        i18n.set_language("en" if i18n.language() == "vi" else "vi")
        self.rebuild()

    @property
    def busy(self) -> bool:
        return self._pending is not None

    # -- taking a ticket --------------------------------------------------------------------------------------
    def take_ticket(self, service_id: str) -> None:
        from kiosk.screens.status import MessageScreen

        if self._pending is not None:
            logger.info("tap ignored: a ticket request is already in flight")
            return
        if not self.link.connected:
            self.go(MessageScreen.offline(self))
            return
        self.requests_sent += 1
        self._pending = self._pool.submit(self._issue, service_id, self.priority)
        self.rebuild()

    def _issue(self, service_id: str, priority: str | None) -> Outcome:
        body = {"service_id": service_id, "priority": priority}
        reply = self.link.request("issue_ticket", body, timeout=self.config.link.request_timeout_s)
        if reply is None:
            return Outcome(error="timeout")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            logger.error("issue_ticket refused: %s %s", error.get("code"), error.get("message"))
            return Outcome(error=str(error.get("code", "error")))
        ticket = reply["result"]["ticket"]
        service = self.office.service(service_id)
        counters = self.office.counters_for(service_id)
        ahead = int(ticket.get("people_ahead") or 0)
        wait = math.ceil(ahead * self.config.timing.avg_service_min / max(1, len(counters)))
        view = TicketView.from_reply(
            ticket,
            office_name=self.office.name,
            field_name=service.name_vi if service else service_id,
            counters=tuple(c.name or f"Quầy {c.number}" for c in counters),
            issued_at=self.clock.now(),
            estimated_wait_min=wait if ahead else None,  # nobody ahead: no "about 0 minutes"
        )
        return Outcome(ticket=view, printer_error=self._print(view))

    def _print(self, view: TicketView) -> PrinterError | None:
        if self.printer is None:
            return PrinterError(PrinterFault.NOT_FOUND, "no printer configured or it failed to open")
        try:
            image = render_ticket(view, base_url=self.config.printer.base_url, width=self.config.printer.width)
            print_ticket(self.printer, image)
        except PrinterError as exc:
            logger.error("ticket %s not printed: %s", view.label, exc)
            return exc
        except Exception as exc:
            logger.exception("ticket %s not printed", view.label)
            return PrinterError(PrinterFault.WRITE_FAILED, f"{type(exc).__name__}: {exc}")
        return None

    def _finish(self, outcome: Outcome) -> None:
        from kiosk.screens.status import MessageScreen, TicketScreen

        self.priority = None
        if outcome.ticket is None:
            self.go(MessageScreen.offline(self) if outcome.error == "timeout" else MessageScreen.refused(self))
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
        from kiosk.screens.status import MessageScreen, TicketScreen

        if self._pending is not None and self._pending.done():
            future, self._pending = self._pending, None
            self._finish(future.result())
        now = self.clock.monotonic()
        offline = isinstance(self.screen, MessageScreen) and self.screen.name == "offline"
        ticket_done = isinstance(self.screen, TicketScreen) and now - self.screen_since >= self.screen.seconds
        if isinstance(self.screen, self._home) and not self.link.connected and self._pending is None:
            self.go(MessageScreen.offline(self))
        elif (offline and self.link.connected) or ticket_done:
            self.home()
        elif not self._pristine() and not offline and now - self._last_input >= self.idle_s:
            logger.info("idle for %.0f s on %s: back home", now - self._last_input, self.screen.name)
            self.home()
        else:
            self.rebuild()

    def _pristine(self) -> bool:
        """Home, in Vietnamese, without a priority chosen: what the next citizen must find."""
        return isinstance(self.screen, self._home) and self.priority is None and i18n.language() == "vi"

    @property
    def idle_s(self) -> float:
        return self.config.timing.idle_timeout_s

    def rebuild(self) -> None:
        self.widgets = self.screen.build(*self.surface.get_size())

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
