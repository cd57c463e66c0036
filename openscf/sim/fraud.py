"""Injected fraud: what dishonest firms do, and the labels that record it as ground truth.

Four kinds, each labelled in the ledger (the platform is never told):

- duplicates: an accepted invoice presented again, exactly, with its number in another
  case, or slightly altered, on a date of its own and quoting another (recent or
  fabricated) order of the same buyer;
- phantoms: invoices to an anchor with no real order or delivery behind them (they quote a
  fabricated order number);
- circular trading: firms (an ownership group, or unrelated firms in one program) pass a
  piece around a ring, each hop "paying" a fake invoice, then sell it to a funder as if it
  were real trade;
- volume jumps: a supplier suddenly bills far more than it ordered and delivered.

A volume-jump or phantom fraudster often busts out afterwards: its health takes a shock
(`HealthProcess.shock`) and it defaults, so fraud and default are related as in life.

None of this is given away by an artefact: genuine invoices go above their order too
(`trade.deliver`), anchors reject genuine invoices too (`trade.issue_invoice`), legitimate
trade has cycles (`world.py`) and volume jumps (new contracts, `trade.trade_links`), and
invoice numbers are each firm's own (`trade.Numbering`).

Expected cases at fraud = 1 per 1,000 suppliers and year are the `*_PER_1000_SUPPLIER_YEARS`
constants (rings in `world.py`); docs/simulation.md gives the resulting invoice counts.

The fraud plan's draws come from the economy's own fraud stream; the invoices fraud issues
draw from the shared behaviour stream like any invoice (they are invoices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.sim import finance, trade, transfer
from openscf.sim.ledger import (
    BY_RECEIVABLE,
    DUPLICATE,
    LIVE,
    PAYS_FOR_NOTHING,
    PENDING,
    PHANTOM,
    REJECTED,
    RING,
    scale_minor,
)

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = [
    "FraudPlan",
    "billed_minor",
    "bust_out",
    "label_volume_jump",
    "maybe_present_again",
    "note_delivery",
    "plan_fraud",
    "present_fraud",
    "presentations",
    "trade_in_rings",
]


@dataclass(frozen=True)
class VolumeJump:
    first_day: int
    end_day: int  # exclusive
    factor: float  # billed / delivered


VOLUME_JUMPS_PER_1000_SUPPLIER_YEARS = 6.0
PHANTOM_FIRMS_PER_1000_SUPPLIER_YEARS = 3.5
DUPLICATE_RATE = 0.003  # per confirmed invoice (0.001 per invoice paid in cash)
BUST_OUT_SHARE = 0.6  # of volume-jump and phantom fraudsters


@dataclass
class FraudPlan:
    volume_jumps: dict[int, VolumeJump] = field(default_factory=dict)  # by supplier
    phantom_firms: list[int] = field(default_factory=list)
    # Bust-outs: (firm, what it did) by day.
    bust_outs: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    busted: set[int] = field(default_factory=set)  # the firms that busted out
    # The last delivery on each (seller, buyer): (order, ordered_minor, day), which a
    # duplicate quotes as its own.
    last_delivery: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    # Fake orders: [seller, buyer, amount_minor, order or -1 until entered], and the slots
    # entered each day; rings' fake orders for their next round, by (payee, payer).
    fake_orders: list[list[int]] = field(default_factory=list)
    fake_order_days: dict[int, list[int]] = field(default_factory=dict)
    ring_orders: dict[tuple[int, int], int] = field(default_factory=dict)
    # Today's ring rounds, invoiced and waiting for their piece to go round:
    # (ring, piece, circle of firms, hop invoices).
    ring_rounds: list[tuple[int, int, list[int], list[int]]] = field(default_factory=list)


def _cases(e: Economy, per_1000_supplier_years: float) -> int:
    """How many fraudsters of a kind: the rate scaled by the economy's size and horizon
    and by `fraud`; at least one when fraud is on (so every small run shows every kind)."""
    cfg = e.config
    if cfg.fraud <= 0:
        return 0
    expected = (
        len(e.world.suppliers) / 1000 * e.trading_days / 365 * per_1000_supplier_years * cfg.fraud
    )
    return max(1, round(expected))


def _plan_bust_out(e: Economy, plan: FraudPlan, firm: int, after_day: int, what: str) -> None:
    rng = e.rng_fraud
    if rng.random() < BUST_OUT_SHARE:
        day = e.weekday(after_day + int(rng.integers(7, 36)))
        plan.bust_outs.setdefault(day, []).append((firm, what))


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
    n_jumps = _cases(e, VOLUME_JUMPS_PER_1000_SUPPLIER_YEARS)
    for s in rng.choice(suppliers, size=min(n_jumps, len(suppliers)), replace=False):
        first_day = int(rng.integers(min(20, horizon // 3), max(21, horizon * 2 // 3)))
        length_days = int(rng.integers(21, 50))
        plan.volume_jumps[int(s)] = VolumeJump(
            first_day, first_day + length_days, float(rng.uniform(1.5, 4.0))
        )
        _plan_bust_out(e, plan, int(s), first_day + length_days, "volume_jump")
    n_phantom = min(_cases(e, PHANTOM_FIRMS_PER_1000_SUPPLIER_YEARS), len(members1))
    picks: list[int] = (
        [
            int(k)
            for k in rng.choice(len(members1), size=min(n_phantom, len(members1)), replace=False)
        ]
        if members1
        else []
    )
    for k in picks:
        firm = members1[int(k)]
        plan.phantom_firms.append(firm)
        begin = int(rng.integers(0, max(1, horizon // 2)))
        # A phantom invoice every week or two for a couple of months.
        day = begin
        while day < min(horizon, begin + 70):
            # The fake order it will quote is entered a week or more before (on its date).
            anchors = e.firms[firm].programs
            buyer = anchors[int(rng.integers(len(anchors)))]
            typical = [li for li in e.firms[firm].customers if e.world.link_buyer[li] == buyer]
            value = float(e.links.order_value_eur[typical[0]]) if typical else 50_000.0
            amount = max(1000_00, round(value * float(rng.uniform(0.8, 1.6)) * 100))
            slot = len(plan.fake_orders)
            plan.fake_orders.append([firm, buyer, amount, -1])
            plan.fake_order_days.setdefault(
                e.weekday(max(0, day - int(rng.integers(5, 30)))), []
            ).append(slot)
            e.agenda["present_phantom"][e.weekday(day)].append(slot)
            day += int(rng.integers(5, 15))
        _plan_bust_out(e, plan, firm, day, "phantom_invoice")
    for ring_id, ring in enumerate(e.world.rings):
        _order_for_next_round(e, plan, ring, 0, 0)
        groups = {e.firms[m].group for m in ring}
        e.book.add_label(
            "circular_trading_ring",
            firm=ring[0],
            ring=ring_id,
            detail={
                "members": [e.firms[m].org_id for m in ring],
                "common_ownership": len(groups) == 1 and -1 not in groups,
            },
        )
    return plan


def note_delivery(
    e: Economy, seller: int, buyer: int, order: int, ordered_minor: int, day: int
) -> None:
    """Remember the last delivery on a link (what a duplicate will quote)."""
    e.fraud_plan.last_delivery[(seller, buyer)] = (order, ordered_minor, day)


def bust_out(e: Economy, day: int) -> None:
    """Fraudsters who took the money and ran: their health collapses (they default at the
    next weekly health step), labelled with what they did before."""
    for firm, what in e.fraud_plan.bust_outs.pop(day, []):
        if not e.alive[firm]:
            continue
        e.health.shock(firm, float(e.health.h[firm]) + e.rng_fraud.uniform(0.05, 0.6))
        e.book.add_label("bust_out", firm=firm, day=day, variant=what)
        e.fraud_plan.busted.add(firm)


def _order_for_next_round(
    e: Economy, plan: FraudPlan, ring: list[int], amount_minor: int, day: int
) -> None:
    """The fake orders a ring's next round of invoices will quote, entered today: one per
    hop (the circle always runs in the ring's order)."""
    for payer, payee in pairwise([*ring, ring[0]]):
        base = amount_minor or max(
            1000_00, round(float(e.links.order_value_eur[e.firms[payee].customers[0]]) * 100)
        )
        plan.ring_orders[(payee, payer)] = e.book.add_order(
            payee, payer, day, scale_minor(base, e.rng_fraud.uniform(0.9, 1.1))
        )


def _enter_fake_orders(e: Economy, day: int) -> None:
    """Fake orders fraudsters enter today, to be quoted by their invoices later (they are
    in the orders table like any other; the ground truth names them)."""
    plan = e.fraud_plan
    for slot in plan.fake_order_days.pop(day, []):
        seller, buyer, amount, _ = plan.fake_orders[slot]
        plan.fake_orders[slot][3] = e.book.add_order(seller, buyer, day, amount)


def billed_minor(e: Economy, seller: int, delivered_minor: int, day: int) -> int:
    """What the seller bills for a delivery: far more than delivered inside its jump."""
    jump = e.fraud_plan.volume_jumps.get(seller)
    if jump is not None and jump.first_day <= day < jump.end_day:
        return scale_minor(delivered_minor, jump.factor)
    return delivered_minor


def label_volume_jump(e: Economy, seller: int, invoice: int, day: int, excess_minor: int) -> None:
    jump = e.fraud_plan.volume_jumps.get(seller)
    e.book.add_label(
        "volume_jump",
        firm=seller,
        invoice=invoice,
        day=day,
        amount_minor=excess_minor,
        detail={
            "factor": round(jump.factor, 2) if jump else 1.0,
            "window_start": jump.first_day if jump else -1,
            "window_end": jump.end_day if jump else -1,
        },
    )


def present_fraud(e: Economy, day: int) -> None:
    """Today's bust-outs and the fake orders entered today. (The phantoms and duplicates
    themselves are presented among the day's genuine invoices: `presentations`.)"""
    bust_out(e, day)
    _enter_fake_orders(e, day)


def presentations(e: Economy, day: int) -> list[Callable[[], None]]:
    """Today's phantom invoices, duplicates and ring rounds' invoices, each to be issued
    (like any other invoice) at its place among the day's deliveries, so that no position
    in the day's run of invoices (ids, confirmation order) marks them."""
    if day >= e.trading_days or (e.start.weekday() + day) % 7 >= 5:
        return []
    todo: list[Callable[[], None]] = [
        partial(_present_phantom, e, slot, day) for slot in e.agenda["present_phantom"].pop(day, [])
    ]
    todo += [
        partial(_present_duplicate, e, original, variant, fake, day)
        for original, variant, fake in e.agenda["present_duplicate"].pop(day, [])
    ]
    if day % 10 == 3:
        todo += [
            partial(_issue_ring_round, e, ring_id, day) for ring_id in range(len(e.world.rings))
        ]
    return todo


def _present_phantom(e: Economy, slot: int, day: int) -> None:
    book = e.book
    firm, buyer, amount, order = e.fraud_plan.fake_orders[slot]
    if not e.alive[firm] or order < 0:
        return
    delivered = max(0, day - int(e.rng_fraud.integers(0, 4)))
    invoice = trade.issue_invoice(e, firm, buyer, order, amount, amount, day, delivered, PHANTOM)
    book.add_label(
        "phantom_invoice",
        firm=firm,
        invoice=invoice,
        day=day,
        amount_minor=amount,
        detail={"fabricated_order": f"ord_{order}"},
        outcome="rejected_by_buyer" if book.invoice_channel[invoice] == REJECTED else "presented",
    )


def _present_duplicate(e: Economy, original: int, variant: str, fake: int, day: int) -> None:
    book = e.book
    seller, buyer = book.invoice_seller[original], book.invoice_buyer[original]
    if not e.alive[seller]:
        return
    number = _presented_number(e, book.invoice_number[original], variant)
    # It quotes the link's latest other order, or a fabricated one, and that order's
    # delivery: its own date and order, not the original's.
    amount = book.invoice_amount_minor[original]
    last = e.fraud_plan.last_delivery.get((seller, buyer))
    fabricated = fake >= 0 or last is None or last[0] == book.invoice_order[original]
    if not fabricated and last is not None:
        order, ordered, delivered = last
    else:
        # A fake order entered when the duplicate was planned (or, if the link's only
        # later delivery was the rest of the original's order, today).
        order = fake if fake >= 0 else book.add_order(seller, buyer, day, amount)
        ordered, delivered = (
            amount,
            max(book.order_day[order], day - int(e.rng_fraud.integers(0, 4))),
        )
    invoice = trade.issue_invoice(
        e, seller, buyer, order, ordered, amount, day, delivered, DUPLICATE, number=number
    )
    book.add_label(
        "duplicate_invoice",
        firm=seller,
        invoice=invoice,
        related=original,
        day=day,
        variant=variant,
        detail={"fabricated_order": f"ord_{order}"} if fabricated else None,
        amount_minor=book.invoice_amount_minor[original],
        outcome="presented" if e.firms[buyer].kind == "anchor" else "off_platform",
    )


def _presented_number(e: Economy, number: str, variant: str) -> str:
    """The number a duplicate carries: the original's, in another case, or altered."""
    if variant == "case":
        return " " + number.lower()
    if variant != "altered":
        return number
    choice = int(e.rng_fraud.integers(3))
    digits = len(number) - len(number.rstrip("0123456789"))
    if choice == 2 and digits:
        return number[:-digits] + "0" + number[-digits:]
    return number + ("-1", "A", "/1")[choice]


def maybe_present_again(e: Economy, invoice: int, day: int, base: float = DUPLICATE_RATE) -> None:
    """After an invoice is accepted, the seller may present it again (fraud)."""
    rate = base * e.config.fraud
    if rate <= 0 or e.rng_fraud.random() >= rate:
        return
    variant = str(e.rng_fraud.choice(["exact", "case", "altered", "altered"]))
    book = e.book
    seller, buyer = book.invoice_seller[invoice], book.invoice_buyer[invoice]
    last = e.fraud_plan.last_delivery.get((seller, buyer))
    # It will quote another order of the link; if there is none yet, a fake one entered now.
    fake = (
        -1
        if last is not None and last[0] != book.invoice_order[invoice]
        else (book.add_order(seller, buyer, day, book.invoice_amount_minor[invoice]))
    )
    e.agenda["present_duplicate"][e.weekday(day + int(e.rng_fraud.integers(3, 20)))].append(
        (invoice, variant, fake)
    )


def _issue_ring_round(e: Economy, ring_id: int, day: int) -> None:
    """A ring's fake invoices for today's round, issued among the day's genuine invoices;
    the piece goes round later in the day (`trade_in_rings`)."""
    book = e.book
    ring = e.world.rings[ring_id]
    if not all(e.alive[m] for m in ring):
        return
    program = set.intersection(*(set(e.firms[m].programs) for m in ring))
    if not program:
        return
    usable = [
        (k, transfer.usable_piece(e, m, frozenset(program), 1, day + 10))
        for k, m in enumerate(ring)
    ]
    holding = [(k, p) for k, p in usable if p >= 0]
    if not holding:
        return
    k, p = holding[0]
    # Round the circle from the member holding a piece, back to it.
    circle = [*ring[k:], *ring[:k], ring[k]]
    amount = book.piece_face_minor[p]
    invoices = []
    for payer, payee in pairwise(circle):
        # Each hop's invoice quotes a fabricated order and bills a little more than the
        # piece that pays it (the rest is said to be paid in cash): no equal amounts
        # around the circle.
        billed = scale_minor(amount, e.rng_fraud.uniform(1.0, 1.12))
        fake = e.fraud_plan.ring_orders[(payee, payer)]
        invoice = trade.issue_invoice(
            e,
            payee,
            payer,
            fake,
            book.order_amount_minor[fake],
            billed,
            day,
            max(book.order_day[fake], day - int(e.rng_fraud.integers(0, 4))),
            RING,
        )
        book.add_label(
            "circular_trading",
            firm=payee,
            invoice=invoice,
            day=day,
            ring=ring_id,
            amount_minor=amount,
            outcome="issued",
        )
        invoices.append(invoice)
    e.fraud_plan.ring_rounds.append((ring_id, p, circle, invoices))
    _order_for_next_round(e, e.fraud_plan, ring, amount, day)


def trade_in_rings(e: Economy, day: int) -> None:
    """Circular trading: the firms of a ring pass a piece around, each hop 'paying' one of
    the fake invoices issued earlier today, then sell it to a funder as if it were real
    trade. A piece used for something else in between makes the round fail."""
    rounds, e.fraud_plan.ring_rounds = e.fraud_plan.ring_rounds, []
    if not rounds:
        return
    book = e.book
    items: list[tuple[str, c.Command]] = []
    plans = []
    for _ring_id, p, circle, invoices in rounds:
        if (
            book.piece_status[p] != LIVE
            or book.piece_holder[p] != circle[0]
            or (book.piece_is_encumbered[p])
        ):
            for invoice in invoices:
                for label in book.labels_for_invoice(invoice):
                    label["outcome"] = "piece_gone"
            continue
        hops = []
        current = p
        for (payer, payee), invoice in zip(pairwise(circle), invoices, strict=True):
            new = book.add_piece(
                payee,
                book.piece_anchor[p],
                book.piece_face_minor[p],
                book.piece_due_day[p],
                PAYS_FOR_NOTHING,
                book.piece_root_invoice[p],
                creator_org_id=e.firms[payer].org_id,
            )
            items.append(
                (
                    e.firms[payer].maker,
                    c.TransferReceivable(
                        book.piece_id[current],
                        e.firms[payee].org_id,
                        new_receivable_id=book.piece_id[new],
                    ),
                )
            )
            hops.append((current, new, invoice))
            for label in book.labels_for_invoice(invoice):
                label["piece"] = new
                label["outcome"] = "transferred"
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
                transfer.record_transfer(
                    e,
                    current,
                    new,
                    -1,
                    -1,  # a whole transfer
                    book.piece_face_minor[current],
                    day,
                    invoice,
                )
            else:
                ok = False
                book.invoice_channel[invoice] = PENDING
                for label in book.labels_for_invoice(invoice):
                    label["outcome"] = f"refused:{code}"
        if ok:
            finance.consider_selling(
                e, hops[-1][1], book.piece_holder[hops[-1][1]], day, eager=True
            )
