"""Three-way match: invoice lines against order lines and received quantities. Pure.

An invoice is matched when it refers to the order, is in the order's currency, and every
invoice line finds its order line, has the same unit, a unit price within the program's
price tolerance of the ordered price, and (summed over all invoice lines for the same
order line, plus what earlier invoices already billed) a quantity within the quantity
tolerance of what was ordered and of what was received.

Received quantities come from receipt advices (what the buyer accepted: received minus
rejected) when there is at least one for the order, otherwise from despatch advices (what
the seller says it sent), and the report says which (`quantity_basis`).

Tolerances are in basis points (1 bp = 0.01 %), set per program: `price_bps` applies in
both directions around the ordered price; `quantity_bps` only above the ordered and
received quantities (billing less than delivered is a partial invoice, not a mismatch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from openscf.documents.despatch import DeliveryDocument
from openscf.documents.errors import InvalidValueError
from openscf.documents.invoice import InvoiceLine, NormalisedInvoice
from openscf.documents.order import Order, OrderLine

__all__ = [
    "LineMatch",
    "LineStatus",
    "MatchReport",
    "MatchTolerance",
    "QuantityBasis",
    "received_quantities",
    "three_way_match",
]

LineStatus = Literal[
    "matched",
    "no_order_line",
    "unit_mismatch",
    "no_order_price",
    "price_mismatch",
    "quantity_exceeds_ordered",
    "quantity_exceeds_received",
]
QuantityBasis = Literal["receipt_advice", "despatch_advice", "none"]

# Most serious first: a line's `status` is the first of its issues in this order.
_SEVERITY: tuple[LineStatus, ...] = (
    "no_order_line",
    "unit_mismatch",
    "no_order_price",
    "price_mismatch",
    "quantity_exceeds_ordered",
    "quantity_exceeds_received",
)
_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class MatchTolerance:
    """Per-program tolerances in basis points (100 bps = 1 %)."""

    price_bps: int = 0
    quantity_bps: int = 0

    def __post_init__(self) -> None:
        for name in ("price_bps", "quantity_bps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
                raise InvalidValueError(
                    f"{name} must be a whole number of basis points from 0 to 10000",
                    code="invalid_tolerance",
                    element=name,
                )


@dataclass(frozen=True, slots=True)
class LineMatch:
    """The result for one invoice line. `issues` lists every failed check."""

    invoice_line_id: str
    order_line_id: str | None
    status: LineStatus
    issues: tuple[LineStatus, ...]
    invoiced_quantity: Decimal
    invoice_unit_price: Decimal
    ordered_quantity: Decimal | None = None
    ordered_unit_price: Decimal | None = None
    received_quantity: Decimal | None = None
    cumulative_invoiced_quantity: Decimal | None = None

    @property
    def matched(self) -> bool:
        return self.status == "matched"


@dataclass(frozen=True, slots=True)
class MatchReport:
    """The three-way match of one invoice. `matched` only if nothing at all failed."""

    invoice_number: str
    order_id: str
    tolerance: MatchTolerance
    quantity_basis: QuantityBasis
    header_issues: tuple[str, ...]
    lines: tuple[LineMatch, ...]

    @property
    def matched(self) -> bool:
        return not self.header_issues and bool(self.lines) and all(x.matched for x in self.lines)

    @property
    def issues(self) -> tuple[str, ...]:
        """Header issues, then `line <id>: <issue>` for every failing line."""
        return self.header_issues + tuple(
            f"line {x.invoice_line_id}: {issue}" for x in self.lines for issue in x.issues
        )


def received_quantities(
    order_id: str, deliveries: Sequence[DeliveryDocument]
) -> tuple[QuantityBasis, dict[str, Decimal]]:
    """Quantities received per order line id for one order, and where they come from.

    Receipt advices (accepted = received - rejected) win over despatch advices; lines that
    name another order, or no order line, are ignored.
    """
    relevant = [
        (doc, line)
        for doc in deliveries
        for line in doc.lines
        if (line.order_ref or doc.order_ref) == order_id and line.order_line_ref is not None
    ]
    receipts = [(d, x) for d, x in relevant if d.kind == "receipt_advice"]
    basis: QuantityBasis
    if receipts:
        basis, chosen = "receipt_advice", receipts
    elif relevant:
        basis, chosen = "despatch_advice", relevant
    else:
        return "none", {}
    totals: dict[str, Decimal] = {}
    for doc, line in chosen:
        assert line.order_line_ref is not None
        qty = line.accepted_quantity if doc.kind == "receipt_advice" else line.quantity
        totals[line.order_line_ref] = totals.get(line.order_line_ref, Decimal(0)) + qty
    return basis, totals


def _within(value: Decimal, reference: Decimal, bps: int) -> bool:
    """|value - reference| <= reference * bps / 10000, exactly."""
    return abs(value - reference) * _BPS <= abs(reference) * bps


def _not_above(value: Decimal, limit: Decimal, bps: int) -> bool:
    return value * _BPS <= limit * (_BPS + bps)


def _find_order_line(
    inv_line: InvoiceLine, order: Order, by_item: Mapping[str, list[OrderLine]]
) -> OrderLine | None:
    if inv_line.order_line_ref:
        return order.line(inv_line.order_line_ref)
    if inv_line.item_id:
        candidates = by_item.get(inv_line.item_id, [])
        if len(candidates) == 1:
            return candidates[0]
    return None


def three_way_match(
    invoice: NormalisedInvoice,
    order: Order,
    deliveries: Sequence[DeliveryDocument],
    tolerance: MatchTolerance,
    *,
    previously_invoiced: Mapping[str, Decimal] | None = None,
) -> MatchReport:
    """Match an invoice against its order and the deliveries for that order.

    Invoice lines find their order line by the order line reference (BT-132); without one,
    by item id when exactly one order line carries it. `previously_invoiced` maps order
    line ids to quantities billed by earlier invoices for the same order.
    """
    header: list[str] = []
    if invoice.kind != "invoice":
        header.append("not_an_invoice")
    if invoice.order_ref is None:
        header.append("no_order_reference")
    elif invoice.order_ref.strip() != order.order_id.strip():
        header.append("order_reference_mismatch")
    if order.currency is not None and invoice.currency != order.currency:
        header.append("currency_mismatch")
    if not invoice.lines:
        header.append("no_invoice_lines")

    basis, received = received_quantities(order.order_id, deliveries)
    if basis == "none":
        header.append("no_deliveries")

    by_item: dict[str, list[OrderLine]] = {}
    for order_line in order.lines:
        for item in order_line.item_ids:
            by_item.setdefault(item, []).append(order_line)

    resolved = [(line, _find_order_line(line, order, by_item)) for line in invoice.lines]
    cumulative: dict[str, Decimal] = dict(previously_invoiced or {})
    for line, ol in resolved:
        if ol is not None:
            cumulative[ol.line_id] = cumulative.get(ol.line_id, Decimal(0)) + line.quantity

    results: list[LineMatch] = []
    for line, ol in resolved:
        if ol is None:
            results.append(
                LineMatch(
                    invoice_line_id=line.line_id,
                    order_line_id=line.order_line_ref,
                    status="no_order_line",
                    issues=("no_order_line",),
                    invoiced_quantity=line.quantity,
                    invoice_unit_price=line.unit_price,
                )
            )
            continue
        issues: set[LineStatus] = set()
        if line.unit_code and ol.unit_code and line.unit_code != ol.unit_code:
            issues.add("unit_mismatch")
        if ol.unit_price is None:
            issues.add("no_order_price")
        elif not _within(line.unit_price, ol.unit_price, tolerance.price_bps):
            issues.add("price_mismatch")
        total = cumulative[ol.line_id]
        if not _not_above(total, ol.quantity, tolerance.quantity_bps):
            issues.add("quantity_exceeds_ordered")
        got = received.get(ol.line_id, Decimal(0))
        if not _not_above(total, got, tolerance.quantity_bps):
            issues.add("quantity_exceeds_received")
        ordered_issues = tuple(s for s in _SEVERITY if s in issues)
        results.append(
            LineMatch(
                invoice_line_id=line.line_id,
                order_line_id=ol.line_id,
                status=ordered_issues[0] if ordered_issues else "matched",
                issues=ordered_issues,
                invoiced_quantity=line.quantity,
                invoice_unit_price=line.unit_price,
                ordered_quantity=ol.quantity,
                ordered_unit_price=ol.unit_price,
                received_quantity=got,
                cumulative_invoiced_quantity=total,
            )
        )
    return MatchReport(
        invoice_number=invoice.number,
        order_id=order.order_id,
        tolerance=tolerance,
        quantity_basis=basis,
        header_issues=tuple(header),
        lines=tuple(results),
    )
