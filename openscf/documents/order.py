"""UBL 2.1 Order (and Peppol BIS 3 Order) to a frozen `Order`.

Only what the three-way match and the risk features need is read: order id, dates,
currency, buyer and seller, and per line the line id, item ids, quantity, unit and unit
price. Parsing goes through the safe XML parser (no DTD, no entities, no network, size
limit); every problem raises a `DocumentError` naming source, line and element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from openscf.documents.errors import (
    DocumentError,
    InvalidValueError,
    MissingElementError,
    UnknownDocumentTypeError,
    from_money_error,
)
from openscf.documents.invoice import Party
from openscf.documents.ubl import parse_party
from openscf.documents.xml import DEFAULT_MAX_BYTES, element_path, parse_xml, text_of
from openscf.domain.errors import InvalidRequest
from openscf.domain.money import parse_document_amount

__all__ = [
    "NS_CAC",
    "NS_CBC",
    "NS_ORDER",
    "Order",
    "OrderLine",
    "parse_order",
    "parse_order_element",
    "parse_party",
]

NS_ORDER = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def q(path: str) -> str:
    """Clark-notation path from `cac:`/`cbc:` prefixed names: q("cac:Party/cbc:Name")."""
    out = []
    for step in path.split("/"):
        prefix, local = step.split(":")
        out.append(f"{{{NS_CAC if prefix == 'cac' else NS_CBC}}}{local}")
    return "/".join(out)


def located(exc: DocumentError, source: str, el: etree._Element | None) -> DocumentError:
    """Fill in where an error happened, keeping what the raiser already knew."""
    exc.source = exc.source or source
    if el is not None:
        exc.line = exc.line or el.sourceline
        exc.element = element_path(el)
    return exc


def required_text(parent: etree._Element, path: str, source: str, what: str) -> str:
    el = parent.find(q(path))
    value = text_of(el)
    if value is None:
        raise MissingElementError(
            f"{what} ({path}) is missing",
            source=source,
            line=parent.sourceline,
            element=f"{element_path(parent)}/{path}",
        )
    return value


def optional_text(parent: etree._Element, path: str) -> str | None:
    return text_of(parent.find(q(path)))


def read_date(parent: etree._Element, path: str, source: str, *, required: bool) -> date | None:
    el = parent.find(q(path))
    value = text_of(el)
    if value is None:
        if required:
            raise MissingElementError(
                f"{path} is missing",
                source=source,
                line=parent.sourceline,
                element=f"{element_path(parent)}/{path}",
            )
        return None
    try:
        return date.fromisoformat(value[:10]) if len(value) >= 10 else date.fromisoformat(value)
    except ValueError:
        raise located(
            InvalidValueError(f"{value!r} is not a date (YYYY-MM-DD)", code="invalid_date"),
            source,
            el,
        ) from None


def read_decimal(el: etree._Element | None, source: str) -> Decimal | None:
    """An xs:decimal element as `Decimal` (no exponents, NaN or infinity), or None."""
    value = text_of(el)
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value):
        raise located(
            InvalidValueError(f"{value!r} is not a decimal number", code="invalid_decimal"),
            source,
            el,
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern guards this
        raise located(InvalidValueError(f"{value!r} is not a decimal number"), source, el) from None


def item_ids(item: etree._Element | None) -> tuple[str, ...]:
    """Item identifiers, most specific first: seller's, standard (GTIN), buyer's."""
    if item is None:
        return ()
    out: list[str] = []
    for path in (
        "cac:SellersItemIdentification/cbc:ID",
        "cac:StandardItemIdentification/cbc:ID",
        "cac:BuyersItemIdentification/cbc:ID",
    ):
        value = optional_text(item, path)
        if value and value not in out:
            out.append(value)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One ordered item. `unit_price` is per one unit (PriceAmount / BaseQuantity)."""

    line_id: str
    quantity: Decimal
    unit_code: str | None
    unit_price: Decimal | None
    item_ids: tuple[str, ...] = ()
    description: str | None = None
    line_amount_minor: int | None = None

    @property
    def item_id(self) -> str | None:
        return self.item_ids[0] if self.item_ids else None


@dataclass(frozen=True, slots=True)
class Order:
    """A purchase order from a buyer to a seller."""

    order_id: str
    issue_date: date
    currency: str | None
    buyer: Party
    seller: Party
    lines: tuple[OrderLine, ...]
    sales_order_id: str | None = None
    customization_id: str | None = None
    payable_minor: int | None = None
    source: str = "<bytes>"

    def line(self, line_id: str) -> OrderLine | None:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        return None


