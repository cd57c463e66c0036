"""Trade: orders on each supplier-buyer link, deliveries, invoices and the buyer's cash.

Orders arrive on working days (seasonality per industry, trend, the firms' health), are
delivered after a lead time (sometimes late, sometimes in two parts) and invoiced on
delivery with the buyer's terms. Each invoice is routed at issue: an onboarded supplier's
invoice to its anchor goes to confirmation, an invoice between two network members is paid
with a receivable in the buyer's weekly payment run, anything else is paid in cash at the
due date plus the buyer's usual delay. Disputes end in a credit note. Cash payments (off the
platform) happen here too; none of this module sends a platform command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from openscf.sim import fraud
from openscf.sim.draws import Draws
from openscf.sim.ledger import (
    BY_RECEIVABLE,
    CASH,
    CONFIRMED,
    CREDITED_IN_FULL,
    PENDING,
    PHANTOM,
    REJECTED,
    RING,
    TRADE,
    UNPAID,
    Loss,
    scale_minor,
)
from openscf.sim.world import INDUSTRIES, MEDIAN_SALES

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = [
    "Links",
    "Numbering",
    "deliver",
    "issue_invoice",
    "pay_in_cash",
    "payable_minor",
    "place_orders",
    "trade_links",
]

WORKING_DAYS_PER_YEAR = 260.0
NEW_CONTRACTS_PER_LINK_YEAR = 0.04
NEW_CONTRACT_STREAM = 104_729
# Genuine invoices above their order: agreed extras and price changes (a few percent), and
# rarely far above it (a price renegotiated after the order, extra work agreed on site).
EXTRAS_SHARE, BIG_EXTRAS_SHARE = 0.03, 0.004
# Anchors reject genuine invoices too (quality, quantity or price disputes); the supplier
# then issues a corrected invoice on the same order.
GENUINE_REJECTION_RATE = 0.01


@dataclass(frozen=True)
class Links:
    """The supplier-buyer links of the world, as arrays by link index."""

    seller: np.ndarray
    buyer: np.ndarray
    orders_per_day: np.ndarray  # expected orders per working day
    order_value_eur: np.ndarray  # a typical order's value (float: drives a random size)
    industry: np.ndarray  # the seller's industry, an index into INDUSTRIES
    # A new contract on the link from this day (a legitimate volume jump), and its factor
    # on the link's orders; links without one start after the horizon.
    contract_day: np.ndarray
    contract_factor: np.ndarray


# Invoice number formats, as firms' ERPs write them: {p} the firm's prefix, {y} the year,
# {yy} its last two digits, {m} the month, {n} the firm's own sequence number.
NUMBER_FORMATS = (
    "{p}-{y}-{n:05d}",
    "{yy}{n:06d}",
    "RE{y}/{n:04d}",
    "{p}{n:07d}",
    "INV-{n}",
    "{n:08d}",
    "{y}{m:02d}-{n:04d}",
    "{p}/{yy}/{n:05d}",
    "F{yy}-{n:06d}",
    "{p} {n}",
)
NUMBERING_STREAM = 7_919
# Invoices are issued on the day of delivery or up to three days after it (the
# paperwork), each lag equally likely. Fraud (`openscf.sim.fraud`) draws its stated
# delivery dates the same way, so the gap between delivery and issue says nothing about
# fraud. Its own stream, so that the other draws of a seed are unchanged.
PAPERWORK_STREAM = 15_485_863
PAPERWORK_LAG_DAYS_MAX = 3


@dataclass
class Numbering:
    """Each seller's invoice numbers: its own format and sequence (with gaps, for the
    invoices it sends to customers outside the data), some restarting every year."""

    formats: list[str]
    prefixes: list[str]
    sequence: list[int]
    restarts_yearly: list[bool]
    year: list[int]

    @classmethod
    def for_firms(cls, names: list[str], seed: int, first_year: int) -> Numbering:
        rng = np.random.default_rng([seed, NUMBERING_STREAM])
        n = len(names)
        formats = [NUMBER_FORMATS[int(k)] for k in rng.integers(0, len(NUMBER_FORMATS), n)]
        prefixes = []
        for name in names:
            letters = [ch for ch in name.upper() if "A" <= ch <= "Z"]
            width = int(rng.integers(2, 5))
            prefixes.append("".join(letters[:width]) or "INV")
        starts = rng.integers(1, 10 ** rng.integers(2, 5, n))
        return cls(
            formats,
            prefixes,
            [int(x) for x in starts],
            [("{y}" in f or "{yy}" in f) and bool(rng.random() < 0.5) for f in formats],
            [first_year] * n,
        )

    def next(self, seller: int, on: date, rng: Draws) -> str:
        if on.year != self.year[seller]:
            self.year[seller] = on.year
            if self.restarts_yearly[seller]:
                self.sequence[seller] = 0
        self.sequence[seller] += rng.geometric(0.6)
        return self.formats[seller].format(
            p=self.prefixes[seller],
            y=on.year,
            yy=f"{on.year % 100:02d}",
            m=on.month,
            n=self.sequence[seller],
        )


def trade_links(e: Economy) -> Links:
    """How often and how much each link orders, from its seller's size and its share."""
    w = e.world
    # Orders per year per supplier grow slowly with size (big firms send bigger invoices).
    per_year = np.array(
        [
            min(1200.0, 90.0 * (f.sales_eur / MEDIAN_SALES.get(f.tier, 1e6)) ** 0.4)
            * e.config.volume
            if f.kind == "supplier"
            else 0.0
            for f in e.firms
        ]
    )
    seller = np.array(w.link_seller, dtype=np.int64)
    buyer = np.array(w.link_buyer, dtype=np.int64)
    share = np.array(w.link_share)
    sales = np.array([f.sales_eur for f in e.firms])
    # New contracts (a bigger share of the buyer's needs, a new product line): a few links a
    # year order two to four times as much from some day on. Their own stream, so the
    # world and the other histories do not depend on them.
    rng = np.random.default_rng([e.config.seed, NEW_CONTRACT_STREAM])
    n = len(seller)
    has_contract = rng.random(n) < NEW_CONTRACTS_PER_LINK_YEAR * e.trading_days / 365
    contract_day = np.where(
        has_contract, rng.integers(0, max(1, e.trading_days), n), np.iinfo(np.int64).max
    )
    contract_factor = rng.uniform(1.8, 4.0, n)
    for li in np.flatnonzero(has_contract).tolist():
        e.book.add_label(
            "new_contract",
            firm=int(seller[li]),
            day=int(contract_day[li]),
            detail={
                "buyer": e.firms[int(buyer[li])].org_id,
                "factor": round(float(contract_factor[li]), 2),
            },
        )
    return Links(
        seller=seller,
        buyer=buyer,
        # Orders arrive on working days only.
        orders_per_day=per_year[seller] * share / WORKING_DAYS_PER_YEAR,
        order_value_eur=sales[seller] / np.maximum(per_year[seller], 1.0),
        industry=np.array([INDUSTRIES.index(e.firms[s].industry) for s in seller], dtype=np.int64),
        contract_day=contract_day,
        contract_factor=contract_factor,
    )


