"""Prices in the simulated market: the seam where a credit model plugs in.

A funder bidding for a holder's piece, and an anchor offering to pay a piece early, each
ask a *pricing function* for an annual rate:

    def my_pricing(request: PricingRequest) -> int | None:
        return None if request.holder_recent_late_share > 0.5 else 380   # bps, or pass

`PricingRequest` holds only what the pricer could know on that day: the market's base
rate, the piece (face, tenor, obligor and its public rating), the holder's size and tier
from onboarding, and the holder's trade history as the network saw it up to that day
(invoices, late deliveries, disputes, both in total and recent). The hidden health that
drives defaults is never in it. A pricing function returns whole basis points (1..10,000)
or None to pass; the simulator turns the basis points into the exact decimal rate the
platform expects ('0.0380'), so no float reaches an amount or a rate on the log.

`risk_financing_rate(pd_bps=...)` makes a funder bid the indicative rate of
`openscf.risk.pricing` (cost of funds + expected loss + capital charge + margin) from the
PD a credit model gives it. Pass your own functions with
`Pricing(financing=..., early_payment=...)` to
`openscf.sim.run.simulate(..., pricing=...)` (or `Economy(..., pricing=...)`); the
defaults are `default_financing_rate` and `default_early_payment_rate`.

The base rate follows a seeded mean-reverting path in monthly steps (`BaseRatePath`), so
every price moves with it and two runs with one seed see the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

import numpy as np

from openscf.risk.pricing import PricingParameters, indicative_rate

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = [
    "BaseRatePath",
    "Market",
    "Pricing",
    "PricingFunction",
    "PricingRequest",
    "bps_to_rate",
    "default_early_payment_rate",
    "default_financing_rate",
    "obligor_rating",
    "rating_pd_bps",
    "risk_financing_rate",
]

MAX_RATE_BPS = 10_000  # the platform refuses an annual rate above 100 %
# How fast the holder's recent history forgets: weights halve every this many days.
RECENT_HALF_LIFE_DAYS = 60.0
# Spread over the base rate for the obligor's public rating (what it pays to borrow).
RATING_SPREAD_BPS = {"A": 40, "BBB": 75, "BB": 200, "B": 450}


@dataclass(frozen=True, slots=True)
class PricingRequest:
    """What a pricer knows when it prices a piece today. Counts are as of `on`.

    kind: "financing" (a funder bids for the holder's piece) or "early_payment" (the
    obligor offers to pay its own piece early; then `pricer_id` is the obligor).
    """

    kind: str
    on: date
    day: int  # days since the simulation's start
    base_rate_bps: int
    face_minor: int
    tenor_days: int
    obligor_id: str
    obligor_rating: str  # A, BBB, BB or B: public, set before the first day
    holder_id: str
    holder_tier: int
    holder_annual_sales_minor: int  # from onboarding (know your customer)
    holder_days_observed: int  # days since the network saw the holder's first invoice
    holder_invoices: int  # invoices it issued, in total
    holder_late_deliveries: int
    holder_disputes: int
    holder_recent_invoices: float  # the same, weighted by recency (half-life 60 days)
    holder_recent_late_share: float  # late deliveries / invoices, recent, 0 if none
    holder_recent_dispute_share: float
    pricer_id: str  # the funder bidding, or the obligor offering early payment
    pricer_margin_bps: int  # the pricer's own margin over its cost of funds


class PricingFunction(Protocol):
    """Prices one piece: an annual rate in whole basis points (1..10,000), or None to pass."""

    def __call__(self, request: PricingRequest, /) -> int | None: ...


def default_financing_rate(request: PricingRequest) -> int | None:
    """A funder's bid: base rate + the obligor's spread + its own margin + a term premium,
    plus a premium for what the holder's history shows (a funder buying the piece bears
    the holder's dilution and fraud risk, so a supplier that delivers late and is disputed
    often pays more). Passes on a holder whose recent history is mostly late deliveries."""
    thin_file = 10.0  # invoices of prior weight: a new holder is priced as a typical one
    n = request.holder_recent_invoices
    late = (request.holder_recent_late_share * n + 0.08 * thin_file) / (n + thin_file)
    disputes = (request.holder_recent_dispute_share * n + 0.03 * thin_file) / (n + thin_file)
    if n >= 8 and late >= 0.5:
        return None
    holder_bps = (
        1200 * max(0.0, late - 0.07)
        + 2000 * max(0.0, disputes - 0.025)
        + 25 * (request.holder_tier - 1)
        + (40 if request.holder_days_observed < 60 else 0)
    )
    rate = (
        request.base_rate_bps
        + RATING_SPREAD_BPS[request.obligor_rating]
        + request.pricer_margin_bps
        + 20 * request.tenor_days / 365
        + holder_bps
    )
    return max(1, min(MAX_RATE_BPS, round(rate)))


def default_early_payment_rate(request: PricingRequest) -> int | None:
    """An anchor's early-payment offer: what the cash costs it (base rate plus its own
    spread) plus its margin. The holder's history does not matter: the anchor pays its own
    debt early."""
    rate = (
        request.base_rate_bps
        + RATING_SPREAD_BPS[request.obligor_rating]
        + request.pricer_margin_bps
    )
    return max(1, min(MAX_RATE_BPS, rate))


# One-year probabilities of default by public rating, whole bps (long-run corporate
# averages in round numbers; a pricer that knows better passes its own `pd_bps`).
RATING_PD_BPS = {"A": 8, "BBB": 25, "BB": 110, "B": 450}


def rating_pd_bps(request: PricingRequest) -> int:
    """The one-year PD of the piece's obligor from its public rating."""
    return RATING_PD_BPS[request.obligor_rating]


