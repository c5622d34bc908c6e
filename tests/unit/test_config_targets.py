"""The ``[targets]`` section: defaults equal to the national targets, overrides validated with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.analytics.targets import DEFAULT_TARGETS, Kind, make_target, slots, with_slots
from queue_server.config import ConfigError, load_settings, show
from tests.unit.test_config import write


def test_defaults_file_holds_the_national_targets_with_their_sources() -> None:
    configured = slots(load_settings().office_targets())
    national = slots(DEFAULT_TARGETS)
    assert configured.keys() == national.keys()
    for slot, target in configured.items():
        expected = national[slot]
        assert (target.kind, target.value, target.year, target.source) == (
            expected.kind,
            expected.value,
            expected.year,
            expected.source,
        ), slot
    assert configured["wait_final"].value == 15 * 60 and configured["productivity_remote"].value == 800


def test_an_override_changes_one_value_and_keeps_year_and_source(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[targets.wait_final]\nvalue = 20\n"))
    target = slots(settings.office_targets())["wait_final"]
    assert target.value == 20 * 60 and target.year == 2025 and target.source.startswith("QĐ 468/QĐ-TTg")
    assert target.label == "Chờ trung bình ≤ 20 phút/lượt giao dịch"
    assert "[targets.wait_final]\nvalue = 20.0" in show(settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[targets.wait_final]\nvalue = 0\n", "targets.wait_final.value: Input should be greater than 0"),
        ("[targets.satisfaction_final]\nvalue = 95\n", "targets.satisfaction_final.value: Input should be less"),
        ("[targets.productivity_rural]\nvalue = -1\n", "targets.productivity_rural.value: Input should be greater"),
        ('[targets.wait_interim]\nsource = ""\n', "targets.wait_interim.source: String should have at least"),
        ("[targets.wait_interim]\nyear = 1990\n", "targets.wait_interim.year: Input should be greater"),
        ("[targets.wait_fnal]\nvalue = 10\n", "unknown key 'wait_fnal' (did you mean 'wait_final'?)"),
        ("[targets.wait_final]\nvaleu = 10\n", "unknown key 'valeu' (did you mean 'value'?)"),
    ],
)
def test_bad_targets_are_refused_with_where_and_why(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert expected in str(caught.value)


def test_make_target_checks_the_value_for_its_kind() -> None:
    assert make_target("satisfaction_final", 1.0, 2025, "x").kind is Kind.SATISFACTION
    for slot, value in [("satisfaction_final", 1.01), ("wait_final", 0.0), ("productivity_urban", -5.0)]:
        with pytest.raises(ValueError, match="target"):
            make_target(slot, value, 2025, "x")
    with pytest.raises(KeyError):
        make_target("wait_2030", 60.0, 2030, "x")


def test_with_slots_replaces_only_the_named_targets() -> None:
    changed = with_slots(DEFAULT_TARGETS, {"productivity_remote": make_target("productivity_remote", 500, 2026, "s")})
    assert changed.wait == DEFAULT_TARGETS.wait
    assert slots(changed)["productivity_remote"].value == 500
    assert slots(changed)["productivity_urban"] == slots(DEFAULT_TARGETS)["productivity_urban"]
