"""The three-way match of an invoice with its order and deliveries, and its tolerances."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from openscf.app.trade.context import DeskContext, actor, program_of
from openscf.app.trade.records import DELIVERY_KINDS, StoredDocument
from openscf.documents.despatch import DeliveryDocument, parse_delivery_element
from openscf.documents.errors import DocumentError
from openscf.documents.invoice import NormalisedInvoice
from openscf.documents.matching import MatchReport, MatchTolerance, three_way_match
from openscf.documents.order import Order, parse_order_element
from openscf.documents.parse import parse_invoice_element
from openscf.documents.xml import parse_xml
from openscf.domain.errors import InvalidRequest
from openscf.domain.invoice_number import loose_invoice_number_key
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork

DEFAULT_TOLERANCE = MatchTolerance(price_bps=0, quantity_bps=0)


def tolerance_of(docs: TradeDocuments, program_id: str | None) -> MatchTolerance:
    if program_id is None:
        return DEFAULT_TOLERANCE
    found = docs.tolerance(program_id)
    if found is None:
        return DEFAULT_TOLERANCE
    return MatchTolerance(*found)


def set_tolerance(
    ctx: DeskContext, user_id: str, program_id: str, *, price_bps: int, quantity_bps: int
) -> MatchTolerance:
    """The anchor's admin sets the program's three-way match tolerances."""
    try:
        tolerance = MatchTolerance(price_bps, quantity_bps)
    except DocumentError as exc:
        raise InvalidRequest(exc.code, exc.message, exc.element) from None

    def work(uow: UnitOfWork) -> MatchTolerance:
        user, org = actor(uow, user_id, ("anchor",), "admin")
        docs = TradeDocuments(uow.connection)
        program = program_of(docs, org, program_id)
        docs.replace_tolerance(
            program.id,
            price_bps=price_bps,
            quantity_bps=quantity_bps,
            set_by=user.id,
            set_at=ctx.now(),
        )
        return tolerance

    return ctx.service.transaction(work)


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def report_json(report: MatchReport) -> dict[str, Any]:
    return {
        "order_id": report.order_id,
        "quantity_basis": report.quantity_basis,
        "tolerance": {
            "price_bps": report.tolerance.price_bps,
            "quantity_bps": report.tolerance.quantity_bps,
        },
        "header_issues": list(report.header_issues),
        "lines": [
            {
                "invoice_line_id": x.invoice_line_id,
                "order_line_id": x.order_line_id,
                "status": x.status,
                "issues": list(x.issues),
                "invoiced_quantity": decimal_text(x.invoiced_quantity),
                "invoice_unit_price": decimal_text(x.invoice_unit_price),
                "ordered_quantity": decimal_text(x.ordered_quantity),
                "ordered_unit_price": decimal_text(x.ordered_unit_price),
                "received_quantity": decimal_text(x.received_quantity),
                "cumulative_invoiced_quantity": decimal_text(x.cumulative_invoiced_quantity),
            }
            for x in report.lines
        ],
    }


def match_invoice(
    docs: TradeDocuments,
    org_id: str,
    invoice: NormalisedInvoice,
    tolerance: MatchTolerance,
    *,
    exclude: str | None = None,
) -> tuple[str, list[str], dict[str, Any] | None]:
    """(status, issues, report) of the three-way match against stored documents."""
    if invoice.kind != "invoice":
        return "not_an_invoice", ["not_an_invoice"], None
    if not invoice.order_ref:
        return "no_order", ["no_order_reference"], None
    key = loose_invoice_number_key(invoice.order_ref)
    order_row = docs.order(org_id, key)
    if order_row is None:
        return "no_order", [f"order {invoice.order_ref} has not been imported"], None
    order_doc = StoredDocument.of(order_row)
    assert order_doc.content is not None
    order: Order = parse_order_element(
        parse_xml(order_doc.content, order_doc.source), order_doc.source
    )
    deliveries: list[DeliveryDocument] = []
    earlier: dict[str, Decimal] = {}
    for row in docs.on_order(org_id, key):
        other = StoredDocument.of(row)
        if other.id == exclude or other.content is None:
            continue
        if other.kind in DELIVERY_KINDS:
            deliveries.append(
                parse_delivery_element(parse_xml(other.content, other.source), other.source)
            )
        elif other.kind == "invoice" and other.status in ("confirmed", "pending_approval"):
            billed = parse_invoice_element(parse_xml(other.content, other.source))
            for line in billed.lines:
                if line.order_line_ref:
                    earlier[line.order_line_ref] = (
                        earlier.get(line.order_line_ref, Decimal(0)) + line.quantity
                    )
    report = three_way_match(invoice, order, deliveries, tolerance, previously_invoiced=earlier)
    status = "matched" if report.matched else "mismatch"
    return status, list(report.issues), report_json(report)


def rematch(docs: TradeDocuments, org_id: str, order_key: str) -> None:
    """Recompute the match of unconfirmed invoices on an order that just changed."""
    for row in docs.on_order(org_id, order_key, kind="invoice", status="imported"):
        doc = StoredDocument.of(row)
        assert doc.content is not None
        invoice = parse_invoice_element(parse_xml(doc.content, doc.source), doc.source)
        status, _issues, report = match_invoice(
            docs, org_id, invoice, tolerance_of(docs, doc.program_id), exclude=doc.id
        )
        docs.update_document(
            doc.id,
            match_status=status,
            match_json=None if report is None else json.dumps(report),
        )


def current_match(
    docs: TradeDocuments, doc: StoredDocument
) -> tuple[str, list[str], dict[str, Any] | None]:
    if doc.kind == "payable":
        return doc.match_status or "erp_approved", [], None
    assert doc.content is not None
    invoice = parse_invoice_element(parse_xml(doc.content, doc.source), doc.source)
    return match_invoice(
        docs, doc.org_id, invoice, tolerance_of(docs, doc.program_id), exclude=doc.id
    )
