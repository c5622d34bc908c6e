"""``python -m queue_server.demo.kiosk_tour --demo-tour DIR``: the demo office in-process, one real ticket printed."""

from __future__ import annotations

from pathlib import Path

from queue_server.brokers.process import free_port


def test_demo_tour_takes_a_real_ticket_and_prints_it(tmp_path: Path) -> None:
    from queue_server.app import open_store
    from queue_server.config import load_settings
    from queue_server.demo.kiosk_tour import main
    from queue_server.engine.events import TicketIssued

    config = tmp_path / "motcua.toml"
    config.write_text(
        f'[broker]\nkind = "embedded"\nhost = "127.0.0.1"\nport = {free_port()}\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/office.db"\n[server]\ndata_dir = "{tmp_path / "data"}"\n'
    )
    out = tmp_path / "kiosk"
    assert main(["--demo-tour", str(out), "--office-config", str(config)]) == 0
    for name in ("kiosk-home.png", "kiosk-scan-offer.png", "kiosk-ticket.png", "printed-ticket.png"):
        assert (out / name).stat().st_size > 1000, name
    printed = (out / "printed-tickets.bin").read_bytes()
    assert b"\x1dv0" in printed and printed.endswith(b"\x1dV\x00")
    store = open_store(load_settings(config))
    try:
        issued = [s.event for s in store.events() if isinstance(s.event, TicketIssued)]
    finally:
        store.close()
    assert len(issued) == 1 and issued[0].priority == "elderly_60", issued