def _amount(el: etree._Element | None, currency: str | None, source: str) -> int | None:
    value = text_of(el)
    if value is None or el is None:
        return None
    ccy = el.get("currencyID") or currency
    if ccy is None:
        raise located(
            MissingElementError("an amount has no currency", code="missing_currency"), source, el
        )
    try:
        return parse_document_amount(value, ccy)
    except InvalidRequest as exc:
        raise located(from_money_error(exc), source, el) from None


def _order_line(el: etree._Element, currency: str | None, source: str) -> OrderLine:
    item = el.find(q("cac:LineItem"))
    if item is None:
        raise MissingElementError(
            "an order line has no LineItem",
            source=source,
            line=el.sourceline,
            element=element_path(el),
        )
    line_id = required_text(item, "cbc:ID", source, "order line id")
    qty_el = item.find(q("cbc:Quantity"))
    quantity = read_decimal(qty_el, source)
    if quantity is None or qty_el is None:
        raise MissingElementError(
            f"order line {line_id} has no quantity",
            source=source,
            line=item.sourceline,
            element=f"{element_path(item)}/cbc:Quantity",
        )
    price_el = item.find(q("cac:Price/cbc:PriceAmount"))
    price = read_decimal(price_el, source)
    base = read_decimal(item.find(q("cac:Price/cbc:BaseQuantity")), source)
    if price is not None and base is not None and base != 0 and base != 1:
        price = price / base
    item_el = item.find(q("cac:Item"))
    description = None
    if item_el is not None:
        description = optional_text(item_el, "cbc:Name") or optional_text(
            item_el, "cbc:Description"
        )
    return OrderLine(
        line_id=line_id,
        quantity=quantity,
        unit_code=qty_el.get("unitCode"),
        unit_price=price,
        item_ids=item_ids(item_el),
        description=description,
        line_amount_minor=_amount(item.find(q("cbc:LineExtensionAmount")), currency, source),
    )


def parse_order_element(root: etree._Element, source: str = "<bytes>") -> Order:
    """An already parsed UBL Order root element to an `Order`."""
    if root.tag != f"{{{NS_ORDER}}}Order":
        raise UnknownDocumentTypeError(
            f"expected a UBL Order, found {etree.QName(root).localname!r} in "
            f"{etree.QName(root).namespace or 'no namespace'}",
            source=source,
            line=root.sourceline,
            element=element_path(root),
        )
    order_id = required_text(root, "cbc:ID", source, "order id")
    issue_date = read_date(root, "cbc:IssueDate", source, required=True)
    assert issue_date is not None
    currency = optional_text(root, "cbc:DocumentCurrencyCode")
    lines_el = root.findall(q("cac:OrderLine"))
    if not lines_el:
        raise MissingElementError(
            f"order {order_id} has no order lines",
            source=source,
            line=root.sourceline,
            element=f"{element_path(root)}/cac:OrderLine",
        )
    lines = tuple(_order_line(el, currency, source) for el in lines_el)
    seen: set[str] = set()
    for line, el in zip(lines, lines_el, strict=True):
        if line.line_id in seen:
            raise InvalidValueError(
                f"order line id {line.line_id!r} is used twice",
                code="duplicate_line_id",
                source=source,
                line=el.sourceline,
                element=element_path(el),
            )
        seen.add(line.line_id)
    return Order(
        order_id=order_id,
        issue_date=issue_date,
        currency=currency,
        buyer=parse_party(root.find(q("cac:BuyerCustomerParty/cac:Party"))),
        seller=parse_party(root.find(q("cac:SellerSupplierParty/cac:Party"))),
        lines=lines,
        sales_order_id=optional_text(root, "cbc:SalesOrderID"),
        customization_id=optional_text(root, "cbc:CustomizationID"),
        payable_minor=_amount(
            root.find(q("cac:AnticipatedMonetaryTotal/cbc:PayableAmount")), currency, source
        ),
        source=source,
    )


def parse_order(
    data: bytes, source: str = "<bytes>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Order:
    """Parse UBL 2.1 Order bytes safely into an `Order`, or raise `DocumentError`."""
    return parse_order_element(parse_xml(data, source, max_bytes=max_bytes), source)
