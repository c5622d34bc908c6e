"""``motcua forecast check --events FILE``: the accuracy table of a JSON Lines log, forecast beside old estimate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queue_server.cli import main
from queue_server.store.event_store import StoredEvent
from queue_server.store.jsonl import record_to_dict
from tests.unit.forecast_days import days


def test_forecast_check_prints_both_estimators_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "days.jsonl"
    with log.open("w", encoding="utf-8") as fp:
        for seq, event in enumerate(days(2, seed=11), start=1):
            fp.write(json.dumps(record_to_dict(StoredEvent(seq, f"e{seq}", "o", None, None, event))) + "\n")
    assert main(["forecast", "check", "--events", str(log)]) == 0
    out = capsys.readouterr().out
    assert "forecast" in out and "constant rate" in out and "inside printed range" in out
    compared = next(line for line in out.splitlines() if line.startswith("tickets compared")).split()
    assert int(compared[-1]) == int(compared[-2]) > 100
    assert "goal" in out


def test_forecast_check_names_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"schema": 99}\n', encoding="utf-8")
    assert main(["forecast", "check", "--events", str(log)]) == 2
    assert "line 1" in capsys.readouterr().err
