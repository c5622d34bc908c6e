"""Importing the kiosk's modules loads no hardware library and starts nothing (style habit 3)."""

from __future__ import annotations

import subprocess
import sys


def test_no_hardware_library_loaded_at_import() -> None:
    code = (
        "import sys, threading\n"
        "import kiosk.catalogue, kiosk.cccd, kiosk.search, kiosk.text, kiosk.ticket, hardware.printer\n"
        "import queue_server.bench.kiosk, queue_server.contract.link_config\n"
        "loaded = [m for m in ('escpos', 'serial', 'usb', 'pygame', 'paho') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "assert threading.active_count() == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cccd_module_uses_no_clock() -> None:
    """Age is computed on the ``today`` the caller passes; the parser must never read the clock itself."""
    import inspect

    import kiosk.cccd

    source = inspect.getsource(kiosk.cccd)
    for forbidden in ("date.today", "datetime.now", "time.time", "import time"):
        assert forbidden not in source