def risk_financing_rate(
    pd_bps: Callable[[PricingRequest], int | None] = rating_pd_bps,
    *,
    pd_horizon_days: int = 365,
    capital_ratio_bps: int = 800,
    cost_of_capital_bps: int = 1_200,
    lgd_bps: int = 4_500,
) -> PricingFunction:
    """A funder that bids the indicative rate of `openscf.risk.pricing`: its cost of funds
    (the market's base rate), the expected loss from `pd_bps(request)` over
    `pd_horizon_days` and an LGD, the capital charge, and its own margin; it passes when
    `pd_bps` returns None (e.g. a model that will not score the piece). Plug a credit model
    in through `pd_bps`; by default the obligor's rating."""

    def financing(request: PricingRequest) -> int | None:
        pd = pd_bps(request)
        if pd is None:
            return None
        params = PricingParameters(
            cost_of_funds_bps=request.base_rate_bps,
            margin_bps=request.pricer_margin_bps,
            capital_ratio_bps=capital_ratio_bps,
            cost_of_capital_bps=cost_of_capital_bps,
            lgd_prior_bps=lgd_bps,
        )
        price = indicative_rate(
            params, tenor_days=request.tenor_days, pd_horizon_days=pd_horizon_days, pd_bps=pd
        )
        return max(1, min(MAX_RATE_BPS, price.rate_bps))

    return financing


@dataclass(frozen=True)
class Pricing:
    """The market's two pricing functions: funders' bids and anchors' early payment."""

    financing: PricingFunction = default_financing_rate
    early_payment: PricingFunction = default_early_payment_rate


def bps_to_rate(bps: int, who: str = "pricing function") -> str:
    """Whole basis points as the platform's exact decimal rate: 345 -> '0.0345'."""
    if isinstance(bps, bool) or not isinstance(bps, int) or not 1 <= bps <= MAX_RATE_BPS:
        raise ValueError(
            f"the {who} returned {bps!r}; return whole basis points "
            f"1..{MAX_RATE_BPS} (an int) or None to pass"
        )
    return f"{bps // 10_000}.{bps % 10_000:04d}"


def obligor_rating(health_mean: float) -> str:
    """A public rating for an anchor's long-run credit quality (agencies see it; the
    simulation's weekly health moves are not rerated)."""
    if health_mean >= 4.0:
        return "A"
    if health_mean >= 3.0:
        return "BBB"
    if health_mean >= 1.5:
        return "BB"
    return "B"


class BaseRatePath:
    """The money-market reference rate: a seeded mean-reverting walk in monthly steps,
    in whole basis points. Drawn from its own stream, so it never shifts other draws."""

    def __init__(
        self,
        seed: int,
        start_bps: int = 225,
        mean_bps: int = 250,
        reversion: float = 0.15,
        monthly_sd_bps: float = 12.0,
    ) -> None:
        self._rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(101,)))
        self._mean, self._reversion, self._sd = float(mean_bps), reversion, monthly_sd_bps
        self._level = float(start_bps)
        self.path_bps: list[int] = [start_bps]

    def month(self, k: int) -> int:
        """The rate in month k of the run (0 is the first month)."""
        while len(self.path_bps) <= k:
            self._level += self._reversion * (self._mean - self._level) + self._sd * float(
                self._rng.standard_normal()
            )
            self._level = max(0.0, self._level)
            self.path_bps.append(round(self._level))
        return self.path_bps[k]


