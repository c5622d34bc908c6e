"""The counter unit's buttons and LEDs on a Raspberry Pi's GPIO header, through gpiozero.

Wiring (see ``hardware/wiring/counter-unit.md``, generated from the pin map): each button between its GPIO and
GND, using the Pi's internal pull-up; each LED from its GPIO through a 330 ohm resistor to GND.

The panel knows nothing of queues: it reports presses by name (``on_staff("next")``, ``on_rating("satisfied")``)
and lights what it is told. The pause button reports only when *held* for ``hold_seconds``, so a brushed button
never closes a counter. The transfer button reports ``"transfer"`` when released after a short press (choose
the next target) and ``"transfer_hold"`` once held for ``hold_seconds`` (confirm); acting on release is what
keeps the start of a hold from also moving the choice on. Pass ``pin_factory`` to use another pin library or
gpiozero's ``MockFactory`` in tests; without it gpiozero's default factory is used.

Example::

    from hardware.gpio_pinmap import PINMAPS, load_pinmap
    panel = GpioCounterPanel(load_pinmap(PINMAPS / "rpi-4b-counter.toml"))
    panel.on_staff = print
    panel.set_rating_lights(True)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gpiozero import LED, Button

from hardware.gpio_pinmap import PinMap, validate

logger = logging.getLogger(__name__)


class GpioCounterPanel:
    def __init__(
        self,
        pinmap: PinMap,
        *,
        hold_seconds: float = 2.0,
        bounce_seconds: float | None = 0.05,
        pin_factory: Any = None,
    ) -> None:
        validate(pinmap)
        self.pinmap = pinmap
        self.on_staff: Callable[[str], object] | None = None
        self.on_rating: Callable[[str], object] | None = None
        self._devices: list[Button | LED] = []
        self._online: bool | None = None
        self._held: set[str] = set()
        try:
            self.staff_buttons: dict[str, Button] = {}
            for name, pin in pinmap.staff.items():
                hold = {"hold_time": hold_seconds} if name in ("pause", "transfer") else {}
                button = self._add(
                    Button(pin, pull_up=True, bounce_time=bounce_seconds, pin_factory=pin_factory, **hold)
                )
                if name == "pause":
                    button.when_held = self._staff_handler(name)
                elif name == "transfer":
                    button.when_held = self._hold_handler(name)
                    button.when_released = self._release_handler(name)
                else:
                    button.when_pressed = self._staff_handler(name)
                self.staff_buttons[name] = button
            self.rating_buttons: dict[str, Button] = {}
            self.rating_leds: dict[str, LED] = {}
            for r in pinmap.ratings:
                button = self._add(Button(r.button, pull_up=True, bounce_time=bounce_seconds, pin_factory=pin_factory))
                button.when_pressed = self._rating_handler(r.level)
                self.rating_buttons[r.level] = button
                self.rating_leds[r.level] = self._add(LED(r.led, pin_factory=pin_factory))
            self.status_led = self._add(LED(pinmap.status_led, pin_factory=pin_factory))
        except Exception:
            self.close()
            raise

    def set_rating_lights(self, on: bool) -> None:
        for led in self.rating_leds.values():
            led.value = on

    def set_status(self, online: bool) -> None:
        """Steady when the server can be reached; blinking while it cannot (staff buttons do nothing then)."""
        if online == self._online:
            return  # restarting blink() on every tick would make it stutter
        self._online = online
        if online:
            self.status_led.on()
        else:
            self.status_led.blink(on_time=0.25, off_time=0.25)

    def close(self) -> None:
        """Release every pin; safe to call twice."""
        while self._devices:
            self._devices.pop().close()

    def __enter__(self) -> GpioCounterPanel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add(self, device: Any) -> Any:
        self._devices.append(device)
        return device

    def _staff_handler(self, name: str) -> Callable[[], None]:
        def handler() -> None:
            self._dispatch(self.on_staff, name)

        return handler

    def _hold_handler(self, name: str) -> Callable[[], None]:
        def handler() -> None:
            self._held.add(name)
            self._dispatch(self.on_staff, f"{name}_hold")

        return handler

    def _release_handler(self, name: str) -> Callable[[], None]:
        def handler() -> None:
            if name in self._held:
                self._held.discard(name)  # the end of a hold, already reported
            else:
                self._dispatch(self.on_staff, name)

        return handler

    def _rating_handler(self, level: str) -> Callable[[], None]:
        def handler() -> None:
            self._dispatch(self.on_rating, level)

        return handler

    @staticmethod
    def _dispatch(callback: Callable[[str], object] | None, name: str) -> None:
        if callback is None:
            logger.info("button %s pressed, nobody listening", name)
            return
        try:
            callback(name)
        except Exception:  # gpiozero's callback thread must survive a bad press
            logger.exception("button %s handler failed", name)
