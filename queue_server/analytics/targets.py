"""National targets for one-stop shops, each a value with its year and source, and the check of a period.

Defaults from /work/shared/reference/targets.md (QĐ 468/QĐ-TTg 2021 and the district plans implementing it;
QĐ 766/QĐ-TTg 2022 for how satisfaction is scored). An office changes them in its config file's ``[targets]``
section and an administrator in the admin pages (stored in ``office_settings``, which wins over the file); both
name the targets by their ``SLOTS`` and are turned into a ``Targets`` by ``with_slots``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from queue_server.analytics.metrics import Figures
from queue_server.engine.setup import AreaClass

# Sources are printed in Vietnamese reports as they are: citations of Vietnamese documents, in Vietnamese.
SOURCE_468 = (
    "QĐ 468/QĐ-TTg ngày 27/3/2021, Đề án đổi mới việc thực hiện cơ chế một cửa, một cửa liên thông "
    "(bản tóm tắt của luatvietnam.vn)"
)
SOURCE_PRODUCTIVITY = (
    "QĐ 468/QĐ-TTg, theo các kế hoạch thực hiện: KH huyện Tuần Giáo (Điện Biên) 2021 phụ lục VIII.6; "
    "KH 187/KH-UBND Tuy Phong (Bình Thuận) 24/9/2021 mục II.2.h; KH 141/KH-UBND Bắc Yên (Sơn La) 15/6/2021 "
    "mục VIII.3 — giai đoạn 2023–2025"
)
SOURCE_SATISFACTION_2025 = (
    "KH 141/KH-UBND Bắc Yên, KH huyện Tuần Giáo, KH 187/KH-UBND Tuy Phong mục II.2.k (chỉ tiêu theo giai đoạn "
    "của NQ 76/NQ-CP); đánh giá theo từng hồ sơ theo QĐ 766/QĐ-TTg ngày 23/6/2022"
)
SOURCE_SATISFACTION_2024 = (
    "QĐ 752/QĐ-UBND Tri Tôn (An Giang) ngày 16/2/2024, phụ lục chỉ tiêu 11; đánh giá theo từng hồ sơ theo QĐ 766/QĐ-TTg"
)


class Kind(StrEnum):
    WAIT = "wait"
    """Average waiting time per visit, seconds: met when at most the value."""
    SATISFACTION = "satisfaction"
    """QĐ 766 per-dossier satisfaction ratio (0..1): met when at least the value."""
    PRODUCTIVITY = "productivity"
    """Dossiers received per staff member a year: met when at least the value."""


@dataclass(frozen=True)
class Target:
    kind: Kind
    value: float
    year: int
    source: str
    label: str = ""

    @property
    def at_most(self) -> bool:
        return self.kind is Kind.WAIT


WAIT_2022 = Target(Kind.WAIT, 30 * 60, 2022, SOURCE_468, "Chờ trung bình ≤ 30 phút/lần giao dịch")
WAIT_2025 = Target(Kind.WAIT, 15 * 60, 2025, SOURCE_468, "Chờ trung bình ≤ 15 phút/lượt giao dịch")
SATISFACTION_2024 = Target(Kind.SATISFACTION, 0.90, 2024, SOURCE_SATISFACTION_2024, "Mức độ hài lòng ≥ 90%")
SATISFACTION_2025 = Target(Kind.SATISFACTION, 0.95, 2025, SOURCE_SATISFACTION_2025, "Mức độ hài lòng ≥ 95%")
PRODUCTIVITY = MappingProxyType(
    {
        AreaClass.URBAN: Target(Kind.PRODUCTIVITY, 1600, 2025, SOURCE_PRODUCTIVITY, "≥ 1.600 hồ sơ/người/năm"),
        AreaClass.RURAL: Target(
            Kind.PRODUCTIVITY, 1200, 2025, SOURCE_PRODUCTIVITY, "≥ 1.200 hồ sơ/người/năm (nông thôn)"
        ),
        AreaClass.REMOTE: Target(
            Kind.PRODUCTIVITY, 800, 2025, SOURCE_PRODUCTIVITY, "≥ 800 hồ sơ/người/năm (vùng sâu, vùng xa)"
        ),
    }
)


@dataclass(frozen=True)
class Targets:
    wait: tuple[Target, ...] = (WAIT_2022, WAIT_2025)
    satisfaction: tuple[Target, ...] = (SATISFACTION_2024, SATISFACTION_2025)
    productivity: Mapping[AreaClass, Target] = field(default_factory=lambda: PRODUCTIVITY)


DEFAULT_TARGETS = Targets()


SLOTS: Mapping[str, tuple[Kind, AreaClass | None]] = MappingProxyType(
    {
        "wait_interim": (Kind.WAIT, None),
        "wait_final": (Kind.WAIT, None),
        "satisfaction_interim": (Kind.SATISFACTION, None),
        "satisfaction_final": (Kind.SATISFACTION, None),
        "productivity_urban": (Kind.PRODUCTIVITY, AreaClass.URBAN),
        "productivity_rural": (Kind.PRODUCTIVITY, AreaClass.RURAL),
        "productivity_remote": (Kind.PRODUCTIVITY, AreaClass.REMOTE),
    }
)
"""The configurable targets by name (config keys, form fields, ``office_settings`` keys): an interim and a
final target for waits and satisfaction, one productivity target per area class."""


def slots(targets: Targets) -> dict[str, Target]:
    """``targets`` by slot name (the inverse of ``with_slots``)."""
    return {
        "wait_interim": targets.wait[0],
        "wait_final": targets.wait[1],
        "satisfaction_interim": targets.satisfaction[0],
        "satisfaction_final": targets.satisfaction[1],
        **{f"productivity_{area.value}": t for area, t in targets.productivity.items()},
    }


def check_value(kind: Kind, value: float) -> None:
    """``ValueError`` unless ``value`` (internal units: seconds, ratio, dossiers) can be a target of ``kind``."""
    if kind is Kind.SATISFACTION and not 0 < value <= 1:
        raise ValueError(f"a satisfaction target is a share in (0, 1], not {value}")
    if not value > 0:
        raise ValueError(f"a {kind.value} target must be above 0, not {value}")


def make_target(slot: str, value: float, year: int, source: str) -> Target:
    """The target of ``slot`` (``KeyError`` for an unknown one), checked, with its Vietnamese label."""
    kind, area = SLOTS[slot]
    check_value(kind, value)
    return Target(kind, value, year, source, _label(kind, value, area))


def with_slots(targets: Targets, changes: Mapping[str, Target]) -> Targets:
    """``targets`` with the named slots replaced (an unknown slot name is a ``KeyError``)."""
    merged = slots(targets) | dict(changes)
    unknown = set(merged) - set(SLOTS)
    if unknown:
        raise KeyError(f"unknown target slots: {sorted(unknown)}")
    return replace(
        targets,
        wait=(merged["wait_interim"], merged["wait_final"]),
        satisfaction=(merged["satisfaction_interim"], merged["satisfaction_final"]),
        productivity=MappingProxyType({area: merged[f"productivity_{area.value}"] for area in AreaClass}),
    )


def _label(kind: Kind, value: float, area: AreaClass | None) -> str:
    """The Vietnamese label ``motcua stats`` prints (the web names targets through its catalog)."""
    if kind is Kind.WAIT:
        return f"Chờ trung bình ≤ {value / 60:g} phút/lượt giao dịch"
    if kind is Kind.SATISFACTION:
        return f"Mức độ hài lòng ≥ {value * 100:g}%"
    where = {AreaClass.RURAL: " (nông thôn)", AreaClass.REMOTE: " (vùng sâu, vùng xa)"}.get(area or AreaClass.URBAN, "")
    number = f"{value:,.0f}".replace(",", ".")
    return f"≥ {number} hồ sơ/người/năm{where}"


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class TargetCheck:
    target: Target
    figure: float | None
    status: Status


def check(target: Target, figure: float | None) -> TargetCheck:
    if figure is None:
        return TargetCheck(target, None, Status.NO_DATA)
    met = figure <= target.value if target.at_most else figure >= target.value
    return TargetCheck(target, figure, Status.MET if met else Status.NOT_MET)


def compare(figures: Figures, area_class: AreaClass, targets: Targets = DEFAULT_TARGETS) -> tuple[TargetCheck, ...]:
    """Each target against the period's figure: average wait per visit, QĐ 766 ratio, productivity."""
    out = [check(t, figures.avg_wait_seconds) for t in targets.wait]
    out += [check(t, figures.qd766_ratio) for t in targets.satisfaction]
    productivity = targets.productivity.get(area_class)
    if productivity is not None:
        out.append(check(productivity, figures.productivity_per_staff_year))
    return tuple(out)
