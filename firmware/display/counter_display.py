"""The counter display's runner: follows the link and the model, and pushes each new view to its outputs.

Outputs are anything with ``show(view)``: the serial LED board (``hardware.serial_display``), the pygame screen
(``firmware.display.counter_screen``), or both. A view is sent when it changes, and again every
``refresh_seconds`` so a board that lost power shows the right thing soon after it is back. A failing output
is logged and does not stop the others. ``run`` sleeps on the model's change signal, so new state is shown as
soon as it arrives; the link is checked at least every ``interval``.

Example::

    model = CounterDisplayModel("tuan-giao", "quay-3", services=names)
    link = DeviceLink(..., on_state=model.on_state, state_topics=model.state_topics())
    with link, SerialCounterDisplay("/dev/serial0") as board:
        CounterDisplay(model, [board]).run(link, stop)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from firmware.display.counter_model import CounterDisplayModel, CounterView
from hardware.counter_view import CounterDisplayDriver
from queue_server.contract.link import Link

logger = logging.getLogger(__name__)


Output = CounterDisplayDriver
"""An output of the runner: any counter display driver (``hardware.counter_view``)."""


class CounterDisplay:
    def __init__(
        self,
        model: CounterDisplayModel,
        outputs: Sequence[Output],
        *,
        refresh_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model, self.outputs = model, list(outputs)
        self.refresh_seconds, self.clock = refresh_seconds, clock
        self._last: CounterView | None = None
        self._sent_at = float("-inf")

    def tick(self, connected: bool) -> CounterView:
        """Follow the link; send the view to every output if it changed or is due for a refresh."""
        self.model.set_link(connected)
        view = self.model.view()
        now = self.clock()
        if view != self._last or now - self._sent_at >= self.refresh_seconds:
            for output in self.outputs:
                try:
                    output.show(view)
                except Exception:
                    logger.exception("counter display output %r failed", output)
            self._last, self._sent_at = view, now
        return view

    def run(self, link: Link, stop: threading.Event, interval: float = 0.1) -> None:
        while not stop.is_set():
            self.model.wait_changed(interval)
            if stop.is_set():
                return
            try:
                self.tick(link.connected)
            except Exception:
                logger.exception("counter display tick failed")
