"""Choosing where to transfer a citizen with one button: press to show a field, press again for the next, hold.

A counter has five staff buttons and no keypad, so a transfer is chosen on the counter display: the first press
of "transfer" shows the first target field ("→ Đất đai"), each further press the next one (wrapping round), and
holding the button confirms the one shown. Nothing is sent until the hold; a choice left alone for
``timeout_seconds`` is cancelled, so a half-made transfer never waits to be confirmed by accident later.

The ticket's own field is left out of the cycle (the server refuses a transfer to where it already is).

Pure and clock-injected; ``CounterUnit`` drives it and shows the choice through the counter display model.

Example::

    chooser = TransferChooser([("dat-dai", "Đất đai"), ("cu-tru", "Cư trú")], timeout_seconds=10)
    chooser.step(exclude="ho-tich")    # TransferChoice("dat-dai", "Đất đai", 0, 2)
    chooser.step(exclude="ho-tich")    # TransferChoice("cu-tru", "Cư trú", 1, 2)
    chooser.take()                     # the hold: returns cu-tru and clears the choice
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TransferChoice:
    service_id: str
    name: str
    index: int
    """0-based position among the targets offered for this ticket."""
    count: int

    @property
    def position(self) -> str:
        """``"2/3"``: where the staff member is in the cycle."""
        return f"{self.index + 1}/{self.count}"


class TransferChooser:
    def __init__(
        self,
        targets: Sequence[tuple[str, str]],
        *,
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.targets = list(targets)
        """``(service id, name shown)`` in the order the button cycles through them."""
        self.timeout_seconds, self.clock = timeout_seconds, clock
        self._choice: TransferChoice | None = None
        self._touched = float("-inf")

    def step(self, exclude: str | None = None) -> TransferChoice | None:
        """A short press: the first target, or the one after the current; None when there is nowhere to go."""
        offered = [t for t in self.targets if t[0] != exclude]
        if not offered:
            self._choice = None
            return None
        current = self.current()
        index = 0 if current is None or current.count != len(offered) else (current.index + 1) % len(offered)
        service_id, name = offered[index]
        self._choice, self._touched = TransferChoice(service_id, name, index, len(offered)), self.clock()
        return self._choice

    def current(self) -> TransferChoice | None:
        """The choice shown now; None when there is none or it has timed out."""
        if self._choice is not None and self.clock() - self._touched > self.timeout_seconds:
            self._choice = None
        return self._choice

    def take(self) -> TransferChoice | None:
        """The hold: the choice shown (if still valid), which is cleared."""
        choice = self.current()
        self._choice = None
        return choice

    def cancel(self) -> bool:
        """Drop the choice; True if there was one."""
        had = self._choice is not None
        self._choice = None
        return had
