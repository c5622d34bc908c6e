"""Satisfaction (share and QĐ 766 ratio), productivity, percentiles and targets on hand-computed days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from queue_server.analytics import GroupBy, Status, period_report
from queue_server.analytics.metrics import nearest_rank
from queue_server.analytics.targets import (
    PRODUCTIVITY,
    SATISFACTION_2025,
    WAIT_2022,
    WAIT_2025,
    Kind,
    Targets,
    check,
)
from queue_server.engine import commands as cmd
from queue_server.engine.setup import AreaClass, Outcome
from tests.unit.engine_helpers import T0, Office, make_setup

DAY = date(2025, 3, 3)
SETUP = make_setup()
DOSSIER = Outcome.DOSSIER_RECEIVED


def at(minutes: float, days: int = 0) -> datetime:
    return T0 + timedelta(days=days, minutes=minutes)


def serve(
    office: Office,
    counter: str,
    service: str,
    start: float,
    outcome: Outcome | None,
    rating: str | None = None,
    days: int = 0,
) -> None:
    """Issue at ``start``, call 2 min later, finish 5 min later, rate 1 min after the finish."""
    office.issue(service, at=at(start, days))
    office.call(counter, at=at(start + 2, days))
    office.run(
        cmd.FinishService(counter, outcome, f"HS-{start}" if outcome is DOSSIER else None), at=at(start + 7, days)
    )
    if rating is not None:
        office.run(cmd.RateService(counter, rating), at=at(start + 8, days))


def test_qd766_ratio_counts_unrated_dossiers_as_satisfied_and_ignores_other_services() -> None:
    office = Office()
    serve(office, "c1", "land", 0, DOSSIER, "very_satisfied")
    serve(office, "c1", "land", 10, DOSSIER)  # unrated: satisfied under QĐ 766
    serve(office, "c1", "land", 20, DOSSIER, "dissatisfied")
    serve(office, "c1", "land", 30, DOSSIER)
    serve(office, "c3", "business", 0, Outcome.GUIDANCE_ONLY, "dissatisfied")  # not a dossier: not in the ratio
    serve(office, "c3", "business", 10, Outcome.RESULT_RETURNED, "satisfied")

    figures = period_report(office.events, SETUP, DAY, DAY).overall
    assert (figures.dossiers_received, figures.dossiers_unsatisfied) == (4, 1)
    assert figures.qd766_ratio == pytest.approx(3 / 4)
    assert (figures.ratings, figures.satisfied_ratings) == (4, 2)  # share counts every rating given
    assert figures.satisfaction_share == pytest.approx(2 / 4)


def test_a_dissatisfied_rating_before_a_transfer_does_not_touch_the_dossier_received_later() -> None:
    office = Office()
    office.issue("land", at=at(0))
    office.call("c1", at=at(1))
    office.run(cmd.RateService("c1", "dissatisfied"), at=at(3))  # rates segment 1, still in service
    office.run(cmd.Transfer("c1", to_service_id="justice"), at=at(4))
    office.call("c2", at=at(6))
    office.run(cmd.FinishService("c2", DOSSIER, "HS-1"), at=at(9))

    figures = period_report(office.events, SETUP, DAY, DAY).overall
    assert (figures.dossiers_received, figures.qd766_ratio) == (1, 1.0)
    assert figures.satisfaction_share == 0


def test_no_dossiers_and_no_ratings_give_no_ratio_rather_than_zero() -> None:
    office = Office()
    serve(office, "c1", "land", 0, None)
    figures = period_report(office.events, SETUP, DAY, DAY).overall
    assert figures.qd766_ratio is None and figures.satisfaction_share is None


def productivity_office() -> Office:
    """s1 signs in at c1 on Monday only but serves Mon–Wed (3 staff-days, 6 dossiers);
    s2 works Tuesday at c3 (1 staff-day, 1 dossier)."""
    office = Office()
    office.run(cmd.SignIn("c1", "s1"), at=at(0))
    for day, count in ((0, 2), (1, 3), (2, 1)):
        for i in range(count):
            serve(office, "c1", "land", 10 * i, DOSSIER, days=day)
    office.run(cmd.SignIn("c3", "s2"), at=at(60, 1))
    serve(office, "c3", "business", 70, DOSSIER, days=1)
    serve(office, "c3", "business", 80, Outcome.GUIDANCE_ONLY, days=1)
    office.run(cmd.SignOut("c3"), at=at(120, 1))
    return office


def test_productivity_is_annualised_per_staff_day() -> None:
    office = productivity_office()
    result = period_report(office.events, SETUP, DAY, DAY + timedelta(days=2))
    assert (result.overall.dossiers_received, result.overall.staff_days) == (7, 4)
    assert result.overall.productivity_per_staff_year == pytest.approx(7 / 4 * 250)
    by_staff = {g.key: g.figures for g in result.groups[GroupBy.STAFF]}
    assert by_staff["s1"].staff_days == 3 and by_staff["s1"].productivity_per_staff_year == pytest.approx(500)
    assert by_staff["s2"].staff_days == 1 and by_staff["s2"].productivity_per_staff_year == pytest.approx(250)
    by_day = {g.key: g.figures for g in result.groups[GroupBy.DAY]}
    assert [(f.dossiers_received, f.staff_days) for f in by_day.values()] == [(2, 1), (4, 2), (1, 1)]
    assert all(g.figures.staff_days is None for g in result.groups[GroupBy.SERVICE])

    shorter_year = period_report(office.events, SETUP, DAY, DAY + timedelta(days=2), working_days_per_year=200)
    assert shorter_year.overall.productivity_per_staff_year == pytest.approx(7 / 4 * 200)
    tuesday = period_report(office.events, SETUP, DAY + timedelta(days=1), DAY + timedelta(days=1)).overall
    assert (tuesday.dossiers_received, tuesday.staff_days) == (4, 2)


def test_staff_signed_in_without_serving_still_counts_a_staff_day() -> None:
    office = Office()
    office.run(cmd.SignIn("c2", "s2"), at=at(0))
    result = period_report(office.events, SETUP, DAY, DAY)
    assert result.overall.staff_days == 1 and result.overall.productivity_per_staff_year == 0
    assert [(g.key, g.figures.visits) for g in result.groups[GroupBy.STAFF]] == [("s2", 0)]


def test_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 11)]
    assert nearest_rank(values, 90) == 9
    assert nearest_rank(values, 91) == 10
    assert nearest_rank(values, 0) == 1
    assert nearest_rank([7.0], 90) == 7
    with pytest.raises(ValueError):
        nearest_rank([], 90)


def test_targets_carry_value_year_and_source() -> None:
    assert (WAIT_2022.value, WAIT_2022.year, WAIT_2025.value, WAIT_2025.year) == (1800, 2022, 900, 2025)
    assert "468" in WAIT_2025.source and "766" in SATISFACTION_2025.source
    assert [PRODUCTIVITY[a].value for a in AreaClass] == [1600, 1200, 800]
    assert check(WAIT_2025, 900).status is Status.MET  # "tối đa 15 phút": 15 min exactly meets it
    assert check(WAIT_2025, 901).status is Status.NOT_MET
    assert check(SATISFACTION_2025, 0.95).status is Status.MET
    assert check(SATISFACTION_2025, 0.949).status is Status.NOT_MET
    assert check(PRODUCTIVITY[AreaClass.REMOTE], None).status is Status.NO_DATA


def test_a_period_is_compared_with_the_targets_of_its_area_class() -> None:
    office = productivity_office()  # waits of 2 min, 7 dossiers unrated, 437.5 dossiers per staff-year
    start, end = DAY, DAY + timedelta(days=2)
    checks = period_report(office.events, SETUP, start, end).targets
    assert [(c.target.kind, c.target.year, c.status) for c in checks] == [
        (Kind.WAIT, 2022, Status.MET),
        (Kind.WAIT, 2025, Status.MET),
        (Kind.SATISFACTION, 2024, Status.MET),
        (Kind.SATISFACTION, 2025, Status.MET),
        (Kind.PRODUCTIVITY, 2025, Status.NOT_MET),
    ]
    assert checks[-1].target.value == 1600 and checks[-1].figure == pytest.approx(437.5)

    lenient = Targets(productivity={AreaClass.REMOTE: replace(PRODUCTIVITY[AreaClass.REMOTE], value=400)})
    remote = replace(SETUP, area_class=AreaClass.REMOTE)
    checks = period_report(office.events, remote, start, end, targets=lenient).targets
    assert checks[-1].target.value == 400 and checks[-1].status is Status.MET

    empty = period_report(office.events, SETUP, DAY + timedelta(days=30), DAY + timedelta(days=30)).targets
    assert {c.status for c in empty} == {Status.NO_DATA}


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        period_report([], SETUP, DAY, DAY - timedelta(days=1))


def test_a_dossier_counts_for_the_staff_member_signed_in_when_it_was_received() -> None:
    office = Office()
    office.run(cmd.SignIn("c1", "s1"), at=at(0))
    office.issue("land", at=at(0))
    office.call("c1", at=at(1))  # called by s1
    office.run(cmd.SignIn("c1", "s2"), at=at(3))  # s2 takes over the counter mid-service
    office.run(cmd.FinishService("c1", DOSSIER, "HS-1"), at=at(6))
    by_staff = {g.key: g.figures for g in period_report(office.events, SETUP, DAY, DAY).groups[GroupBy.STAFF]}
    assert by_staff["s2"].dossiers_received == 1
    assert by_staff["s1"].dossiers_received == 0 and by_staff["s1"].staff_days == 1
