"""Injected fraud: what dishonest firms do, and the labels that record it as ground truth.

Four kinds, each labelled in the ledger (the platform is never told):

- duplicates: an accepted invoice presented again, exactly, with its number in another
  case, or slightly altered;
- phantoms: invoices to an anchor with no order or delivery behind them;
- circular trading: related firms pass a piece around a ring, each hop "paying" a fake
  invoice, then sell it to a funder as if it were real trade;
- volume jumps: a supplier suddenly bills far more than it ordered and delivered.

All draws come from the economy's own fraud stream, so turning fraud off (`fraud=0`) leaves
every other history unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.sim import finance, trade, transfer
from openscf.sim.ledger import (
    BY_RECEIVABLE,
    DUPLICATE,
    PAYS_FOR_NOTHING,
    PENDING,
    PHANTOM,
    REJECTED,
    RING,
    scale_minor,
)

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["FraudPlan", "billed_minor", "label_volume_jump", "maybe_present_again",
           "plan_fraud", "present_fraud", "trade_in_rings"]


@dataclass(frozen=True)
class VolumeJump:
    first_day: int
    end_day: int  # exclusive
    factor: float  # billed / delivered


@dataclass
class FraudPlan:
    volume_jumps: dict[int, VolumeJump] = field(default_factory=dict)  # by supplier
    phantom_firms: list[int] = field(default_factory=list)


def plan_fraud(e: Economy) -> FraudPlan:
    """Who will commit which fraud, and when (phantom invoices go on the agenda now)."""
    rng = e.rng_fraud
    cfg = e.config
    members1 = [s for s in e.world.tiers[1] if e.firms[s].programs]
    horizon = e.trading_days
    plan = FraudPlan()
    if cfg.fraud <= 0:
        return plan
    suppliers = e.world.suppliers
    n_jumps = max(1, round(len(suppliers) * 0.006 * cfg.fraud))
    for s in rng.choice(suppliers, size=min(n_jumps, len(suppliers)), replace=False):
        first_day = int(rng.integers(min(20, horizon // 3), max(21, horizon * 2 // 3)))
        length_days = int(rng.integers(21, 50))
        plan.volume_jumps[int(s)] = VolumeJump(first_day, first_day + length_days,
                                               float(rng.uniform(2.5, 6.0)))
    n_phantom = max(1, round(len(members1) * 0.01 * cfg.fraud)) if members1 else 0
    picks: list[int] = [int(k) for k in rng.choice(
        len(members1), size=min(n_phantom, len(members1)), replace=False)] if members1 else []
    for k in picks:
        firm = members1[int(k)]
        plan.phantom_firms.append(firm)
        begin = int(rng.integers(0, max(1, horizon // 2)))
        # A phantom invoice every week or two for a couple of months.
        day = begin
        while day < min(horizon, begin + 70):
            e.agenda["present_phantom"][e.weekday(day)].append(firm)
            day += int(rng.integers(5, 15))
    for ring_id, ring in enumerate(e.world.rings):
        e.book.add_label("circular_trading_ring", firm=ring[0], ring=ring_id,
                         detail={"members": [e.firms[m].org_id for m in ring]})
    return plan


def billed_minor(e: Economy, seller: int, delivered_minor: int, day: int) -> int:
    """What the seller bills for a delivery: far more than delivered inside its jump."""
    jump = e.fraud_plan.volume_jumps.get(seller)
    if jump is not None and jump.first_day <= day < jump.end_day:
        return scale_minor(delivered_minor, jump.factor)
    return delivered_minor


def label_volume_jump(e: Economy, seller: int, invoice: int, day: int,
                      excess_minor: int) -> None:
    jump = e.fraud_plan.volume_jumps.get(seller)
    e.book.add_label("volume_jump", firm=seller, invoice=invoice, day=day,
                     amount_minor=excess_minor,
                     detail={"factor": round(jump.factor, 2) if jump else 1.0,
                             "window_start": jump.first_day if jump else -1,
                             "window_end": jump.end_day if jump else -1})


def present_fraud(e: Economy, day: int) -> None:
    """Today's phantom invoices and duplicates, presented like any other invoice."""
    book = e.book
    for firm in e.agenda["present_phantom"].pop(day, []):
        if not e.alive[firm]:
            continue
        anchors = e.firms[firm].programs
        buyer = anchors[int(e.rng_fraud.integers(len(anchors)))]
        typical = [li for li in e.firms[firm].customers if e.world.link_buyer[li] == buyer]
        value = float(e.links.order_value_eur[typical[0]]) if typical else 50_000.0
        amount = max(1000_00, round(value * float(e.rng_fraud.uniform(0.8, 1.6)) * 100))
        invoice = trade.issue_invoice(e, firm, buyer, -1, 0, amount, day, -1, PHANTOM)
        book.add_label("phantom_invoice", firm=firm, invoice=invoice, day=day,
                       amount_minor=amount,
                       outcome="rejected_by_buyer" if book.invoice_channel[invoice] == REJECTED
                       else "presented")
    for original, variant in e.agenda["present_duplicate"].pop(day, []):
        seller, buyer = book.invoice_seller[original], book.invoice_buyer[original]
        if not e.alive[seller]:
            continue
        number = book.invoice_number[original]
        if variant == "case":
            number = " " + number.lower()
        elif variant == "altered":
            choice = int(e.rng_fraud.integers(3))
            number = (number + "-1", number + "A", number[:-7] + "0" + number[-7:])[choice]
        invoice = trade.issue_invoice(
            e, seller, buyer, book.invoice_order[original],
            book.invoice_ordered_minor[original], book.invoice_amount_minor[original], day,
            book.invoice_delivery_day[original], DUPLICATE, number=number)
        book.add_label("duplicate_invoice", firm=seller, invoice=invoice, related=original,
                       day=day, variant=variant,
                       amount_minor=book.invoice_amount_minor[original],
                       outcome="presented" if e.firms[buyer].kind == "anchor"
                       else "off_platform")