class Market:
    """The pricing functions, the base rate and the holders' history as the network saw
    it; builds each `PricingRequest` and turns the answer into a platform rate."""

    def __init__(self, e: Economy, pricing: Pricing | None = None) -> None:
        self.pricing = pricing or Pricing()
        self.base = BaseRatePath(
            e.config.seed, start_bps=e.config.base_rate_bps, mean_bps=e.config.base_rate_bps + 25
        )
        n = len(e.firms)
        self.rating = [obligor_rating(f.health_mean) if f.kind == "anchor" else "" for f in e.firms]
        self.margin_bps = [self._margin_bps(e, k) for k in range(n)]
        self.sales_minor = [round(f.sales_eur) * 100 for f in e.firms]
        self.invoices = np.zeros(n, dtype=np.int64)
        self.late = np.zeros(n, dtype=np.int64)
        self.disputes = np.zeros(n, dtype=np.int64)
        self.first_day = np.full(n, -1, dtype=np.int64)
        self.recent = np.zeros((3, n))  # recency-weighted invoices, late, disputes
        self._seen = 0  # invoice rows already counted
        self._day = 0  # the day `recent` is weighted to

    @staticmethod
    def _margin_bps(e: Economy, k: int) -> int:
        f = e.firms[k]
        if f.kind == "funder":
            return round(f.margin * 10_000)
        if f.kind == "anchor":
            return 150 + 75 * (k % 3)  # an anchor's margin on paying early
        return 0

    def base_rate_bps(self, e: Economy, day: int) -> int:
        d = e.date_of(day)
        return self.base.month((d.year - e.start.year) * 12 + d.month - e.start.month)

    def observe(self, e: Economy, day: int) -> None:
        """Bring the holders' history up to today: every invoice recorded so far (the
        simulator records an invoice on its issue day, so all of them are in the past)."""
        if day > self._day:
            self.recent *= 0.5 ** ((day - self._day) / RECENT_HALF_LIFE_DAYS)
            self._day = day
        book = e.book
        end = len(book.invoice_seller)
        if end == self._seen:
            return
        k = self._seen
        seller = np.asarray(book.invoice_seller[k:end], dtype=np.int64)
        issued = np.asarray(book.invoice_issue_day[k:end], dtype=np.int64)
        late = np.frombuffer(bytes(book.invoice_is_late_delivery[k:end]), dtype=np.uint8)
        disputed = np.frombuffer(bytes(book.invoice_is_disputed[k:end]), dtype=np.uint8)
        n = len(self.invoices)
        weight = 0.5 ** (np.maximum(0, day - issued) / RECENT_HALF_LIFE_DAYS)
        self.invoices += np.bincount(seller, minlength=n)
        self.late += np.bincount(seller, weights=late, minlength=n).astype(np.int64)
        self.disputes += np.bincount(seller, weights=disputed, minlength=n).astype(np.int64)
        self.recent[0] += np.bincount(seller, weights=weight, minlength=n)
        self.recent[1] += np.bincount(seller, weights=weight * late, minlength=n)
        self.recent[2] += np.bincount(seller, weights=weight * disputed, minlength=n)
        unseen = self.first_day[seller] < 0
        if unseen.any():
            never = np.iinfo(np.int64).max
            first = np.full(n, never, dtype=np.int64)
            np.minimum.at(first, seller[unseen], issued[unseen])
            self.first_day[first < never] = first[first < never]
        self._seen = end

    def request(
        self,
        e: Economy,
        kind: str,
        day: int,
        holder: int,
        obligor: int,
        pricer: int,
        face_minor: int,
        tenor_days: int,
    ) -> PricingRequest:
        """Today's pricing request for a piece (call `observe` for the day first)."""
        f = e.firms[holder]
        recent_n = float(self.recent[0, holder])
        first = int(self.first_day[holder])
        return PricingRequest(
            kind=kind,
            on=e.date_of(day),
            day=day,
            base_rate_bps=self.base_rate_bps(e, day),
            face_minor=face_minor,
            tenor_days=tenor_days,
            obligor_id=e.firms[obligor].org_id,
            obligor_rating=self.rating[obligor],
            holder_id=f.org_id,
            holder_tier=f.tier,
            holder_annual_sales_minor=self.sales_minor[holder],
            holder_days_observed=day - first if first >= 0 else 0,
            holder_invoices=int(self.invoices[holder]),
            holder_late_deliveries=int(self.late[holder]),
            holder_disputes=int(self.disputes[holder]),
            holder_recent_invoices=recent_n,
            holder_recent_late_share=float(self.recent[1, holder]) / recent_n
            if recent_n > 0
            else 0.0,
            holder_recent_dispute_share=float(self.recent[2, holder]) / recent_n
            if recent_n > 0
            else 0.0,
            pricer_id=e.firms[pricer].org_id,
            pricer_margin_bps=self.margin_bps[pricer],
        )

    def financing_rate(self, request: PricingRequest) -> str | None:
        """The funder's bid as the platform's decimal rate, or None if it passes."""
        bps = self.pricing.financing(request)
        return None if bps is None else bps_to_rate(bps, "financing pricing function")

    def early_payment_rate(self, request: PricingRequest) -> str | None:
        """The anchor's early-payment rate as a decimal rate, or None: no offer."""
        bps = self.pricing.early_payment(request)
        return None if bps is None else bps_to_rate(bps, "early-payment pricing function")
