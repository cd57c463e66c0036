"""Fast scalar random draws for the simulator's per-invoice decisions.

numpy's Generator costs microseconds per scalar call; the simulator makes tens of
millions of them at scale. `Draws` pre-draws uniforms (and normals) in blocks and derives
the few distributions it needs from them, so a draw is a list index. Deterministic: the
blocks come from a seeded Generator in a fixed order.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Draws"]

_BLOCK = 1 << 16


class Draws:
    """A subset of numpy.random.Generator's scalar API over pre-drawn blocks."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []
        self._n: list[float] = []
        self._ui = self._ni = 0

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if self._ui >= len(self._u):
            self._u = self._rng.random(_BLOCK).tolist()
            self._ui = 0
        value = self._u[self._ui]
        self._ui += 1
        return value

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        if self._ni >= len(self._n):
            self._n = self._rng.standard_normal(_BLOCK).tolist()
            self._ni = 0
        value = self._n[self._ni]
        self._ni += 1
        return mean + sd * value

    def integers(self, low: int, high: int | None = None) -> int:
        """Uniform integer on [low, high) (or [0, low) with one argument)."""
        if high is None:
            low, high = 0, low
        return low + min(int(self.random() * (high - low)), high - low - 1)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def geometric(self, p: float) -> int:
        """Trials up to the first success (>= 1), by inversion."""
        if p >= 1.0:
            return 1
        return 1 + int(math.log(1.0 - self.random()) / math.log(1.0 - p))
