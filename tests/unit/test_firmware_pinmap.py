"""Pin maps: the shipped files are valid, every mistake is refused with the pin named, the wiring doc is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.gpio_pinmap import PINMAPS, PinMapError, load_pinmap
from hardware.wiring import render

GOOD = (PINMAPS / "rpi-4b-counter.toml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pins.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(PINMAPS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_pin_maps_are_valid(path: Path) -> None:
    pinmap = load_pinmap(path)
    assert set(pinmap.staff) == {"next", "recall", "skip", "transfer", "pause"}
    assert [r.level for r in pinmap.ratings] == ["very_satisfied", "satisfied", "dissatisfied"]
    pins = [pin for _, _, pin in pinmap.assignments()]
    assert len(pins) == len(set(pins)) == 12
    assert not {2, 3, 14, 15, 18, 19, 21} & set(pins)  # I2C, UART and I2S stay free


def test_a_pin_used_twice_is_named(tmp_path: Path) -> None:
    text = GOOD.replace("skip = 22", "skip = 17")
    with pytest.raises(PinMapError, match=r"GPIO17 is used twice: by staff.next and by staff.skip"):
        load_pinmap(write(tmp_path, text))


def test_a_led_on_a_button_pin_is_caught(tmp_path: Path) -> None:
    with pytest.raises(PinMapError, match=r"GPIO5 .*rating.very_satisfied and by status.led"):
        load_pinmap(write(tmp_path, GOOD.replace("led = 12", "led = 5")))


@pytest.mark.parametrize("pin", [28, 40, -1])
def test_a_pin_the_board_does_not_have_is_named(tmp_path: Path, pin: int) -> None:
    with pytest.raises(PinMapError, match=rf"staff.recall: GPIO{pin} is not a GPIO pin on the Raspberry Pi 4"):
        load_pinmap(write(tmp_path, GOOD.replace("recall = 27", f"recall = {pin}")))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("transfer = 23\n", "", r"\[staff\]: missing \['transfer'\]"),
        ("next = 17", "nxt = 17", r"unknown key\(s\) \['nxt'\]"),
        ("next = 17", 'next = "17"', r"staff button next: pin must be a BCM number"),
        ('revision = "c03111"', 'revision = "zz"', r"unknown board revision 'zz'"),
        ('level = "satisfied"', 'level = "very_satisfied"', r"rating level appears twice"),
        ("[status]\nled = 12", "", r"\[status\]: missing"),
        ("button = 5\n", "", r"missing \['button'\]"),
        ("[staff]", "[staf]\n[staff]", r"unknown key\(s\) \['staf'\]"),
    ],
)
def test_mistakes_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(PinMapError, match=message):
        load_pinmap(write(tmp_path, GOOD.replace(old, new)))


def test_no_rating_buttons_is_refused(tmp_path: Path) -> None:
    text = GOOD.split("[[rating]]")[0] + "[status]\nled = 12\n"
    with pytest.raises(PinMapError, match="no \\[\\[rating\\]\\]"):
        load_pinmap(write(tmp_path, text))


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "board = ")
    with pytest.raises(PinMapError, match=r"pins\.toml"):
        load_pinmap(path)


def test_wiring_table_is_in_step_with_the_pin_maps() -> None:
    assert render.main(["--check"]) == 0, "run: python -m hardware.wiring.render"


def test_wiring_table_rows() -> None:
    text = render.render(render.load_all())
    assert "| Staff: next (gọi số tiếp theo) | GPIO17 | 11 | button, other leg to GND (pin 9) |" in text
    assert "| Status LED (steady: online, blinking: no server) | GPIO12 | 32 |" in text
    assert text.count("| Rating LED:") == 3 * len(render.load_all())


def _svg(pinmap_text: str, tmp_path: Path) -> str:
    from hardware.wiring.svg import render_svg

    pinmap = load_pinmap(write(tmp_path, pinmap_text))
    labels = {f: render._label(f) for f, _, _ in pinmap.assignments()}
    return render_svg("pins.toml", pinmap, labels)


def test_wiring_diagram_draws_every_part_with_its_gpio_pin_and_ground(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(_svg(GOOD, tmp_path))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text or "" for t in root.iter(f"{ns}text")]
    assert "Staff: next (gọi số tiếp theo)" in texts and "Rating LED: satisfied" in texts
    assert [str(n) for n in range(1, 41)] == [t for t in texts if t.isdigit()]  # the whole header, numbered
    assert sum(t.startswith("GND pin ") for t in texts) == 12  # one ground per button and LED
    assert texts.count("330 Ω") == 4  # a resistor per LED (3 rating + status)
    coloured = {c.get("cx") + "," + c.get("cy") for c in root.iter(f"{ns}circle")  # type: ignore[operator]
                if c.get("fill") in ("#1565c0", "#e65100")}  # fmt: skip
    assert len(coloured) == 12  # the used pins stand out on the header


def test_wiring_diagram_follows_the_pin_map(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    def bold_gpios(svg: str) -> set[str]:
        root = ET.fromstring(svg)
        return {t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")
                if (t.text or "").startswith("GPIO") and t.get("font-weight") == "bold"}  # fmt: skip

    before, after = bold_gpios(_svg(GOOD, tmp_path)), bold_gpios(_svg(GOOD.replace("next = 17", "next = 4"), tmp_path))
    assert before - after == {"GPIO17"} and after - before == {"GPIO4"}
