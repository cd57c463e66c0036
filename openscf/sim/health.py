"""Each firm's hidden financial health: a mean-reverting process that drives its defaults.

Health `h` is a distance to default: a firm defaults the first time `h` falls below zero.
Weekly, h moves towards the firm's long-run mean, with idiosyncratic noise, a shock
shared by its industry, rare negative jumps (a lost customer, a fire, a fraud found
out) and rarer still a recession or an industry crisis hitting many firms at once.
The platform never sees `h`; it sees what `h` does to trade: a stressed firm
delivers late and partially, has more disputes and credit notes, pays its own suppliers
later, loses orders and sells its receivables sooner. That is the signal a risk model
can learn from the trade history.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HealthProcess", "stress"]

WEEK = 7 / 365


def stress(h: float) -> float:
    """0 for a healthy firm, about 0.5 at h = 1.2, towards 1 as it nears default."""
    x = 2.2 * (h - 1.2)
    if x > 30:
        return 0.0
    return float(1.0 / (1.0 + np.exp(x)))


class HealthProcess:
    """Vectorised weekly health for every firm; `step` returns the firms that defaulted."""

    def __init__(
        self,
        rng: np.random.Generator,
        mean: np.ndarray,
        sigma: np.ndarray,
        industry: np.ndarray,
        n_industries: int,
    ) -> None:
        self.rng = rng
        self.mean = mean.astype(float)
        self.sigma = sigma.astype(float)
        self.industry = industry
        self.n_industries = n_industries
        self.kappa = 0.8
        self.h = self.mean + rng.normal(0.0, 0.35, len(mean)) * (sigma > 0)
        self.alive = np.ones(len(mean), dtype=bool)
        self.jump_rate = 0.0025  # per week: about one firm in eight a year
        self._stress = 1.0 / (1.0 + np.exp(np.clip(2.2 * (self.h - 1.2), -50, 50)))
        # A firm in decline loses this much health a week on top of its process.
        self.drift = np.zeros(len(mean))
        self.weeks = 0
        # The economy-wide and industry shocks so far: (week, industry or -1 for all).
        self.shocks: list[tuple[int, int]] = []

    @property
    def stress(self) -> np.ndarray:
        """Every firm's stress today (0 healthy .. 1 failing), by firm index."""
        return self._stress

    def stress_of(self, firm: int) -> float:
        return float(self._stress[firm])

    def shock(self, firm: int, size: float) -> None:
        """A known hit to one firm's health (used by bust-out fraud after a volume jump)."""
        self.h[firm] -= size

    def decline(self, firm: int, weeks: float) -> None:
        """Firm `firm` is failing: its prospects are gone (its long-run mean falls below
        zero) and it loses health steadily, so that it defaults in about `weeks` weeks."""
        self.mean[firm] = -1.0
        self.drift[firm] = -max(0.1, float(self.h[firm]) + 0.3) / max(1.0, weeks)

    def step(self) -> list[int]:
        n = len(self.h)
        common = self.rng.normal(0.0, 1.0, self.n_industries)[self.industry]
        own = self.rng.normal(0.0, 1.0, n)
        jumps = (self.rng.random(n) < self.jump_rate) * self.rng.normal(-1.1, 0.4, n)
        noise = 0.45 * common + np.sqrt(1 - 0.45**2) * own
        # Rare shocks: a recession hits every firm (about once in five years), a crisis one
        # industry (about once in two years each).
        recession = self.rng.random() < 1 / 260
        crises = self.rng.random(self.n_industries) < 1 / 100
        hit = (0.4 * recession + 0.3 * crises[self.industry]) * (self.sigma > 0)
        self.shocks.extend([(self.weeks, -1)] if recession else [])
        self.shocks.extend((self.weeks, int(k)) for k in np.flatnonzero(crises))
        self.weeks += 1
        self.h -= hit
        self.h += (
            self.kappa * (self.mean - self.h) * WEEK
            + self.sigma * np.sqrt(WEEK) * noise
            + jumps * (self.sigma > 0)
            + self.drift
        )
        self._stress = 1.0 / (1.0 + np.exp(np.clip(2.2 * (self.h - 1.2), -50, 50)))
        fallen = np.flatnonzero(self.alive & (self.h < 0.0))
        self.alive[fallen] = False
        return [int(i) for i in fallen]