def season(e: Economy, day: int) -> np.ndarray:
    """Demand multiplier per industry: yearly cycle and trend."""
    d = e.date_of(day)
    doy = d.timetuple().tm_yday
    years = day / 365.0
    cycle = 1.0 + 0.12 * math.sin(2 * math.pi * (doy - 80) / 365)
    out = np.full(len(INDUSTRIES), cycle)
    # automotive: summer shutdown in August and a quiet Christmas week
    out[0] *= 0.55 if d.month == 8 else (0.7 if d.month == 12 and d.day > 18 else 1.0)
    out[1] *= 1.0 + 0.2 * (d.month in (9, 10, 11))  # electronics: pre-holiday build
    out[2] *= 1.0 + 0.25 * (d.month == 12)  # food: Christmas
    out[3] *= 1.0 + 0.35 * (d.month in (10, 11))  # retail: stocking for Q4
    growth = np.array([0.03, 0.06, 0.02, 0.01, 0.025])
    return np.asarray(out * (1.0 + growth) ** years)


def place_orders(e: Economy, day: int) -> None:
    """Today's orders on every link, each scheduled for delivery (whole or in two parts)."""
    rng = e.rng_orders
    links = e.links
    demand = season(e, day)
    stress = e.health.stress
    alive = e.health.alive
    # Buyers move orders away from failing suppliers; stressed buyers order less.
    orders_expected = (
        links.orders_per_day
        * demand[links.industry]
        * np.where(day >= links.contract_day, links.contract_factor, 1.0)
        * (1.0 - 0.5 * stress[links.seller])
        * (1.0 - 0.3 * stress[links.buyer])
        * alive[links.seller]
        * alive[links.buyer]
    )
    counts = rng.poisson(orders_expected)
    ordering = np.flatnonzero(counts)
    if len(ordering) == 0:
        return
    order_link = np.repeat(ordering, counts[ordering])  # the link of each order today
    n = len(order_link)
    size_eur = (
        links.order_value_eur[order_link]
        * demand[links.industry[order_link]]
        * (rng.lognormal(-0.125, 0.5, n))
    )
    lead_days = np.maximum(1, np.rint(rng.lognormal(np.log(12), 0.4, n))).astype(np.int64)
    u_late, u_partial = rng.random(n), rng.random(n)
    delay = rng.geometric(0.25, n)
    first_share = rng.uniform(0.5, 0.95, n)
    rest_after_days = rng.integers(5, 21, n)
    book = e.book
    deliveries = e.agenda["deliver"]
    for k in range(n):
        li = int(order_link[k])
        seller, buyer = int(links.seller[li]), int(links.buyer[li])
        amount = max(100_00, round(float(size_eur[k]) * 100))
        order = book.add_order(seller, buyer, day, amount)
        s = float(stress[seller])
        is_late = u_late[k] < 0.06 + 0.4 * s
        when = day + int(lead_days[k]) + (int(delay[k]) * (1 + int(8 * s)) if is_late else 0)
        if u_partial[k] < 0.05 + 0.25 * s:
            first = int(amount * float(first_share[k]))
            deliveries[e.weekday(when)].append((order, first, first, is_late, True, -1))
            deliveries[e.weekday(when + int(rest_after_days[k]))].append(
                (order, amount - first, amount - first, True, True, -1)
            )
        else:
            deliveries[e.weekday(when)].append((order, amount, amount, is_late, False, -1))
    e.stats.orders += n


