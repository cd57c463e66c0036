"""What the simulated network did for its firms, tier by tier: the numbers behind the report.

All money here is integer minor units until the very end, where the report shows millions
of euros; averages of days and rates are plain statistics (floats are fine for those).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from openscf.sim.economy import Economy
from openscf.sim.ledger import BY_RECEIVABLE, CONFIRMED, NEVER_ISSUED, TRADE
from openscf.sim.world import Firm

__all__ = ["NOT_FRAUD", "analyse"]

# Ground-truth labels that are not fraud: defaults, their claims, shocks.
NOT_FRAUD = (
    "default",
    "default_declared",
    "recovery",
    "default_claim_closed",
    "put_back",
    "economy_shock",
    "industry_shock",
)


def _tier_name(firm: Firm) -> str:
    return firm.kind if firm.kind != "supplier" else f"tier {firm.tier}"


def _month_key(economy: Economy, day: int) -> str:
    d = economy.date_of(day)
    return f"{d.year}-{d.month:02d}"


def analyse(e: Economy) -> dict[str, Any]:
    """Every figure the report shows, as plain JSON-ready values."""
    b = e.book
    firms = e.firms
    tiers = sorted(e.world.tiers)
    tier_of = np.array([f.tier for f in firms], dtype=np.int64)
    seller = np.asarray(b.invoice_seller, dtype=np.int64)
    buyer = np.asarray(b.invoice_buyer, dtype=np.int64)
    amount = np.asarray(b.invoice_amount_minor, dtype=np.int64) - np.asarray(
        b.invoice_credit_minor, dtype=np.int64
    )
    kind = np.frombuffer(bytes(b.invoice_kind), dtype=np.uint8)
    channel = np.frombuffer(bytes(b.invoice_channel), dtype=np.uint8)
    issue = np.asarray(b.invoice_issue_day, dtype=np.int64)
    cash_day = np.asarray(b.invoice_cash_day, dtype=np.int64)
    realised_minor = np.asarray(b.invoice_realised_minor, dtype=np.int64)
    realised_minor_days = np.asarray(b.invoice_realised_minor_days, dtype=np.int64)
    stier = tier_of[seller] if len(seller) else np.array([], dtype=np.int64)
    trade = kind == TRADE
    via_network = (channel == CONFIRMED) | (channel == BY_RECEIVABLE)

    volume: dict[str, list[int]] = {"invoiced": [], "through_network": [], "financed": []}
    financed_by_tier: Counter[int] = Counter()
    rate_net: dict[int, list[tuple[float, int]]] = defaultdict(list)
    rate_own: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for fin in b.financings:
        _day, _p, holder, _funder, face, rate, _days, _disc, _fees, _proceeds, own = fin
        t = firms[holder].tier
        financed_by_tier[t] += face
        rate_net[t].append((float(rate), face))
        rate_own[t].append((own, face))
    for t in tiers:
        mask = trade & (stier == t)
        volume["invoiced"].append(int(amount[mask].sum()))
        volume["through_network"].append(int(amount[mask & via_network].sum()))
        volume["financed"].append(int(financed_by_tier[t]))

    def wavg(pairs: list[tuple[float, int]]) -> float | None:
        total = sum(w for _, w in pairs)
        return None if not total else sum(v * w for v, w in pairs) / total

    rates = {
        "network": [wavg(rate_net[t]) for t in tiers],
        "own_name": [wavg(rate_own[t]) for t in tiers],
    }

    # Days from invoice to cash: what happened, against the buyer's cash behaviour.
    with_net: list[float | None] = []
    without: list[float | None] = []
    members_with: list[float | None] = []
    members_without: list[float | None] = []
    paid = trade & (realised_minor > 0) & (cash_day >= 0)
    for t in tiers:
        mask = paid & (stier == t)
        if mask.any():
            actual = realised_minor_days[mask] / realised_minor[mask]
            with_net.append(float(actual.mean()))
            without.append(float((cash_day[mask] - issue[mask]).mean()))
        else:
            with_net.append(None)
            without.append(None)
        m2 = mask & via_network
        if m2.any():
            members_with.append(float((realised_minor_days[m2] / realised_minor[m2]).mean()))
            members_without.append(float((cash_day[m2] - issue[m2]).mean()))
        else:
            members_with.append(None)
            members_without.append(None)

    # Monthly invoiced and financed volume (seasonality and trend show here).
    # Months with at least half of their days in the trading horizon (a stub of a few
    # days at either end would look like a collapse in volume).
    in_horizon = Counter(_month_key(e, d) for d in range(e.trading_days))
    months = sorted(m for m, n in in_horizon.items() if n >= 15)
    month_of_day = {d: _month_key(e, d) for d in range(0, e.end_day + 1)}
    monthly: dict[str, dict[str, int]] = {m: defaultdict(int) for m in months}
    for d, t, a in zip(
        issue[trade].tolist(), stier[trade].tolist(), amount[trade].tolist(), strict=True
    ):
        key = month_of_day.get(d)
        if key in monthly:
            monthly[key][f"tier {t}"] += a
    for fin in b.financings:
        key = month_of_day.get(fin[0])
        if key in monthly:
            monthly[key]["financed"] += fin[4]

    # Defaults and losses.
    n_by_tier = {t: len(e.world.tiers[t]) for t in tiers}
    defaults_by_tier = Counter(firms[f].tier for f in b.default_day if firms[f].kind == "supplier")
    anchor_defaults = [firms[f].org_id for f in b.default_day if firms[f].kind == "anchor"]
    losses_by_kind: Counter[str] = Counter()
    losses_by_tier: Counter[int] = Counter()
    for _day, who, amt, why, _inv in b.losses:
        losses_by_kind[why] += amt
        losses_by_tier[firms[who].tier] += amt
    # Losses the network avoided: invoices paid with anchor receivables whose buyer
    # defaulted before it would have paid cash.
    default_day = b.default_day
    avoided: Counter[int] = Counter()
    for i in np.flatnonzero(trade & (channel == BY_RECEIVABLE)).tolist():
        d = default_day.get(int(buyer[i]))
        if d is not None and d <= cash_day[i]:
            avoided[int(stier[i])] += int(amount[i])

    # Do defaults follow the hidden health? Default rate by quintile of starting health.
    start_health = {firm: h for firm, day, h, _s, _d in b.health if day == 0}
    suppliers = [s for s in e.world.suppliers if s in start_health]
    quintiles: list[float] = []
    if len(suppliers) >= 5:
        ordered = sorted(suppliers, key=lambda s: start_health[s])
        for q in range(5):
            part = ordered[q * len(ordered) // 5 : (q + 1) * len(ordered) // 5]
            quintiles.append(sum(1 for s in part if s in b.default_day) / max(1, len(part)))

    refusals = Counter({f"{cmd}: {code}": n for (cmd, code), n in e.platform.refused.items()})
    fraud = Counter(
        f"{x['label']} ({x['outcome'] or 'n/a'})" for x in b.labels if x["label"] not in NOT_FRAUD
    )
    fraud_by_type = Counter(x["label"] for x in b.labels if x["label"] not in NOT_FRAUD)
    causes: Counter[str] = Counter()
    by_tier_and_cause: Counter[str] = Counter()
    for x in b.labels:
        if x["label"] == "default":
            causes[x["variant"]] += 1
            by_tier_and_cause[f"{_tier_name(firms[x['firm']])}: {x['variant']}"] += 1
    claims: list[dict[str, Any]] = [
        {
            "obligor": firms[k.obligor].org_id,
            "declared_day": k.day,
            "pieces": len(k.pieces),
            "exposure_minor": sum(k.exposure_minor),
            "recovered_minor": sum(k.recovered_minor),
            "closed_day": k.closed_day,
            "loss_given_default": round(k.loss_given_default(), 4),
        }
        for k in b.claims
    ]
    exposure = sum(sum(k.exposure_minor) for k in b.claims)
    recovered = sum(sum(k.recovered_minor) for k in b.claims)
    return {
        "tiers": [f"tier {t}" for t in tiers],
        "firms": {
            "total": len(firms),
            "anchors": len(e.world.anchors),
            "funders": len(e.world.funders),
            "suppliers_by_tier": [n_by_tier[t] for t in tiers],
            "network_members_by_tier": [
                sum(1 for s in e.world.tiers[t] if firms[s].programs) for t in tiers
            ],
        },
        "counts": {
            "orders": len(b.order_seller),
            "invoices": len(b.invoice_seller),
            "receivable_pieces": sum(1 for s in b.piece_status if s != NEVER_ISSUED),
            "financings": len(b.financings),
            "early_payments": len(b.early_payments),
            "payments": len(b.payment_day),
            "days": e.stats.days,
            "platform_commands": e.platform.commands,
        },
        "volume_minor": volume,
        "rates": rates,
        "days_to_cash": {
            "with_network": with_net,
            "without_network": without,
            "members_with_network": members_with,
            "members_without_network": members_without,
        },
        "monthly_minor": {m: dict(v) for m, v in monthly.items()},
        "defaults": {
            "by_tier": [defaults_by_tier[t] for t in tiers],
            "rate_by_tier": [defaults_by_tier[t] / max(1, n_by_tier[t]) for t in tiers],
            "anchors": anchor_defaults,
            "rate_by_start_health_quintile": quintiles,
            "by_cause": dict(sorted(causes.items())),
            "by_tier_and_cause": dict(sorted(by_tier_and_cause.items())),
        },
        "claims": {
            "claims": claims,
            "exposure_minor": exposure,
            "recovered_minor": recovered,
            "loss_given_default": (round(1 - recovered / exposure, 4) if exposure else None),
        },
        "fraud_by_type": dict(sorted(fraud_by_type.items())),
        "losses_minor": {
            "by_kind": dict(losses_by_kind),
            "by_tier": [losses_by_tier[t] for t in tiers],
            "avoided_by_tier": [avoided[t] for t in tiers],
        },
        "platform": {
            "accepted": dict(sorted(e.platform.accepted.items())),
            "refused": dict(sorted(refusals.items())),
        },
        "labels": dict(sorted(fraud.items())),
    }
