"""The kiosk's benchmarks, as functions ``make bench`` calls (never timed tests: CI machines vary too much)::

    .venv/bin/python -m queue_server.bench.kiosk          # all three, small counts

* :func:`search_p99_ms`: a catalogue of ``n`` procedures (the shipped ones repeated with varied names, codes and
  papers), citizens typing queries one keystroke at a time; the 99th percentile of one search. Goal ≤ 20 ms.
* :func:`cold_start_s`: ``python -m kiosk.main --config ... --first-frame-exit`` in a fresh process, wall time
  from spawn to exit after the first frame (SDL dummy driver). Goal ≤ 3 s.
* :func:`touch_to_print_ms`: a tap on a field's "Lấy số" button (a real pygame event) to the print job written
  by the ``file`` printer, through a real server process and Mosquitto. Goal p99 ≤ 300 ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.catalogue import Catalogue, Procedure, load_catalogue
from queue_server.bench.percentile import percentile

QUERIES = (
    "dang ky khai sinh",
    "ĐĂNG KÝ THƯỜNG TRÚ",
    "chứng thực bản sao",
    "chung thuc chu ky",
    "cap lai the can cuoc",
    "ho ngheo",
    "giấy phép xây dựng",
    "tách hộ",
    "xac nhan tinh trang hon nhan",
    "đất đai",
)
_VARIATIONS = ("", " (bổ sung)", " tại xã", " trực tuyến", " có yếu tố nước ngoài", " lần đầu")


def build_catalogue(n: int) -> Catalogue:
    base = list(load_catalogue())
    procedures: list[Procedure] = []
    for i in range(n):
        proto = base[i % len(base)]
        variation = _VARIATIONS[(i // len(base)) % len(_VARIATIONS)]
        procedures.append(
            proto.model_copy(
                update={
                    "code": f"9.{i:06d}",
                    "name": proto.name + variation,
                    "papers": (*proto.papers, f"Giấy tờ bổ sung số {i}"),
                }
            )
        )
    return Catalogue(procedures)


def keystrokes(query: str) -> list[str]:
    return [query[:k] for k in range(1, len(query) + 1)]


def search_p99_ms(n: int = 2000, rounds: int = 3) -> float:
    """The 99th-percentile time of one per-keystroke search over ``n`` procedures, in milliseconds."""
    catalogue = build_catalogue(n)
    samples: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            for typed in keystrokes(query):
                start = time.perf_counter()
                catalogue.search(typed, limit=20)
                samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def _headless_env() -> dict[str, str]:
    return {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}


def cold_start_s(runs: int = 3) -> list[float]:
    """Wall seconds from spawning the kiosk process to its exit after drawing the first frame, per run."""
    from queue_server.brokers.process import free_port

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="motcua-kiosk-bench-") as tmp:
        base = Path(tmp)
        (base / "password").write_text("not-used")
        config = base / "kiosk.toml"
        config.write_text(
            f'[link]\noffice_id = "tuan-giao"\ndevice_id = "kiosk-01"\npassword_file = "{base / "password"}"\n'
            f'port = {free_port()}\noutbox = "{base / "outbox.db"}"\n[printer]\nkind = "dummy"\n'
        )
        command = [sys.executable, "-m", "kiosk.main", "--config", str(config), "--first-frame-exit"]
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, env=_headless_env(), capture_output=True)
            times.append(time.perf_counter() - start)
    return times


def _job_done(path: Path, size_before: int) -> bool:
    """The file printer has a new job and it ends with the cut (GS V 0): the whole ticket was written."""
    try:
        size = path.stat().st_size
        if size <= size_before:
            return False
        with path.open("rb") as fp:
            fp.seek(size - 3)
            return fp.read(3) == b"\x1dV\x00"
    except FileNotFoundError:
        return False


def touch_to_print_ms(count: int = 30) -> list[float]:
    """Milliseconds from a tap on a field to the ticket's bytes in the file printer, through server + Mosquitto."""
    os.environ.update({k: v for k, v in _headless_env().items() if k.startswith(("SDL_", "PYGAME_"))})
    import pygame

    from hardware.printer import open_printer
    from kiosk.app import KioskApp, SystemClock
    from kiosk.config import KioskConfig, office_from_settings
    from queue_server.bench.office import OfficeUnderTest
    from queue_server.brokers.process import MosquittoProcess, free_port
    from queue_server.contract import topics

    samples: list[float] = []
    with tempfile.TemporaryDirectory(prefix="motcua-kiosk-bench-") as tmp:
        base = Path(tmp)
        office = OfficeUnderTest(base / "office", port=free_port())
        office.provision({"kiosk-1": ("kiosk", None)})
        broker = MosquittoProcess(base / "mosquitto")
        (base / "mosquitto").mkdir()
        broker.start_on(office.port, office.accounts(), office_id=office.office_id)
        pygame.init()
        try:
            office.start_server()
            link = office.link("kiosk-1", state_topics=(topics.waiting_state(office.office_id),)).start()
            ticket_log = base / "tickets.bin"
            printer = open_printer("file", path=ticket_log)
            app = KioskApp(link, printer, load_catalogue(), office_from_settings(office.settings),
                           clock=SystemClock(), config=KioskConfig())  # fmt: skip
            try:
                if not link.wait_connected(15):
                    raise RuntimeError("kiosk not connected")
                for i in range(count):
                    app.home()
                    service = office.settings.services[i % len(office.settings.services)].id
                    x, y = app.button(f"field:{service}").rect.center
                    size = ticket_log.stat().st_size if ticket_log.exists() else 0
                    start = time.perf_counter()
                    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
                    app.step()
                    while not _job_done(ticket_log, size):
                        if time.perf_counter() - start > 10:
                            raise RuntimeError(f"no print job after 10 s (screen {app.screen.name})")
                        time.sleep(0.0005)
                    samples.append((time.perf_counter() - start) * 1000)
                    app.wait_idle(10)
            finally:
                app.close()
                printer.close()
                link.close()
        finally:
            pygame.quit()
            office.stop_server()
            broker.stop()
    return samples


if __name__ == "__main__":
    print(f"search p99: {search_p99_ms():.2f} ms over 2000 procedures (goal <= 20 ms)")
    starts = cold_start_s(3)
    print(f"cold start to first frame: max {max(starts):.2f} s over {len(starts)} runs (goal <= 3 s)")
    taps = touch_to_print_ms(30)
    print(f"touch to print job written: p50 {percentile(taps, 50):.0f} ms, p99 {percentile(taps, 99):.0f} ms "
          f"over {len(taps)} tickets (goal p99 <= 300 ms)")  # fmt: skip
