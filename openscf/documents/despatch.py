"""UBL 2.1 DespatchAdvice and ReceiptAdvice to a frozen `DeliveryDocument`.

A despatch advice is the seller saying what it sent; a receipt advice is the buyer saying
what it received (and rejected). Both carry lines with the order line they refer to and a
quantity, which is what the three-way match needs. Parsing goes through the safe XML
parser; every problem raises a `DocumentError` naming source, line and element.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from lxml import etree

from openscf.documents.errors import MissingElementError, UnknownDocumentTypeError
from openscf.documents.invoice import Party
from openscf.documents.order import (
    item_ids,
    optional_text,
    parse_party,
    q,
    read_date,
    read_decimal,
    required_text,
)
from openscf.documents.xml import DEFAULT_MAX_BYTES, element_path, parse_xml

__all__ = [
    "NS_DESPATCH_ADVICE",
    "NS_RECEIPT_ADVICE",
    "DeliveryDocument",
    "DeliveryKind",
    "DeliveryLine",
    "parse_delivery",
    "parse_delivery_element",
    "parse_despatch_advice",
    "parse_receipt_advice",
]

NS_DESPATCH_ADVICE = "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
NS_RECEIPT_ADVICE = "urn:oasis:names:specification:ubl:schema:xsd:ReceiptAdvice-2"

DeliveryKind = Literal["despatch_advice", "receipt_advice"]

_ROOTS: dict[str, tuple[DeliveryKind, str, str]] = {
    f"{{{NS_DESPATCH_ADVICE}}}DespatchAdvice": (
        "despatch_advice",
        "cac:DespatchLine",
        "cbc:DeliveredQuantity",
    ),
    f"{{{NS_RECEIPT_ADVICE}}}ReceiptAdvice": (
        "receipt_advice",
        "cac:ReceiptLine",
        "cbc:ReceivedQuantity",
    ),
}


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """One despatched or received line.

    `quantity` is the delivered (despatch advice) or received (receipt advice) quantity;
    `rejected_quantity` only appears on receipt advices. `accepted_quantity` is what the
    buyer keeps: received minus rejected.
    """

    line_id: str
    quantity: Decimal
    unit_code: str | None
    order_line_ref: str | None
    order_ref: str | None
    item_ids: tuple[str, ...] = ()
    outstanding_quantity: Decimal | None = None
    short_quantity: Decimal | None = None
    rejected_quantity: Decimal | None = None

    @property
    def accepted_quantity(self) -> Decimal:
        return self.quantity - (self.rejected_quantity or Decimal(0))

    @property
    def item_id(self) -> str | None:
        return self.item_ids[0] if self.item_ids else None


@dataclass(frozen=True, slots=True)
class DeliveryDocument:
    """A despatch advice or a receipt advice."""

    kind: DeliveryKind
    document_id: str
    issue_date: date
    order_ref: str | None
    supplier: Party
    customer: Party
    lines: tuple[DeliveryLine, ...]
    despatch_ref: str | None = None
    source: str = "<bytes>"


def _line(
    el: etree._Element, quantity_path: str, default_order_ref: str | None, source: str
) -> DeliveryLine:
    line_id = required_text(el, "cbc:ID", source, "line id")
    qty_el = el.find(q(quantity_path))
    quantity = read_decimal(qty_el, source)
    if quantity is None or qty_el is None:
        raise MissingElementError(
            f"line {line_id} has no {quantity_path}",
            source=source,
            line=el.sourceline,
            element=f"{element_path(el)}/{quantity_path}",
        )
    return DeliveryLine(
        line_id=line_id,
        quantity=quantity,
        unit_code=qty_el.get("unitCode"),
        order_line_ref=optional_text(el, "cac:OrderLineReference/cbc:LineID"),
        order_ref=optional_text(el, "cac:OrderLineReference/cac:OrderReference/cbc:ID")
        or default_order_ref,
        item_ids=item_ids(el.find(q("cac:Item"))),
        outstanding_quantity=read_decimal(el.find(q("cbc:OutstandingQuantity")), source),
        short_quantity=read_decimal(el.find(q("cbc:ShortQuantity")), source),
        rejected_quantity=read_decimal(el.find(q("cbc:RejectedQuantity")), source),
    )


def parse_delivery_element(root: etree._Element, source: str = "<bytes>") -> DeliveryDocument:
    """An already parsed DespatchAdvice or ReceiptAdvice root to a `DeliveryDocument`."""
    known = _ROOTS.get(root.tag)
    if known is None:
        raise UnknownDocumentTypeError(
            f"expected a UBL DespatchAdvice or ReceiptAdvice, found "
            f"{etree.QName(root).localname!r}",
            source=source,
            line=root.sourceline,
            element=element_path(root),
        )
    kind, line_path, quantity_path = known
    document_id = required_text(root, "cbc:ID", source, "document id")
    issue_date = read_date(root, "cbc:IssueDate", source, required=True)
    assert issue_date is not None
    order_ref = optional_text(root, "cac:OrderReference/cbc:ID")
    lines_el = root.findall(q(line_path))
    if not lines_el:
        raise MissingElementError(
            f"{kind.replace('_', ' ')} {document_id} has no lines",
            source=source,
            line=root.sourceline,
            element=f"{element_path(root)}/{line_path}",
        )
    return DeliveryDocument(
        kind=kind,
        document_id=document_id,
        issue_date=issue_date,
        order_ref=order_ref,
        supplier=parse_party(root.find(q("cac:DespatchSupplierParty/cac:Party"))),
        customer=parse_party(root.find(q("cac:DeliveryCustomerParty/cac:Party"))),
        lines=tuple(_line(el, quantity_path, order_ref, source) for el in lines_el),
        despatch_ref=optional_text(root, "cac:DespatchDocumentReference/cbc:ID"),
        source=source,
    )


def parse_delivery(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> DeliveryDocument:
    """Parse a UBL DespatchAdvice or ReceiptAdvice safely, or raise `DocumentError`."""
    return parse_delivery_element(parse_xml(data, source, max_bytes=max_bytes), source)


def _expect(doc: DeliveryDocument, kind: DeliveryKind) -> DeliveryDocument:
    if doc.kind != kind:
        raise UnknownDocumentTypeError(
            f"expected a {kind.replace('_', ' ')}, found a {doc.kind.replace('_', ' ')}",
            source=doc.source,
        )
    return doc


def parse_despatch_advice(data: bytes, source: str = "<bytes>") -> DeliveryDocument:
    """Parse a UBL DespatchAdvice; any other document is an error."""
    return _expect(parse_delivery(data, source), "despatch_advice")


def parse_receipt_advice(data: bytes, source: str = "<bytes>") -> DeliveryDocument:
    """Parse a UBL ReceiptAdvice; any other document is an error."""
    return _expect(parse_delivery(data, source), "receipt_advice")
