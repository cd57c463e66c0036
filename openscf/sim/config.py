"""The simulator's knobs, in one frozen record, so a run is named by (config, seed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["SimConfig"]


@dataclass(frozen=True)
class SimConfig:
    """Everything that shapes a simulated economy. Same config, same seed: same history.

    firms:         organisations in the economy (anchors, funders and suppliers together).
    months:        months of trading simulated from `start`.
    tiers:         supplier tiers below the anchors (1..tiers).
    run_off:       after the last month, keep the clock running (no new orders) until
                   every receivable has matured and any default grace period has passed.
    adoption:      share of tier-2+ suppliers that join the network (the rest are paid in
                   cash, as they would be without it): the "without the network" baseline.
    volume:        scales every supplier's number of orders per month.
    fraud:         scales every injected fraud rate (0 turns fraud off).
    anchor_lateness: scales how often anchors pay receivables late at maturity.
    batch_size:    platform commands per transaction.
    base_rate_bps: the money-market reference rate in the first month, in basis points;
                   it then follows a seeded mean-reverting path (see `pricing.py`).
    anchor_default: one anchor's health declines until it defaults within the trading
                   months (always so from 1,000 firms on): the operator declares it in
                   default, the administrator pays recoveries months later.
    """

    firms: int = 200
    months: int = 3
    seed: int = 1
    tiers: int = 3
    start: date = date(2026, 1, 5)
    run_off: bool = False
    adoption: float = 0.65
    volume: float = 1.0
    fraud: float = 1.0
    anchor_lateness: float = 1.0
    batch_size: int = 4000
    currency: str = "EUR"
    base_rate_bps: int = 225
    anchor_default: bool = False

    def __post_init__(self) -> None:
        if self.firms < 12:
            raise ValueError("a simulated economy needs at least 12 firms")
        if not 1 <= self.months <= 60:
            raise ValueError("months must be 1..60")
        if not 1 <= self.tiers <= 6:
            raise ValueError("tiers must be 1..6")
        if not 0.0 <= self.adoption <= 1.0:
            raise ValueError("adoption is a share, 0..1")
        if self.volume <= 0 or self.fraud < 0 or self.anchor_lateness < 0:
            raise ValueError("volume must be positive and fraud non-negative")
        if self.batch_size < 1:
            raise ValueError("batch_size must be positive")
        if not 0 <= self.base_rate_bps <= 2000:
            raise ValueError("base_rate_bps must be 0..2000 (basis points)")
