"""The dashboard's SVG charts: well-formed, accessible, escaped, and honest about missing values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from queue_server.web.charts import Point, Rule, Series, bar_chart, line_chart, nice_top

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("highest", "top"), [(0, 1), (0.3, 0.4), (3, 4), (5, 6), (21.7, 40), (30, 40), (50, 60), (100, 100), (101, 200)]
)
def test_axis_top_is_round(highest: float, top: float) -> None:
    assert nice_top(highest) == pytest.approx(top)


def test_bar_chart_is_accessible_and_leaves_missing_values_empty() -> None:
    points = [Point("07", None, "07:00: —"), Point("08", 21.7, "08:00: 21,7 phút"), Point("09", 0.0, "09:00: 0")]
    svg = ET.fromstring(bar_chart("w", "Chờ <trung bình> & mục tiêu", "Mô tả", points, str, [Rule(15, "≤ 15 phút")]))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "w-title w-desc"
    assert svg.find(f"{SVG}title").text == "Chờ <trung bình> & mục tiêu"  # type: ignore[union-attr]
    bars = svg.findall(f"{SVG}g[@class='bar']")
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["08:00: 21,7 phút", "09:00: 0"]  # type: ignore[union-attr]
    heights = [float(bar.find(f"{SVG}rect").get("height") or "nan") for bar in bars]  # type: ignore[union-attr]
    assert heights[0] > 0 and heights[1] == 0
    rule = svg.find(f"{SVG}g[@class='rule']")
    assert rule is not None and rule.find(f"{SVG}title").text == "≤ 15 phút"  # type: ignore[union-attr]


def test_line_chart_breaks_where_a_value_is_missing() -> None:
    values = [50.0, 60.0, None, 70.0, 80.0, None, 90.0]
    series = Series("Hài lòng", [Point(str(i), v, f"{i}: {v}") for i, v in enumerate(values)], "share")
    svg = ET.fromstring(line_chart("s", "Hài lòng", "Mô tả", [series], str, 100.0))
    group = svg.find(f"{SVG}g[@class='series share']")
    assert group is not None
    assert len(group.findall(f"{SVG}polyline")) == 2  # 50–60 and 70–80; the lone 90 is a dot only
    assert len(group.findall(f"{SVG}g[@class='dot']")) == 5
