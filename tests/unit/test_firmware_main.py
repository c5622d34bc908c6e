"""The counter unit's composition root: strict config, drivers by name, no hardware library at import time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from pydantic import ValidationError

from firmware.counter_main import CounterConfigError, NullPanel, PanelConfig, load_config, make_panel
from hardware.gpio_buttons import GpioCounterPanel
from hardware.gpio_pinmap import PinMapError

CONFIG = """
[link]
office_id = "tuan-giao"
device_id = "counter-1"
password_file = "/etc/motcua/counter-1.password"

[counter]
id = "quay-1"

[panel]
kind = "gpio"
"""


def test_config_defaults(tmp_path: Path) -> None:
    path = tmp_path / "counter.toml"
    path.write_text(CONFIG)
    config = load_config(path)
    assert config.panel.pinmap == "rpi-4b-counter.toml" and config.voice.enabled is False
    assert config.counter.rating_window_seconds == 60


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ('[counter]\nid = "quay-1"\nrating_windw_seconds = 5', "did you mean 'rating_window_seconds'"),
        ('[panel]\nkind = "serial"', "panel.kind"),
        ("[speaker]\n", "speaker: unknown key"),
        ('[counter]\nid = "quay-1"\noffice_config = "/etc/motcua/motcua.toml"', "comes from the server"),
    ],
)
def test_config_mistakes_are_refused_saying_what_to_do(tmp_path: Path, extra: str, said: str) -> None:
    path = tmp_path / "counter.toml"
    text = CONFIG.replace('[counter]\nid = "quay-1"\n', "").replace('[panel]\nkind = "gpio"\n', "")
    path.write_text(text + extra)
    with pytest.raises(CounterConfigError, match=re.escape(said)):
        load_config(path)


def test_panel_driver_by_name(mock_factory: MockFactory) -> None:
    assert isinstance(make_panel(PanelConfig(kind="none")), NullPanel)
    panel = make_panel(PanelConfig(kind="gpio", pinmap="rpi-zero-2w-counter.toml"))
    try:
        assert isinstance(panel, GpioCounterPanel) and panel.pinmap.board == "Raspberry Pi Zero 2 W"
    finally:
        panel.close()


def test_a_bad_pin_map_stops_the_unit_before_any_pin_is_opened(tmp_path: Path, mock_factory: MockFactory) -> None:
    bad = tmp_path / "bad.toml"
    good = Path(__file__).parents[2] / "hardware" / "wiring" / "pinmaps" / "rpi-4b-counter.toml"
    bad.write_text(good.read_text().replace("skip = 22", "skip = 17"))
    with pytest.raises(PinMapError, match="GPIO17 is used twice"):
        make_panel(PanelConfig(pinmap=str(bad)))
    assert mock_factory.pins == {}


def test_no_hardware_or_network_library_at_import_time() -> None:
    code = (
        "import sys, firmware.counter_unit, firmware.counter_main, firmware.voice.numbers, "
        "firmware.voice.speech, firmware.voice.announcer, hardware.gpio_pinmap, firmware.transfer, "
        "queue_server.demo.counters, queue_server.bench.counter_unit, hardware.wiring.render, hardware.wiring.svg\n"
        "print(sorted(m for m in ('gpiozero', 'paho', 'lgpio', 'RPi', 'serial', 'pygame') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_display_and_transfer_from_config(tmp_path: Path) -> None:
    import os

    from firmware.counter_main import (
        DisplayConfig,
        TransferConfig,
        make_outputs,
        office_service_names,
        transfer_targets,
    )
    from hardware.serial_display import SerialCounterDisplay
    from queue_server.contract.office import Office, OfficeService

    path = tmp_path / "counter.toml"
    path.write_text(CONFIG + '[display]\nkind = "serial"\nport = "/dev/ttyAMA0"\n[transfer]\ntargets = ["dat-dai"]\n')
    config = load_config(path)
    assert config.display.port == "/dev/ttyAMA0" and config.transfer.targets == ("dat-dai",)
    office = Office(
        office_id="tuan-giao",
        name="Tuần Giáo",
        services=tuple(
            OfficeService(id=i, prefix=p, name_vi=n)
            for i, p, n in [
                ("ho-tich", "A", "Hộ tịch"),
                ("chung-thuc", "B", "Chứng thực"),
                ("dat-dai", "C", "Đất đai"),
                ("cu-tru", "D", "Cư trú"),
            ]
        ),
    )
    names = office_service_names(office)
    assert names["dat-dai"] == "Đất đai" and office_service_names(None) == {}
    assert transfer_targets(config.transfer, names) == [("dat-dai", "Đất đai")]
    assert [s for s, _ in transfer_targets(TransferConfig(), names)] == ["ho-tich", "chung-thuc", "dat-dai", "cu-tru"]
    assert make_outputs(DisplayConfig(kind="none")) == []
    master, slave = os.openpty()
    try:
        (board,) = make_outputs(DisplayConfig(kind="serial", port=os.ttyname(slave)))
        assert isinstance(board, SerialCounterDisplay)
        board.close()
    finally:
        os.close(master)
        os.close(slave)
    with pytest.raises(ValidationError):
        DisplayConfig(kind="lcd")  # type: ignore[arg-type]
