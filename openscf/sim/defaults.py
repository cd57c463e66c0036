"""Firm defaults: each week every firm's hidden health moves (`health.py`); a firm whose
health falls below zero defaults for good, and the ledger records the day and a label.

What a default does elsewhere is the other mechanisms' business: a defaulted firm neither
orders, delivers, confirms nor settles, its buyers' invoices to it go unpaid
(`trade.payable_minor`) and a defaulted anchor is declared in default on the platform,
its outstanding pieces joining a claim that recovers part of them (`recovery.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.sim.ledger import HealthSnapshot

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["move_health", "snapshot_health"]


def move_health(e: Economy, day: int) -> None:
    """A week of health for every firm; the fallen default today."""
    for firm in e.health.step():
        e.alive[firm] = False
        f = e.firms[firm]
        e.book.default_day[firm] = day
        e.book.add_label("default", firm=firm, day=day,
                         detail={"tier": f.tier, "kind": f.kind,
                                 "health_mean": round(f.health_mean, 4)})
        if f.kind == "anchor":
            e.agenda["declare_default"][day].append(firm)


def snapshot_health(e: Economy, day: int) -> None:
    """Every firm's hidden health and stress today (ground truth for the exports)."""
    h = e.health.h
    stress = e.health.stress
    for i in range(len(e.firms)):
        e.book.health.append(HealthSnapshot(i, day, float(h[i]), float(stress[i]),
                                            not e.alive[i]))
