"""Prices in the simulated market: the pricing seam, risk-relevant default prices, a moving
base rate, and rates that reach the platform as exact decimals."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from openscf.sim.config import SimConfig
from openscf.sim.pricing import (
    BaseRatePath,
    Pricing,
    PricingRequest,
    bps_to_rate,
    default_early_payment_rate,
    default_financing_rate,
)
from openscf.sim.run import simulate

from .conftest import Simulated

TINY = SimConfig(firms=60, months=2, seed=4)


def _bodies(out: Path, *types: str) -> list[dict[str, Any]]:
    rows = pq.read_table(out / "events.parquet", columns=["type", "body"]).to_pylist()
    return [json.loads(r["body"])["data"] for r in rows if r["type"] in types]


def _request(**changes: Any) -> PricingRequest:
    typical = PricingRequest(
        kind="financing",
        on=date(2026, 6, 1),
        day=150,
        base_rate_bps=225,
        face_minor=10_000_00,
        tenor_days=60,
        obligor_id="org_a",
        obligor_rating="A",
        holder_id="org_h",
        holder_tier=1,
        holder_annual_sales_minor=12_000_000_00,
        holder_days_observed=140,
        holder_invoices=80,
        holder_late_deliveries=5,
        holder_disputes=2,
        holder_recent_invoices=30.0,
        holder_recent_late_share=0.06,
        holder_recent_dispute_share=0.02,
        pricer_id="org_f",
        pricer_margin_bps=60,
    )
    return dataclasses.replace(typical, **changes)


def test_a_custom_pricing_function_sets_every_rate_on_the_log(tmp_path: Path) -> None:
    asked: list[PricingRequest] = []

    def flat(request: PricingRequest) -> int | None:
        asked.append(request)
        return 300 + 11 * (request.day % 3)

    def no_early_payment(request: PricingRequest) -> int | None:
        return None

    simulate(
        TINY,
        tmp_path,
        verify=False,
        pricing=Pricing(financing=flat, early_payment=no_early_payment),
    )
    offered = _bodies(tmp_path, "FinancingOffered")
    assert offered and len(offered) == len(asked)
    assert {o["annual_rate"] for o in offered} <= {"0.0300", "0.0311", "0.0322"}
    assert all(r.kind == "financing" and r.tenor_days > 0 for r in asked)
    assert _bodies(tmp_path, "EarlyPaymentOffered") == []


def test_a_funder_that_passes_makes_no_offer_and_the_holder_withdraws(tmp_path: Path) -> None:
    simulate(TINY, tmp_path, verify=False, pricing=Pricing(financing=lambda _request: None))
    assert _bodies(tmp_path, "FinancingRequested")
    assert _bodies(tmp_path, "FinancingOffered", "FinancingOfferAccepted") == []
    assert _bodies(tmp_path, "FinancingRequestWithdrawn")


@pytest.mark.parametrize("answer", [0.035, 0, 10_001, True, "350"])
def test_a_pricing_function_must_answer_whole_basis_points(tmp_path: Path, answer: Any) -> None:
    with pytest.raises(ValueError, match="whole basis points"):
        simulate(TINY, tmp_path, verify=False, pricing=Pricing(financing=lambda _request: answer))


def test_basis_points_become_exact_decimal_rates() -> None:
    assert [bps_to_rate(b) for b in (1, 345, 1000, 10_000)] == [
        "0.0001",
        "0.0345",
        "0.1000",
        "1.0000",
    ]


def test_the_request_carries_no_hidden_truth() -> None:
    names = {f.name for f in dataclasses.fields(PricingRequest)}
    assert not {n for n in names if "health" in n or "stress" in n or "default" in n}


def test_the_default_bid_rises_with_what_the_holder_history_shows() -> None:
    calm = default_financing_rate(_request())
    late = default_financing_rate(_request(holder_recent_late_share=0.3))
    disputed = default_financing_rate(_request(holder_recent_dispute_share=0.12))
    deeper = default_financing_rate(_request(holder_tier=3))
    weaker_obligor = default_financing_rate(_request(obligor_rating="BB"))
    higher_base = default_financing_rate(_request(base_rate_bps=300))
    assert calm is not None and late is not None and disputed is not None
    assert late > calm + 100 and disputed > calm + 50
    assert deeper is not None and deeper > calm
    assert weaker_obligor is not None and weaker_obligor > calm
    assert higher_base == calm + 75
    # A funder passes on a holder whose recent deliveries are mostly late ...
    assert default_financing_rate(_request(holder_recent_late_share=0.8)) is None
    # ... but not on a new holder with too little history to tell.
    assert (
        default_financing_rate(_request(holder_recent_late_share=0.8, holder_recent_invoices=2.0))
        is not None
    )


def test_the_default_early_payment_rate_follows_the_anchors_cost_of_cash() -> None:
    base = _request(kind="early_payment", pricer_id="org_a", pricer_margin_bps=150)
    rate = default_early_payment_rate(base)
    assert rate == 225 + 40 + 150
    assert (
        default_early_payment_rate(dataclasses.replace(base, holder_recent_late_share=0.4)) == rate
    )


def test_the_base_rate_moves_and_is_a_function_of_the_seed() -> None:
    one = [BaseRatePath(7).month(k) for k in range(25)]
    again = BaseRatePath(7)
    assert [again.month(k) for k in (24, *range(25))][1:] == one  # any order of asking
    other = [BaseRatePath(8).month(k) for k in range(25)]
    assert one[0] == other[0] == 225
    assert one != other
    assert len(set(one)) > 5 and max(one) - min(one) >= 20
    assert all(isinstance(b, int) and 0 <= b < 1000 for b in one)


def test_the_summary_names_the_base_rate_of_every_month(simulated: Simulated) -> None:
    path = simulated.result.base_rate_bps
    assert list(path)[:4] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert path["2026-01"] == 225 and all(type(b) is int for b in path.values())
    assert path == json.loads((simulated.out / "summary.json").read_text())["base_rate_bps"]


def test_rates_on_the_log_follow_the_holders_hidden_risk(simulated: Simulated) -> None:
    """Priced only from what funders could see, rates still track the hidden health:
    holders under stress (ground truth, month start) pay more."""
    rates = {
        o["offer_id"]: float(o["annual_rate"]) for o in _bodies(simulated.out, "FinancingOffered")
    }
    stress: dict[str, dict[date, float]] = defaultdict(dict)
    for h in simulated.table("health"):
        stress[h["org_id"]][h["on"]] = h["stress"]
    events = pq.read_table(
        simulated.out / "events.parquet", columns=["type", "occurred_at", "body"]
    ).to_pylist()
    paid, under_stress = [], []
    for row in events:
        if row["type"] != "FinancingOfferAccepted":
            continue
        data = json.loads(row["body"])["data"]
        on = date.fromisoformat(row["occurred_at"][:10])
        month = max(d for d in stress[data["holder_id"]] if d <= on)
        paid.append(rates[data["offer_id"]])
        under_stress.append(stress[data["holder_id"]][month])
    r, s = np.array(paid), np.array(under_stress)
    assert len(r) > 200
    assert np.corrcoef(r, s)[0, 1] > 0.3
    assert r[s > 0.25].mean() > r[s < 0.05].mean() + 0.005


def test_rates_on_the_log_follow_the_holders_observable_record(simulated: Simulated) -> None:
    """Holders whose deliveries so far were late more often than usual pay more."""
    rates = {
        o["offer_id"]: float(o["annual_rate"]) for o in _bodies(simulated.out, "FinancingOffered")
    }
    issued: dict[str, list[tuple[date, bool]]] = defaultdict(list)
    for i in simulated.table("invoices"):
        issued[i["seller_id"]].append((i["issued_on"], i["late_delivery"]))
    events = pq.read_table(
        simulated.out / "events.parquet", columns=["type", "occurred_at", "body"]
    ).to_pylist()
    often_late, seldom_late = [], []
    for row in events:
        if row["type"] != "FinancingOfferAccepted":
            continue
        data = json.loads(row["body"])["data"]
        on = date.fromisoformat(row["occurred_at"][:10])
        before = [late for day, late in issued[data["holder_id"]] if day < on]
        if len(before) >= 10:
            share = sum(before) / len(before)
            if share > 0.2:
                often_late.append(rates[data["offer_id"]])
            elif share < 0.08:
                seldom_late.append(rates[data["offer_id"]])
    assert len(often_late) > 20 and len(seldom_late) > 50
    assert np.mean(often_late) > np.mean(seldom_late) + 0.005


def test_no_float_reaches_an_amount_or_a_rate_on_the_log(simulated: Simulated) -> None:
    decimal_rate = re.compile(r"^[01]\.\d{4}$")
    rows = pq.read_table(simulated.out / "events.parquet", columns=["body"]).to_pylist()
    checked = 0
    for row in rows:
        data = json.loads(row["body"])["data"]
        for key, value in data.items():
            if key.endswith("_minor"):
                values = value if isinstance(value, list) else [value]
                assert all(type(v) is int for v in values), (key, value)
                checked += 1
            if key in ("annual_rate", "rate"):
                assert isinstance(value, str) and decimal_rate.match(value), (key, value)
    assert checked > 1000


def test_funders_bid_the_indicative_rate_of_the_risk_pricing_formula(tmp_path: Path) -> None:
    from openscf.risk.pricing import PricingParameters, indicative_rate
    from openscf.sim.pricing import RATING_PD_BPS, risk_financing_rate

    asked: list[tuple[PricingRequest, int | None]] = []
    bid = risk_financing_rate()

    def recorded(request: PricingRequest) -> int | None:
        answer = bid(request)
        asked.append((request, answer))
        return answer

    simulate(TINY, tmp_path, verify=False, pricing=Pricing(financing=recorded))
    offered = _bodies(tmp_path, "FinancingOffered")
    assert offered and len(offered) == len(asked)
    for request, answer in asked:
        params = PricingParameters(
            cost_of_funds_bps=request.base_rate_bps, margin_bps=request.pricer_margin_bps
        )
        price = indicative_rate(
            params,
            tenor_days=request.tenor_days,
            pd_horizon_days=365,
            pd_bps=RATING_PD_BPS[request.obligor_rating],
        )
        assert answer == price.rate_bps
    assert {o["annual_rate"] for o in offered} == {bps_to_rate(a) for _, a in asked if a}


def test_a_risk_priced_funder_passes_when_its_model_gives_no_pd() -> None:
    from openscf.sim.pricing import risk_financing_rate

    assert risk_financing_rate(lambda _request: None)(_request()) is None
    # A 2 % PD over a year, LGD 45 %: 90 bps of expected loss a year on top of the base
    # rate (225), the capital charge (8 % x 12 % = 96) and the margin (60).
    assert risk_financing_rate(lambda _request: 200)(_request()) == 225 + 90 + 96 + 60
