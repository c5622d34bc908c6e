"""What a counter display driver is given to show: one screenful, as a protocol, so drivers (the serial LED
board here, the pygame screen and the PNG output in ``firmware.display``) depend on no firmware module.

``firmware.display.counter_model.CounterView`` (a frozen dataclass) is the one implementation; its docstring says
what each mode shows.
"""

from __future__ import annotations

from typing import Literal, Protocol

Mode = Literal["serving", "idle", "paused", "link_lost", "transfer"]


class CounterView(Protocol):
    @property
    def mode(self) -> Mode: ...

    @property
    def counter_number(self) -> int | None: ...

    @property
    def label(self) -> str | None:
        """The ticket number in modes "serving" and "transfer"."""

    @property
    def service(self) -> str | None:
        """The field chosen as the transfer target ("transfer" mode)."""

    @property
    def position(self) -> str | None:
        """Which of the transfer targets is shown ("2/3")."""

    @property
    def display_name(self) -> str | None:
        """The citizen's masked name, when the office lets the kiosk send it."""

    @property
    def notice(self) -> str | None:
        """What the screen says about its copy of the office (running from the cache, older than the server's)."""

    @property
    def counter_text(self) -> str:
        """The counter as people read it ("Quầy 3")."""

    @property
    def headline(self) -> str:
        """The big text: the ticket number, or the state that replaces it."""


class CounterDisplayDriver(Protocol):
    """A counter display: shows each view it is given (the runner sends it on change and on refresh)."""

    def show(self, view: CounterView) -> object: ...