def deliver(e: Economy, day: int) -> None:
    """Today's deliveries, each invoiced at once (sometimes above the order: agreed extras;
    a volume-jump fraudster bills far more), corrected invoices after a rejection (their
    delivery day is the original one), and today's phantoms and duplicates among them."""
    todo: list[Any] = e.agenda["deliver"].pop(day, [])
    # Today's phantoms and duplicates go in at random places among the deliveries.
    for present in fraud.presentations(e, day):
        todo.insert(int(e.rng_fraud.integers(0, len(todo) + 1)), present)
    book = e.book
    rng = e.rng_behaviour
    for item in todo:
        if callable(item):
            item()
            continue
        order, amount, ordered, is_late, is_partial, delivered_day = item
        seller, buyer = book.order_seller[order], book.order_buyer[order]
        if not (e.alive[seller] and e.alive[buyer]):
            continue  # a firm that defaulted neither delivers nor takes delivery
        billed = fraud.billed_minor(e, seller, amount, day)
        is_jump = billed != amount
        if not is_jump and delivered_day < 0:
            u = rng.random()
            if u < BIG_EXTRAS_SHARE:
                billed = scale_minor(amount, rng.uniform(1.3, 3.0))
            elif u < EXTRAS_SHARE + BIG_EXTRAS_SHARE:
                billed = scale_minor(amount, rng.uniform(1.01, 1.2))
        if delivered_day >= 0:
            on = delivered_day  # a corrected invoice states the original delivery
        else:
            lag = int(e.rng_paperwork.integers(0, PAPERWORK_LAG_DAYS_MAX + 1))
            on = max(book.order_day[order], day - lag)
        invoice = issue_invoice(
            e,
            seller,
            buyer,
            order,
            ordered,
            billed,
            day,
            on,
            TRADE,
            is_late=is_late,
            is_partial=is_partial,
        )
        fraud.note_delivery(e, seller, buyer, order, ordered, on)
        if is_jump:
            fraud.label_volume_jump(e, seller, invoice, day, billed - amount)


