"""Onboarding: the network's shape on the platform before the first day of trade.

Registers every firm and its users (an anchor's treasury makes and checks, its controller
checks), has a few suppliers change their bank account under maker-checker, creates each
anchor's program with its funders, and onboards every member supplier to its anchors'
programs. Any refusal here is a bug in the simulator, so it raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from openscf.domain import commands as c
from openscf.domain.ids import tagged_id
from openscf.sim.confirmation import APPROVAL_THRESHOLD_MINOR, program_id
from openscf.sim.recovery import RECOURSE_DAYS, risk_officer
from openscf.sim.settlement import DEFAULT_AFTER_DAYS
from openscf.sim.world import iban_for

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["LATE_SHARE", "join_late", "onboard", "plan_late_joiners"]

LATE_SHARE = 0.2  # of the deeper-tier members, who join during the trading months


def onboard(e: Economy) -> None:
    """Register every firm, its users, the programs, funders and onboardings."""
    p = e.platform
    op = p.bootstrap(e.operator_name)
    e.operator_user = op
    # The operator's second user requests declarations of default, which its first (the
    # admin, a checker) approves: an approver may not be a user its maker created.
    items: list[tuple[str, c.Command]] = [
        (
            op,
            c.AddUser(p.operator_org, "operator risk officer", ("maker",), user_id=risk_officer(e)),
        )
    ]
    for f in e.firms:
        roles = (
            ("anchor",)
            if f.kind == "anchor"
            else (("funder",) if f.kind == "funder" else ("supplier",))
        )
        items.append(
            (
                op,
                c.RegisterOrganisation(
                    f.name, roles, f.country, iban=f.iban, bic=f.bic, org_id=f.org_id
                ),
            )
        )
        # An anchor's treasury may also check (the domain still refuses it approving
        # its own request); its controller only checks.
        permissions = ("admin", "checker", "maker") if f.kind == "anchor" else ("admin", "maker")
        items.append(
            (op, c.AddUser(f.org_id, f"{f.name.split()[0]} treasury", permissions, user_id=f.maker))
        )
        if f.checker is not None:
            items.append(
                (
                    op,
                    c.AddUser(
                        f.org_id, f"{f.name.split()[0]} controller", ("checker",), user_id=f.checker
                    ),
                )
            )
    # A few suppliers change their bank account, with a second user as checker.
    changers = list(e.world.tiers[1][: max(1, len(e.world.tiers[1]) // 25)])
    for s in changers:
        f = e.firms[s]
        f.checker = tagged_id("usr", f.org_id, "c")
        items.append(
            (
                op,
                c.AddUser(
                    f.org_id, f"{f.name.split()[0]} controller", ("checker",), user_id=f.checker
                ),
            )
        )
    _must(p.run(items), "registration")
    items = []
    for s in changers:
        f = e.firms[s]
        bank_digits = {"DE": 8, "NL": 4, "AT": 5, "PL": 8}[f.country]
        new_iban = iban_for(
            f.country, f.iban[4 : 4 + bank_digits], int(f.iban[4 + bank_digits :]) + 7
        )
        approval_id = tagged_id("apr", f.org_id, "bank")
        items.append(
            (
                f.maker,
                c.RequestBankAccountChange(f.org_id, new_iban, f.bic, approval_id=approval_id),
            )
        )
        items.append((f.checker or "", c.ApproveBankAccountChange(approval_id)))
        f.iban = new_iban
    for a in e.world.anchors:
        f = e.firms[a]
        volume = sum(
            e.firms[e.world.link_seller[li]].sales_eur * e.world.link_share[li]
            for li in f.suppliers
        )
        limit = max(50_000_000_00, _round_up(int(volume * 0.6) * 100, 10_000_000_00))
        items.append(
            (
                f.maker,
                c.CreateProgram(
                    f"{f.name} supplier finance {e.start.year}",
                    e.config.currency,
                    max_tenor_days=180,
                    program_limit_minor=limit,
                    supplier_limit_minor=_round_up(limit // 5, 1_000_000_00),
                    funder_limit_minor=_round_up(limit * 2 // 5, 1_000_000_00),
                    day_count="ACT/360",
                    calendar="TARGET",
                    approval_threshold_minor=APPROVAL_THRESHOLD_MINOR,
                    default_after_days=DEFAULT_AFTER_DAYS,
                    program_id=program_id(a),
                    recourse=e.has_recourse(a),
                    recourse_days=RECOURSE_DAYS,
                ),
            )
        )
        for funder in e.world.program_funders[a]:
            items.append((f.maker, c.AddFunder(program_id(a), e.firms[funder].org_id)))
    for s in e.world.suppliers:
        if s in e.join_day:
            continue
        for a in e.firms[s].programs:
            items.append((e.firms[a].maker, c.OnboardSupplier(program_id(a), e.firms[s].org_id)))
    _must(p.run(items), "programs and onboarding")


def plan_late_joiners(e: Economy, rng: np.random.Generator) -> dict[int, int]:
    """Some members below tier 1 (not in a fraud plan) join the anchors' programs during
    the trading months: until then they trade off the network (cash)."""
    rings = {m for ring in e.world.rings for m in ring}
    skip = rings | set(e.fraud_plan.phantom_firms)
    join_day: dict[int, int] = {}
    for tier in sorted(e.world.tiers):
        if tier < 2:
            continue
        for s in e.world.tiers[tier]:
            if e.firms[s].programs and s not in skip and rng.random() < LATE_SHARE:
                day = e.weekday(int(rng.uniform(0.1, 0.8) * e.trading_days))
                join_day[s] = day
                e.program_sets[s] = frozenset()
                e.agenda["join"][day].append(s)
    return join_day


def join_late(e: Economy, day: int) -> None:
    """Today's joiners are onboarded to their anchors' programs and trade through them."""
    joiners = e.agenda["join"].pop(day, [])
    items = [
        (e.firms[a].maker, c.OnboardSupplier(program_id(a), e.firms[s].org_id))
        for s in joiners
        for a in e.firms[s].programs
    ]
    _must(e.platform.run(items), "late onboarding")
    for s in joiners:
        e.program_sets[s] = frozenset(e.firms[s].programs)


def _must(codes: list[str | None], what: str) -> None:
    refused = [code for code in codes if code is not None]
    if refused:
        raise RuntimeError(
            f"the platform refused {len(refused)} {what} commands: {sorted(set(refused))}"
        )


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step
