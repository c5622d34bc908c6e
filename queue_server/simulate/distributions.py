"""Service-time distributions of a day profile: exponential, log-normal or empirical (seconds).

Log-normal is the usual shape of counter work (most services short, a long tail of hard dossiers); exponential
is what queueing theory's closed forms assume (the Erlang C validation); empirical replays durations measured
in an office's own history (``--learn-from``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum


class Shape(StrEnum):
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    EMPIRICAL = "empirical"


@dataclass(frozen=True)
class ServiceTime:
    """How long one segment at a counter lasts, in seconds."""

    shape: Shape
    mean_seconds: float
    sd_seconds: float = 0.0
    """Log-normal only (an exponential's is its mean)."""
    samples: tuple[float, ...] = ()
    """Empirical only: durations drawn uniformly."""

    def __post_init__(self) -> None:
        if self.shape is Shape.EMPIRICAL:
            if not self.samples or min(self.samples) < 0:
                raise ValueError("an empirical service time needs non-negative samples")
        elif self.mean_seconds <= 0 or self.sd_seconds < 0:
            raise ValueError("a service time needs a positive mean and a non-negative sd")

    @classmethod
    def empirical(cls, samples: tuple[float, ...]) -> ServiceTime:
        values = tuple(float(s) for s in samples)
        return cls(Shape.EMPIRICAL, sum(values) / len(values) if values else 0.0, samples=values)

    def mean(self) -> float:
        return self.mean_seconds

    def scv(self) -> float:
        """Squared coefficient of variation (1 for exponential): the planner's queueing correction."""
        if self.shape is Shape.EXPONENTIAL:
            return 1.0
        if self.shape is Shape.LOGNORMAL:
            return (self.sd_seconds / self.mean_seconds) ** 2
        mean = self.mean_seconds
        if mean <= 0:
            return 1.0
        var = sum((s - mean) ** 2 for s in self.samples) / len(self.samples)
        return var / mean**2

    def sample(self, rng: random.Random) -> float:
        if self.shape is Shape.EXPONENTIAL:
            return rng.expovariate(1.0 / self.mean_seconds)
        if self.shape is Shape.LOGNORMAL:
            if self.sd_seconds == 0:
                return self.mean_seconds
            sigma2 = math.log(1.0 + (self.sd_seconds / self.mean_seconds) ** 2)
            return rng.lognormvariate(math.log(self.mean_seconds) - sigma2 / 2, math.sqrt(sigma2))
        return rng.choice(self.samples)

    def scaled(self, factor: float) -> ServiceTime:
        """The same shape, every duration times ``factor`` (the demo's compressed day)."""
        return ServiceTime(
            self.shape,
            self.mean_seconds * factor,
            self.sd_seconds * factor,
            tuple(s * factor for s in self.samples),
        )
