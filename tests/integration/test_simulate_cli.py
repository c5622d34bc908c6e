"""``motcua simulate`` writes a day that ``motcua events import`` and ``motcua stats`` read."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.cli import main
from queue_server.store.event_store import EventStore
from queue_server.store.jsonl import import_jsonl


def test_simulate_writes_a_store_and_an_importable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = tmp_path / "sim.db", tmp_path / "day.jsonl"
    assert main(["simulate", "--seed", "5", "--db", str(db), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Chờ trung bình / mean wait" in printed and "quay-3" in printed
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 300
    again = tmp_path / "again.jsonl"
    assert main(["simulate", "--seed", "5", "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")  # same seed, same bytes

    store = EventStore(f"sqlite:///{db}", "tuan-giao")
    try:
        assert store.last_seq() == len(lines)
        with out.open(encoding="utf-8") as fp:
            assert import_jsonl(store, fp) == 0  # the same events: nothing new
    finally:
        store.close()
    fresh = EventStore(f"sqlite:///{tmp_path / 'fresh.db'}", "tuan-giao")
    fresh.migrate()
    try:
        with out.open(encoding="utf-8") as fp:
            assert import_jsonl(fresh, fp) == len(lines)
    finally:
        fresh.close()

    config = tmp_path / "motcua.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{db}"\n[server]\ndata_dir = "{tmp_path}/data"\n')
    assert main(["--config", str(config), "stats", "--from", "2026-03-02"]) == 0
    stats = capsys.readouterr().out
    visits = printed.split("visits: ")[1].split()[0]
    assert visits in stats


def test_simulate_learns_from_a_store_or_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = tmp_path / "history.db", tmp_path / "history.jsonl"
    assert main(["simulate", "--seed", "1", "--days", "5", "--db", str(db), "-o", str(out)]) == 0
    capsys.readouterr()
    for source in (str(db), str(out)):
        assert main(["simulate", "--learn-from", source, "--from", "2026-03-03", "--to", "2026-03-06"]) == 0
        printed = capsys.readouterr().out
        visits = int(printed.split("visits: ")[1].split()[0])
        assert 60 < visits < 200, printed
    assert main(["simulate", "--learn-from", str(out), "--from", "2027-01-01"]) == 2
    assert "no visits" in capsys.readouterr().err
