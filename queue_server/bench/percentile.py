"""The one percentile every benchmark row uses (nearest rank on the sorted samples), so rows compare alike."""

from __future__ import annotations

import math


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by nearest rank; NaN for no samples (a row then shows it failed)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
