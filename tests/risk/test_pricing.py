"""The indicative rate: known answers worked by hand, the rounding rule, refusals."""

from __future__ import annotations

import pytest

from openscf.risk.pricing import (
    PricingParameters,
    indicative_rate,
    probability,
    realised_lgd_bps,
)

PARAMS = PricingParameters(
    cost_of_funds_bps=350, margin_bps=150, capital_ratio_bps=800, cost_of_capital_bps=1000
)


def test_a_90_day_piece_with_a_one_year_pd_and_the_prior_lgd_prices_as_worked_by_hand() -> None:
    # PD 2 % a year over 90 days: 0.02 x 90/365; x LGD 0.45; x 365/90 = 0.009 = 90 bps.
    # Capital: 8 % held x 10 % return = 80 bps. 350 + 90 + 80 + 150 = 670.
    price = indicative_rate(PARAMS, tenor_days=90, pd_horizon_days=365, pd_bps=200)
    assert price.expected_loss_bps == 90
    assert price.capital_charge_bps == 80
    assert price.rate_bps == 670
    assert (price.lgd_bps, price.lgd_source) == (4500, "prior")
    assert (price.pd_numerator, price.pd_denominator) == (1, 50)


def test_a_realised_lgd_replaces_the_prior_and_each_part_rounds_up() -> None:
    # Loss 1,300,001 of exposure 4,000,000: 3250.0025 bps, rounded up to 3251.
    lgd = realised_lgd_bps([(1_000_000, 400_000), (3_000_000, 900_001)])
    assert lgd == 3251
    # PD 1/30 over 180 days, tenor 120: 1/30 x 120/180 = 1/45; x 0.3251; x 365/120
    # = 1,186,615 / 54,000,000 = 0.0219743...: 219.74 bps, rounded up to 220.
    price = indicative_rate(
        PARAMS, tenor_days=120, pd_horizon_days=180, pd=(1, 30), realised_lgd=lgd
    )
    assert price.expected_loss_bps == 220
    assert (price.lgd_bps, price.lgd_source) == (3251, "realised")
    assert price.rate_bps == 350 + 220 + 80 + 150


def test_a_tenor_longer_than_the_horizon_caps_the_default_probability_at_certainty() -> None:
    # PD 30 % over 90 days on a 400-day piece: 0.3 x 400/90 > 1, so 1; x LGD 0.6 = 0.6
    # over the tenor; x 365/400 = 0.5475 = 5475 bps.
    params = PricingParameters(cost_of_funds_bps=0, margin_bps=0, lgd_prior_bps=6000)
    price = indicative_rate(params, tenor_days=400, pd_horizon_days=90, pd_bps=3000)
    assert price.expected_loss_bps == 5475
    # Default capital: 8 % x 12 % = 96 bps.
    assert price.capital_charge_bps == 96
    assert price.rate_bps == 5475 + 96


def test_the_parts_always_sum_to_the_rate() -> None:
    for pd_bps in (0, 1, 37, 999, 10_000):
        for tenor in (1, 30, 89, 180, 365):
            p = indicative_rate(PARAMS, tenor_days=tenor, pd_horizon_days=90, pd_bps=pd_bps)
            parts = p.cost_of_funds_bps + p.expected_loss_bps + p.capital_charge_bps
            assert p.rate_bps == parts + p.margin_bps
            assert p.expected_loss_bps >= 0


def test_a_zero_pd_adds_no_expected_loss_and_a_360_basis_prices_less_than_365() -> None:
    assert indicative_rate(PARAMS, tenor_days=60, pd_horizon_days=90, pd_bps=0).rate_bps == 580
    p360 = PricingParameters(cost_of_funds_bps=0, margin_bps=0, basis_days=360)
    p365 = PricingParameters(cost_of_funds_bps=0, margin_bps=0)
    a = indicative_rate(p360, tenor_days=90, pd_horizon_days=90, pd_bps=100)
    b = indicative_rate(p365, tenor_days=90, pd_horizon_days=90, pd_bps=100)
    # 0.01 x 0.45 x 360/90 = 180 bps; x 365/90 = 182.5 -> 183.
    assert (a.expected_loss_bps, b.expected_loss_bps) == (180, 183)


def test_no_realised_exposure_means_no_realised_lgd() -> None:
    assert realised_lgd_bps([]) is None
    assert realised_lgd_bps([(0, 0)]) is None


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"pd_bps": 100, "pd": (1, 100)}, "pd_bps or as pd"),
        ({}, "pd_bps or as pd"),
        ({"pd_bps": 10_001}, "pd_bps"),
        ({"pd": (3, 2)}, "numerator"),
        ({"pd": (1, 0)}, "denominator"),
        ({"pd_bps": 0.5}, "whole number"),
    ],
)
def test_a_probability_that_is_not_one_is_refused(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        probability(**kwargs)  # type: ignore[arg-type]


def test_bad_tenors_parameters_and_losses_are_refused() -> None:
    with pytest.raises(ValueError, match="tenor_days"):
        indicative_rate(PARAMS, tenor_days=0, pd_horizon_days=90, pd_bps=1)
    with pytest.raises(ValueError, match="margin_bps"):
        PricingParameters(cost_of_funds_bps=1, margin_bps=-1)
    with pytest.raises(ValueError, match="basis_days"):
        PricingParameters(cost_of_funds_bps=1, margin_bps=1, basis_days=364)
    with pytest.raises(ValueError, match="loss_minor"):
        realised_lgd_bps([(100, 101)])
