"""Counter-unit pin maps: data files (``hardware/wiring/pinmaps/*.toml``), checked before any pin is touched.

A wrong pin map on a Pi fails in confusing ways (a button that never fires, two devices fighting over one pin,
an LED on the serial console), so a unit refuses to start unless every pin is a GPIO that exists on that board's
header and no pin is used twice; the error names the function and the pin. The board's header layout comes from
gpiozero's own board table, looked up by the board revision code in the file.

Example::

    pinmap = load_pinmap(PINMAPS / "rpi-4b-counter.toml")
    pinmap.staff["next"]  # 17 (BCM)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server.contract.errors import MotcuaError

PINMAPS = Path(__file__).parent / "wiring" / "pinmaps"
STAFF_FUNCTIONS = ("next", "recall", "skip", "transfer", "pause")
"""Staff buttons, in the order they sit on the panel."""


class PinMapError(MotcuaError, ValueError):
    """The pin map cannot be used on this board; the message says which function and pin."""


@dataclass(frozen=True)
class RatingPins:
    level: str
    """The office's rating level code (``very_satisfied``, ...) sent with ``rate``."""
    button: int
    led: int


@dataclass(frozen=True)
class HeaderPin:
    bcm: int
    physical: int
    nearest_ground: int


@dataclass(frozen=True)
class PinMap:
    board: str
    revision: str
    staff: dict[str, int]
    ratings: tuple[RatingPins, ...]
    status_led: int

    def assignments(self) -> list[tuple[str, str, int]]:
        """``(function, kind, bcm)`` for every pin, kind being ``"button"`` or ``"led"``."""
        out = [(f"staff.{name}", "button", pin) for name, pin in self.staff.items()]
        for r in self.ratings:
            out += [(f"rating.{r.level}", "button", r.button), (f"rating.{r.level}.led", "led", r.led)]
        return [*out, ("status.led", "led", self.status_led)]

    def header(self) -> dict[int, HeaderPin]:
        return header_pins(self.revision)


def load_pinmap(path: Path) -> PinMap:
    """Read and validate a pin map file; raises ``PinMapError`` naming the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        pinmap = parse_pinmap(data)
        validate(pinmap)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PinMapError(f"{path}: {exc}") from exc
    except PinMapError as exc:
        raise PinMapError(f"{path}: {exc}") from None
    return pinmap


def parse_pinmap(data: dict[str, Any]) -> PinMap:
    _keys(data, "top level", {"board", "revision", "staff", "rating", "status"})
    staff = data.get("staff", {})
    _keys(staff, "[staff]", set(STAFF_FUNCTIONS), required=set(STAFF_FUNCTIONS))
    ratings = []
    for i, entry in enumerate(data.get("rating", [])):
        _keys(entry, f"[[rating]] #{i + 1}", {"level", "button", "led"}, required={"level", "button", "led"})
        level = str(entry["level"])
        ratings.append(
            RatingPins(level, _pin(entry["button"], f"rating.{level}"), _pin(entry["led"], f"rating.{level}.led"))
        )
    if not ratings:
        raise PinMapError("no [[rating]] buttons")
    levels = [r.level for r in ratings]
    if len(set(levels)) != len(levels):
        raise PinMapError(f"a rating level appears twice: {levels}")
    status = data.get("status", {})
    _keys(status, "[status]", {"led"}, required={"led"})
    return PinMap(
        board=str(data.get("board", "")),
        revision=str(data.get("revision", "")),
        staff={name: _pin(staff[name], f"staff button {name}") for name in STAFF_FUNCTIONS},
        ratings=tuple(ratings),
        status_led=_pin(status["led"], "status LED"),
    )


def validate(pinmap: PinMap) -> None:
    """No pin used twice, and every pin a GPIO on this board's header."""
    header = pinmap.header()
    used: dict[int, str] = {}
    for function, _, pin in pinmap.assignments():
        if pin in used:
            raise PinMapError(f"GPIO{pin} is used twice: by {used[pin]} and by {function}")
        used[pin] = function
        if pin not in header:
            raise PinMapError(f"{function}: GPIO{pin} is not a GPIO pin on the {pinmap.board} header")


def header_pins(revision: str) -> dict[int, HeaderPin]:
    """BCM number -> physical pin (and the closest GND pin) on the board's main header, from gpiozero's table."""
    from gpiozero.pins.pi import PiBoardInfo  # the table lives in gpiozero; no pins are opened

    try:
        info = PiBoardInfo.from_revision(int(revision, 16))
        header = info.headers["J8"]
    except (ValueError, KeyError) as exc:
        raise PinMapError(f"unknown board revision {revision!r} (a hex code such as c03111)") from exc
    grounds = [p for p in header.pins.values() if p.name == "GND"]
    out: dict[int, HeaderPin] = {}
    for pin in header.pins.values():
        if pin.name.startswith("GPIO"):
            near = min(grounds, key=lambda g: (abs(g.row - pin.row), g.col != pin.col))
            out[int(pin.name[4:])] = HeaderPin(int(pin.name[4:]), pin.number, near.number)
    return out


def header_layout(revision: str) -> list[tuple[int, str, int, int]]:
    """Every pin of the board's main header as ``(physical number, name, row, column)``, for drawings."""
    from gpiozero.pins.pi import PiBoardInfo

    try:
        header = PiBoardInfo.from_revision(int(revision, 16)).headers["J8"]
    except (ValueError, KeyError) as exc:
        raise PinMapError(f"unknown board revision {revision!r} (a hex code such as c03111)") from exc
    return [(p.number, p.name, p.row, p.col) for _, p in sorted(header.pins.items())]


def _pin(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PinMapError(f"{what}: pin must be a BCM number, got {value!r}")
    return value


def _keys(table: Any, where: str, allowed: set[str], required: frozenset[str] | set[str] = frozenset()) -> None:
    if not isinstance(table, dict):
        raise PinMapError(f"{where} must be a table")
    unknown = set(table) - allowed
    if unknown:
        raise PinMapError(f"{where}: unknown key(s) {sorted(unknown)}; expected {sorted(allowed)}")
    missing = required - set(table)
    if missing:
        raise PinMapError(f"{where}: missing {sorted(missing)}")
