"""Small server-rendered SVG charts for the dashboard: no JavaScript, nothing fetched, readable by a screen
reader (``role="img"``, a ``<title>`` and ``<desc>`` for the chart, a ``<title>`` on every bar and point,
which browsers also show on hover). Labels arrive already translated and formatted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 36
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 14
MAX_BAR = 48


@dataclass(frozen=True)
class Point:
    label: str
    """On the x axis: "08:00", "23/11", "11/2026"."""
    value: float | None
    title: str
    """What the bar or point says when pointed at or read aloud: "08:00: 21,7 phút"."""


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[Point]
    css: str


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the plot: a target."""

    value: float
    label: str


def nice_top(highest: float) -> float:
    """The smallest 1, 2, 4, 6 or 8 × 10ⁿ at or above ``highest``: an axis whose four gridlines fall on
    round numbers (¼ of each of these has at most two decimals)."""
    if highest <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(highest))
    for step in (1, 2, 4, 6, 8):
        if highest <= step * power:
            return step * power
    return 10 * power


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H - value / top * PLOT_H


def _frame(chart_id: str, title: str, description: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(top: float, y_text: Callable[[float], str], labels: Sequence[str]) -> list[str]:
    out = []
    for i in range(5):
        value = top * i / 4
        y = _y(value, top)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="y" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(y_text(value))}</text>')
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    slot = PLOT_W / max(1, len(labels))
    for i, label in enumerate(labels):
        if i % step == 0:
            x = LEFT + slot * (i + 0.5)
            out.append(
                f'<text class="x" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    return out


def _rules(top: float, rules: Sequence[Rule]) -> list[str]:
    """Drawn last, over the bars, so a target stays visible."""
    out = []
    for i, rule in enumerate(rules):
        y = _y(rule.value, top)
        # labels alternate right and left, so two close targets (90 % and 95 %) stay readable
        x, anchor = (WIDTH - RIGHT - 4, "end") if i % 2 == 0 else (LEFT + 4, "start")
        out.append(
            f'<g class="rule"><title>{escape(rule.label)}</title>'
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{x}" y="{y - 4:.1f}" text-anchor="{anchor}">{escape(rule.label)}</text></g>'
        )
    return out


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[Point],
    y_text: Callable[[float], str],
    rules: Sequence[Rule] = (),
) -> Markup:
    """Vertical bars, one per point (a point with no value leaves its slot empty)."""
    values = [p.value for p in points if p.value is not None] + [r.value for r in rules]
    top = nice_top(max(values, default=0.0))
    body = _axes(top, y_text, [p.label for p in points])
    slot = PLOT_W / max(1, len(points))
    bar = min(MAX_BAR, max(1.0, slot * 0.7))
    for i, p in enumerate(points):
        if p.value is None:
            continue
        x, y = LEFT + slot * i + (slot - bar) / 2, _y(p.value, top)
        body.append(
            f'<g class="bar"><title>{escape(p.title)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{TOP + PLOT_H - y:.1f}"/></g>'
        )
    return _frame(chart_id, title, description, body + _rules(top, rules))


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    y_text: Callable[[float], str],
    top: float,
    rules: Sequence[Rule] = (),
) -> Markup:
    """One line per series over shared x labels (those of the first series), with a legend; a point with
    no value breaks its line."""
    labels = [p.label for p in series[0].points] if series else []
    body = _axes(top, y_text, labels) + _rules(top, rules)
    slot = PLOT_W / max(1, len(labels))
    for n, s in enumerate(series):
        runs: list[list[str]] = [[]]
        dots = []
        for i, p in enumerate(s.points):
            if p.value is None:
                runs.append([])
                continue
            x, y = LEFT + slot * (i + 0.5), _y(p.value, top)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<g class="dot"><title>{escape(p.title)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="3.5"/></g>'
            )
        legend_x = LEFT + 8 + n * 220
        body += [f'<g class="series {escape(s.css)}">']
        body += [f'<polyline points="{" ".join(run)}"/>' for run in runs if len(run) > 1]
        body += dots
        body += [
            f'<g class="legend"><rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 5}">{escape(s.name)}</text></g></g>'
        ]
    return _frame(chart_id, title, description, body)
