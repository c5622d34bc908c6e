"""No accidental offices: ``motcua server`` without a configuration refuses to start, and a store emptied (or
pointed elsewhere) while the office's data folder says it had events is refused, unless asked for on purpose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.config import SYSTEM_FILE
from queue_server.office_marker import read_marker
from tests.fixtures.mosquitto import free_port


@pytest.mark.skipif(SYSTEM_FILE.exists(), reason=f"{SYSTEM_FILE} exists on this machine")
def test_server_without_a_config_refuses_to_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "server"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "no configuration: give --config FILE" in done.stderr
    assert not (tmp_path / "var").exists()  # no empty office was created in the current folder


def test_an_emptied_store_is_refused_unless_accepted_on_purpose(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.start_server()
    office.stop_server()
    marker = read_marker(office.settings.server.data_dir)
    assert marker is not None and marker.office_id == "tuan-giao" and marker.last_seq >= 1
    (tmp_path / "office" / "office.db").unlink()  # the database is gone (wrong path, lost disk, bad restore)
    with pytest.raises(RuntimeError) as refused:
        office.start_server()
    assert "the event store is empty, but office tuan-giao had" in str(refused.value)
    assert "--accept-empty-store" in str(refused.value)
    office.process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "queue_server.cli",
            "--config",
            str(office.config_path),
            "server",
            "--accept-empty-store",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert office.process.stdout is not None
        for line in office.process.stdout:
            if b"connected to broker" in line:
                break
            assert b"Traceback" not in line
        assert office.process.poll() is None
    finally:
        office.stop_server()
