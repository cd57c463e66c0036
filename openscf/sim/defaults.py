"""Firm defaults: each week every firm's hidden health moves (`health.py`); a firm whose
health falls below zero defaults for good, and the ledger records the day and a label.

What a default does elsewhere is the other mechanisms' business: a defaulted firm neither
orders, delivers, confirms nor settles, its buyers' invoices to it go unpaid
(`trade.payable_minor`) and a defaulted anchor is declared in default on the platform,
its outstanding pieces joining a claim that recovers part of them (`recovery.py`). A
defaulted buyer hurts its suppliers' health (lost orders, lost receivables), so defaults
cluster in supply chains; each default is labelled with its cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.sim.ledger import HealthSnapshot
from openscf.sim.world import INDUSTRIES

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["CONTAGION_DAYS", "default_cause", "move_health", "snapshot_health"]


# A supplier hit by a buyer's default within this many days defaulted by contagion.
CONTAGION_DAYS = 182


def move_health(e: Economy, day: int) -> None:
    """A week of health for every firm; the fallen default today and hurt their
    suppliers."""
    shocks = len(e.health.shocks)
    fallen = e.health.step()
    for _week, industry in e.health.shocks[shocks:]:
        e.book.add_label(
            "economy_shock" if industry < 0 else "industry_shock",
            day=day,
            variant="" if industry < 0 else INDUSTRIES[industry],
        )
    for firm in fallen:
        e.alive[firm] = False
        f = e.firms[firm]
        e.book.default_day[firm] = day
        e.book.add_label(
            "default",
            firm=firm,
            day=day,
            variant=default_cause(e, firm, day),
            detail={"tier": f.tier, "kind": f.kind, "health_mean": round(f.health_mean, 4)},
        )
        if f.kind == "anchor":
            e.agenda["declare_default"][day].append(firm)
    for firm in fallen:
        _hurt_suppliers(e, firm, day)


def default_cause(e: Economy, firm: int, day: int) -> str:
    """Why the firm fell: a bust-out after fraud, a put-back it could not pay (recourse),
    a buyer's default (contagion), or its own health."""
    if firm in e.fraud_plan.busted:
        return "bust_out"
    if firm in e.recourse_failed:
        return "recourse"
    hit = e.contagion_day.get(firm)
    if hit is not None and day - hit <= CONTAGION_DAYS:
        return "contagion"
    return "own_health"


def _hurt_suppliers(e: Economy, buyer: int, day: int) -> None:
    """A buyer's default costs its suppliers their orders from it and what it owed them:
    a hit to their health in proportion to the share of their sales it bought."""
    w = e.world
    for li in e.firms[buyer].suppliers:
        seller = w.link_seller[li]
        if e.alive[seller]:
            e.health.shock(seller, 0.1 + 0.8 * w.link_share[li])
            e.contagion_day[seller] = day


def snapshot_health(e: Economy, day: int) -> None:
    """Every firm's hidden health and stress today (ground truth for the exports)."""
    h = e.health.h
    stress = e.health.stress
    for i in range(len(e.firms)):
        e.book.health.append(HealthSnapshot(i, day, float(h[i]), float(stress[i]), not e.alive[i]))
