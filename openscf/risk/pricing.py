"""An indicative annual rate for financing a piece, every part shown, in integer arithmetic.

    rate = cost of funds + expected loss + capital charge + margin          (all in bps)

- **expected loss**: the probability of default `pd` is stated over a horizon
  (`pd_horizon_days`, e.g. a 90-day PD). Over the piece's tenor it is taken pro rata and
  capped at certainty, `pd_tenor = min(1, pd x tenor_days / pd_horizon_days)`; the
  expected loss over the tenor is `pd_tenor x lgd`, annualised by `basis_days /
  tenor_days` (the program's day-count basis, 365 by default). For a tenor within the
  horizon this is the annualised PD times the LGD.
- **loss given default**: the program's realised LGD from its closed default claims
  (`realised_lgd_bps`: total loss / total exposure at default over every closed claim)
  when there is any exposure, else the stated prior (`PricingParameters.lgd_prior_bps`);
  the breakdown says which (`lgd_source`).
- **capital charge**: the capital held against the piece (`capital_ratio_bps` of its
  face) times the return that capital must earn (`cost_of_capital_bps`).
- **cost of funds** and **margin**: stated by the pricer, whole bps.

PD is given as whole basis points (`pd_bps=230`) or as a ratio of integers
(`pd=(7, 300)`); no float is ever read. Exact rational arithmetic (`fractions.Fraction`)
until one rounding per part: *the expected loss, the capital charge and the realised LGD
are each rounded up to the next whole basis point* (a price never undercharges the cost
it stands for); the rate is the exact sum of the parts shown.

Pure: no I/O, no clock. May import the standard library only (it sits in `openscf.risk`,
which may import the domain, but needs nothing from it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction
from math import ceil
from typing import Any

__all__ = [
    "BPS",
    "PriceBreakdown",
    "PricingParameters",
    "indicative_rate",
    "probability",
    "realised_lgd_bps",
]

BPS = 10_000


@dataclass(frozen=True, slots=True)
class PricingParameters:
    """What the pricer states: its cost of funds, capital, margin and LGD prior (bps)."""

    cost_of_funds_bps: int
    margin_bps: int
    capital_ratio_bps: int = 800  # capital held, per 10,000 of face
    cost_of_capital_bps: int = 1_200  # return that capital must earn, a year
    lgd_prior_bps: int = 4_500  # loss given default before the program has any history
    basis_days: int = 365

    def __post_init__(self) -> None:
        for name in ("cost_of_funds_bps", "margin_bps", "capital_ratio_bps", "cost_of_capital_bps"):
            _whole(getattr(self, name), name, low=0, high=BPS)
        _whole(self.lgd_prior_bps, "lgd_prior_bps", low=0, high=BPS)
        if self.basis_days not in (360, 365):
            raise ValueError("basis_days is 360 or 365")


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """An indicative annual rate and its parts, all whole basis points.

    `rate_bps` = `cost_of_funds_bps` + `expected_loss_bps` + `capital_charge_bps` +
    `margin_bps`, exactly. The inputs the expected loss came from are kept beside it."""

    rate_bps: int
    cost_of_funds_bps: int
    expected_loss_bps: int
    capital_charge_bps: int
    margin_bps: int
    pd_numerator: int
    pd_denominator: int
    pd_horizon_days: int
    tenor_days: int
    lgd_bps: int
    lgd_source: str  # "realised" or "prior"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _whole(value: object, name: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")
    return value


def probability(pd_bps: int | None = None, pd: tuple[int, int] | None = None) -> Fraction:
    """A probability from whole basis points or from a ratio of integers (exactly one)."""
    if (pd_bps is None) == (pd is None):
        raise ValueError("give the probability of default as pd_bps or as pd=(num, den)")
    if pd_bps is not None:
        return Fraction(_whole(pd_bps, "pd_bps", low=0, high=BPS), BPS)
    assert pd is not None
    num, den = pd
    _whole(den, "the PD's denominator", low=1)
    _whole(num, "the PD's numerator", low=0, high=den)
    return Fraction(num, den)


def realised_lgd_bps(claims: Iterable[tuple[int, int]]) -> int | None:
    """The realised LGD over closed claims, given as (exposure at default, loss) in minor
    units: total loss x 10,000 / total exposure, rounded up; None without exposure."""
    exposure = loss = 0
    for exposure_minor, loss_minor in claims:
        _whole(exposure_minor, "exposure_minor", low=0)
        _whole(loss_minor, "loss_minor", low=0, high=exposure_minor)
        exposure += exposure_minor
        loss += loss_minor
    if exposure == 0:
        return None
    return ceil(Fraction(loss * BPS, exposure))


def indicative_rate(
    params: PricingParameters,
    *,
    tenor_days: int,
    pd_horizon_days: int,
    pd_bps: int | None = None,
    pd: tuple[int, int] | None = None,
    realised_lgd: int | None = None,
) -> PriceBreakdown:
    """The indicative annual rate for financing a piece of `tenor_days` (see the module).

    `realised_lgd`: the program's realised LGD in bps (`realised_lgd_bps`), or None to use
    the prior."""
    _whole(tenor_days, "tenor_days", low=1, high=3650)
    _whole(pd_horizon_days, "pd_horizon_days", low=1, high=3650)
    p = probability(pd_bps, pd)
    if realised_lgd is None:
        lgd, source = params.lgd_prior_bps, "prior"
    else:
        lgd, source = _whole(realised_lgd, "realised_lgd", low=0, high=BPS), "realised"
    pd_tenor = min(Fraction(1), p * tenor_days / pd_horizon_days)
    loss_over_tenor = pd_tenor * Fraction(lgd, BPS)
    annual_loss = loss_over_tenor * params.basis_days / tenor_days
    expected_loss = ceil(annual_loss * BPS)
    capital = ceil(Fraction(params.capital_ratio_bps * params.cost_of_capital_bps, BPS))
    return PriceBreakdown(
        rate_bps=params.cost_of_funds_bps + expected_loss + capital + params.margin_bps,
        cost_of_funds_bps=params.cost_of_funds_bps,
        expected_loss_bps=expected_loss,
        capital_charge_bps=capital,
        margin_bps=params.margin_bps,
        pd_numerator=p.numerator,
        pd_denominator=p.denominator,
        pd_horizon_days=pd_horizon_days,
        tenor_days=tenor_days,
        lgd_bps=lgd,
        lgd_source=source,
    )