def maybe_present_again(e: Economy, invoice: int, day: int, base: float = 0.003) -> None:
    """After an invoice is accepted, the seller may present it again (fraud)."""
    rate = base * e.config.fraud
    if rate <= 0 or e.rng_fraud.random() >= rate:
        return
    variant = str(e.rng_fraud.choice(["exact", "case", "altered", "altered"]))
    e.agenda["present_duplicate"][e.weekday(day + int(e.rng_fraud.integers(3, 20)))].append(
        (invoice, variant))


def trade_in_rings(e: Economy, day: int) -> None:
    """Circular trading: related firms pass a piece around, each hop 'paying' a fake
    invoice, then sell it to a funder as if it were real trade."""
    if not e.world.rings or day % 10 != 3:
        return
    book = e.book
    items: list[tuple[str, c.Command]] = []
    plans = []
    for ring_id, ring in enumerate(e.world.rings):
        if not all(e.alive[m] for m in ring):
            continue
        program = set.intersection(*(set(e.firms[m].programs) for m in ring))
        if not program:
            continue
        usable = [(k, transfer.usable_piece(e, m, frozenset(program), 1, day + 10))
                  for k, m in enumerate(ring)]
        holding = [(k, p) for k, p in usable if p >= 0]
        if not holding:
            continue
        k, p = holding[0]
        # Round the circle from the member holding a piece, back to it.
        order = [*ring[k:], *ring[:k], ring[k]]
        amount = book.piece_face_minor[p]
        hops = []
        current = p
        for payer, payee in pairwise(order):
            invoice = trade.issue_invoice(e, payee, payer, -1, 0, amount, day, -1, RING)
            new = book.add_piece(payee, book.piece_anchor[p], amount, book.piece_due_day[p],
                                 PAYS_FOR_NOTHING, book.piece_root_invoice[p],
                                 creator_org_id=e.firms[payer].org_id)
            items.append((e.firms[payer].maker, c.TransferReceivable(
                book.piece_id[current], e.firms[payee].org_id,
                new_receivable_id=book.piece_id[new])))
            hops.append((current, new, invoice))
            book.add_label("circular_trading", firm=payee, invoice=invoice, piece=new,
                           day=day, ring=ring_id, amount_minor=amount, outcome="transferred")
            current = new
        plans.append(hops)
    if not items:
        return
    codes = iter(e.platform.run(items))
    for hops in plans:
        ok = True
        for current, new, invoice in hops:
            code = next(codes)
            if code is None and ok:
                book.invoice_channel[invoice] = BY_RECEIVABLE
                book.invoice_paid_day[invoice] = day
                transfer.record_transfer(e, current, new, -1, -1,  # a whole transfer
                                         book.piece_face_minor[current], day, invoice)
            else:
                ok = False
                book.invoice_channel[invoice] = PENDING
                for label in book.labels_for_invoice(invoice):
                    label["outcome"] = f"refused:{code}"
        if ok:
            finance.consider_selling(e, hops[-1][1], book.piece_holder[hops[-1][1]], day,
                                     eager=True)