def issue_invoice(
    e: Economy,
    seller: int,
    buyer: int,
    order: int,
    ordered_minor: int,
    amount_minor: int,
    day: int,
    delivery_day: int,
    kind: int,
    *,
    is_late: bool = False,
    is_partial: bool = False,
    number: str | None = None,
) -> int:
    """Record an invoice and schedule how it will be paid."""
    book = e.book
    rng = e.rng_behaviour
    i = len(book.invoice_seller)
    buyer_firm = e.firms[buyer]
    issue_day = e.weekday(day)
    if buyer_firm.kind == "anchor":
        terms_days = buyer_firm.terms_days
    else:
        u = rng.random()
        terms_days = 30 if u < 0.4 else (45 if u < 0.75 else 60)
    due_day = issue_day + terms_days
    book.invoice_seller.append(seller)
    book.invoice_buyer.append(buyer)
    book.invoice_order.append(order)
    book.invoice_ordered_minor.append(ordered_minor)
    book.invoice_amount_minor.append(amount_minor)
    book.invoice_credit_minor.append(0)
    book.invoice_issue_day.append(issue_day)
    book.invoice_delivery_day.append(delivery_day)
    book.invoice_due_day.append(due_day)
    book.invoice_paid_day.append(-1)
    book.invoice_piece.append(-1)
    book.invoice_realised_minor.append(0)
    book.invoice_realised_minor_days.append(0)
    book.invoice_is_late_delivery.append(1 if is_late else 0)
    book.invoice_is_partial_delivery.append(1 if is_partial else 0)
    book.invoice_kind.append(kind)
    book.invoice_number.append(number or e.numbering.next(seller, e.date_of(issue_day), rng))
    book.invoice_rejected_day.append(-1)
    e.stats.invoices += 1
    # Without the network: the buyer pays cash at the due date plus its usual delay.
    buyer_stress = e.health.stress_of(buyer)
    if buyer_firm.kind == "anchor":
        lateness_days = (
            int(rng.geometric(1 / (6 + 25 * buyer_stress)))
            if rng.random() < (buyer_firm.late_share * 4 + buyer_stress)
            else 0
        )
    else:
        # European B2B reality: about half of invoices are paid late, by around two
        # weeks on average, and much later by a buyer in trouble.
        lateness_days = (
            int(rng.geometric(1 / (12 + 45 * buyer_stress)))
            if rng.random() < (0.45 + 0.5 * buyer_stress)
            else 0
        )
    cash_day = e.weekday(due_day + lateness_days)
    book.invoice_cash_day.append(cash_day)
    # Disputes (quality, quantity, price) end in a credit note some weeks later.
    seller_stress = e.health.stress_of(seller)
    is_disputed = kind == TRADE and rng.random() < 0.02 + 0.10 * seller_stress
    book.invoice_is_disputed.append(1 if is_disputed else 0)
    settled_day = issue_day
    if is_disputed:
        settled_day = e.weekday(issue_day + int(rng.integers(10, 31)))
        share = 1.0 if rng.random() < 0.08 else float(rng.uniform(0.05, 0.4))
        credit = scale_minor(amount_minor, share)
        book.invoice_credit_minor[i] = credit
        book.pay(settled_day, seller, buyer, credit, "credit_note", invoice=i)
    if kind == RING:
        # A ring's hop is "paid" by the piece passed around the ring (`fraud.py`), never
        # by the buyer's usual payment.
        book.invoice_channel.append(PENDING)
        return i
    if buyer_firm.kind == "anchor":
        if buyer in e.program_sets[seller]:
            book.invoice_channel.append(CONFIRMED)
            if book.invoice_credit_minor[i] >= amount_minor:
                book.invoice_channel[i] = CREDITED_IN_FULL
            elif (kind == PHANTOM and rng.random() < 0.6) or (
                kind == TRADE
                and not is_disputed
                and rng.random() < (GENUINE_REJECTION_RATE + 0.04 * seller_stress)
            ):
                # The anchor's three-way match caught a phantom, or the goods or the price
                # are disputed: rejected, and a genuine one is invoiced again, corrected.
                book.invoice_channel[i] = REJECTED
                rejected_day = e.weekday(issue_day + int(rng.integers(1, 6)))
                book.invoice_rejected_day[i] = rejected_day
                if kind == TRADE:
                    e.agenda["deliver"][e.weekday(rejected_day + int(rng.integers(2, 15)))].append(
                        (
                            order,
                            scale_minor(ordered_minor, rng.uniform(0.85, 1.0)),
                            ordered_minor,
                            is_late,
                            is_partial,
                            delivery_day,
                        )
                    )
            else:
                wait_days = int(rng.integers(2, 9)) if kind == TRADE else int(rng.integers(1, 4))
                e.agenda["confirm"][e.weekday(settled_day + wait_days)].append(i)
            return i
        book.invoice_channel.append(CASH)
    elif e.program_sets[seller] & e.program_sets[buyer]:
        # Paying with a piece of an anchor receivable costs the buyer no cash before
        # the piece matures, so buyers on the network pay on approval of the invoice
        # rather than at its due date (deep-tier supply-chain finance).
        book.invoice_channel.append(BY_RECEIVABLE)
        approved_day = max(issue_day + int(rng.integers(3, 11)), settled_day)
        # ... in the buyer's weekly payment run (each buyer has its own weekday).
        run_day = approved_day + (buyer % 5 - (e.start.weekday() + approved_day) % 7) % 7
        e.agenda["pay_with_receivable"][run_day].append(i)
        return i
    else:
        book.invoice_channel.append(CASH)
    if book.invoice_credit_minor[i] >= amount_minor:
        book.invoice_channel[i] = CREDITED_IN_FULL
    else:
        e.agenda["pay_in_cash"][max(cash_day, settled_day)].append(i)
    return i


def payable_minor(e: Economy, i: int, day: int) -> int | None:
    """What the buyer still owes on invoice `i` today, or None: nothing is left, or
    the buyer has defaulted (then it is recorded as the seller's loss)."""
    book = e.book
    amount = book.net_minor(i)
    if amount <= 0:
        return None
    if not e.alive[book.invoice_buyer[i]]:
        book.invoice_channel[i] = UNPAID
        book.losses.append(Loss(day, book.invoice_seller[i], amount, "buyer_defaulted", i))
        return None
    return amount


def pay_in_cash(e: Economy, day: int) -> None:
    """Buyers pay today's cash invoices (off the platform)."""
    todo = e.agenda["pay_in_cash"].pop(day, None)
    if not todo:
        return
    book = e.book
    for i in todo:
        amount = payable_minor(e, i, day)
        if amount is None:
            continue
        buyer, seller = book.invoice_buyer[i], book.invoice_seller[i]
        book.invoice_paid_day[i] = day
        book.realise(i, amount, day)
        book.pay(day, buyer, seller, amount, "invoice_cash", invoice=i)
        if book.invoice_kind[i] == TRADE and e.firms[buyer].kind != "anchor":
            fraud.maybe_present_again(e, i, day, 0.001)
