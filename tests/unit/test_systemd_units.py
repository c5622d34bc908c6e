"""The systemd units: one per role (province included), each as a dedicated user, restarted on failure, with a
watchdog and hardening; ``systemd-analyze verify`` finds nothing and ``systemd-analyze security`` rates each OK
or better (scores in docs/install.md). The units name /opt/motcua/venv: the check points them at this test's own
venv, so that verify also proves every ExecStart is an executable that exists."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
LONG_RUNNING = ["motcua-server", "motcua-province", "motcua-kiosk", "motcua-counter@", "motcua-board"]
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing (apt-get install systemd)")
GOOD_ENOUGH = {"PERFECT", "SAFE", "OK"}


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def local_copies(tmp_path: Path) -> list[Path]:
    """The units with /opt/motcua/venv replaced by the venv running the tests (same layout)."""
    venv = Path(sys.executable).parent.parent
    copies = []
    for path in sorted(UNITS.glob("motcua*.*")):
        target = tmp_path / path.name
        target.write_text(path.read_text().replace("/opt/motcua/venv", str(venv)))
        copies.append(target)
    return copies


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_role_runs_supervised_and_hardened(name: str) -> None:
    service = unit(f"{name}.service")["Service"]
    assert service["User"] == "motcua" and service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert service["Restart"] == "on-failure" and int(service["WatchdogSec"]) > 0
    assert service["ExecStart"].startswith("/opt/motcua/venv/bin/")
    for option, value in {"NoNewPrivileges": "true", "ProtectSystem": "strict", "PrivateTmp": "true",
                          "ProtectHome": "true", "CapabilityBoundingSet": ""}.items():  # fmt: skip
        assert service[option] == value, (name, option)
    assert "SyslogIdentifier" in service  # journald: the journal names the role


def test_the_nightly_backup_is_a_timer_of_a_oneshot() -> None:
    assert unit("motcua-backup.timer")["Timer"]["Persistent"] == "true"
    service = unit("motcua-backup.service")["Service"]
    assert service["Type"] == "oneshot" and " backup --dir " in service["ExecStart"]


@needs_analyze
def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    copies = local_copies(tmp_path)
    done = subprocess.run([str(ANALYZE), "verify", "--man=no", *map(str, copies)], capture_output=True, text=True)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@needs_analyze
def test_systemd_analyze_security_rates_each_unit_ok(tmp_path: Path) -> None:
    scores = {}
    for copy in local_copies(tmp_path):
        if copy.suffix != ".service":
            continue
        done = subprocess.run([str(ANALYZE), "security", "--offline=true", "--man=no", str(copy)],
                              capture_output=True, text=True)  # fmt: skip
        match = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", done.stdout)
        assert match is not None, done.stdout + done.stderr
        scores[copy.name] = (float(match.group(1)), match.group(2))
    print(scores)
    assert {name: verdict for name, (_, verdict) in scores.items() if verdict not in GOOD_ENOUGH} == {}
    assert len(scores) == 7  # server, province, kiosk, counter@, board, backup, mosquitto-reload
