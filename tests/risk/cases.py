"""Small hand-made trade data for the fraud detectors' tests."""

from __future__ import annotations

from datetime import date, timedelta

from openscf.risk.fraud.data import Firm, Invoice, Order, Payment, Receivable, TradeData

D0 = date(2026, 3, 2)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def firms(*ids: str, anchors: tuple[str, ...] = ()) -> dict[str, Firm]:
    out = {
        f: Firm(
            f,
            f.upper(),
            "anchor" if f in anchors else "supplier",
            0 if f in anchors else 1,
            -1,
            None,
        )
        for f in ids
    }
    return out


def invoice(
    invoice_id: str,
    seller: str,
    buyer: str,
    amount_minor: int,
    issued: int,
    *,
    number: str | None = None,
    order_id: str | None = None,
    ordered_minor: int | None = None,
    paid: int | None = None,
    rejected: int | None = None,
) -> Invoice:
    return Invoice(
        invoice_id=invoice_id,
        number=number or f"N-{invoice_id}",
        seller_id=seller,
        buyer_id=buyer,
        order_id=order_id or f"ord_{invoice_id}",
        ordered_minor=amount_minor if ordered_minor is None else ordered_minor,
        amount_minor=amount_minor,
        currency="EUR",
        delivered_on=day(issued),
        issued_on=day(issued),
        due_on=day(issued + 60),
        paid_on=None if paid is None else day(paid),
        rejected_on=None if rejected is None else day(rejected),
        disputed=False,
    )


def orders_for(invoices: list[Invoice], lead_days: int = 10) -> dict[str, Order]:
    """One order per invoice, entered `lead_days` before it (unless already given)."""
    return {
        i.order_id: Order(
            i.order_id,
            i.seller_id,
            i.buyer_id,
            i.issued_on - timedelta(days=lead_days),
            i.ordered_minor,
        )
        for i in invoices
        if i.order_id is not None
    }


def data(
    invoices: list[Invoice],
    *,
    firm_ids: tuple[str, ...] = (),
    anchors: tuple[str, ...] = (),
    orders: dict[str, Order] | None = None,
    payments: list[Payment] | None = None,
    receivables: dict[str, Receivable] | None = None,
    as_of: date | None = None,
) -> TradeData:
    ids = set(firm_ids) | {i.seller_id for i in invoices} | {i.buyer_id for i in invoices}
    return TradeData(
        as_of=as_of,
        firms=firms(*sorted(ids), anchors=anchors),
        orders=orders if orders is not None else orders_for(invoices),
        invoices=invoices,
        payments=payments or [],
        receivables=receivables or {},
    )


def piece_payments(
    invoices: list[Invoice], root: str
) -> tuple[list[Payment], dict[str, Receivable]]:
    """Each invoice paid, on its issue day, by a transfer of one piece (root `root`)."""
    payments, receivables = [], {}
    for m, inv in enumerate(invoices):
        rid = f"{root}.{m}"
        receivables[rid] = Receivable(
            rid, "anchor", inv.seller_id, 1_000_000, inv.issued_on, None, root
        )
        payments.append(
            Payment(
                inv.paid_on or inv.issued_on,
                inv.buyer_id,
                inv.seller_id,
                1_000_000,
                "receivable_transfer",
                inv.invoice_id,
                rid,
            )
        )
    return payments, receivables


def orders_on(invoices: list[Invoice], ordered: date) -> dict[str, Order]:
    """The invoices' orders, all entered on one day."""
    return {
        i.order_id: Order(i.order_id, i.seller_id, i.buyer_id, ordered, i.ordered_minor)
        for i in invoices
        if i.order_id is not None
    }
