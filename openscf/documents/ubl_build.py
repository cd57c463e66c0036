"""Write UBL 2.1 trade documents that refer to each other: Order, DespatchAdvice, Invoice.

The public examples do not refer to each other, so a three-way match (and the demo) needs
documents built here, in the Peppol BIS 3 shapes: an Order (poacc), a DespatchAdvice
that delivers its lines, and an EN 16931 / Peppol BIS Billing 3.0 Invoice that bills
them, with standard-rated VAT, exact totals and the seller's bank account. Each output is
valid against the UBL 2.1 XSD, and the invoice passes the EN 16931 rules.

Money is minor units in and out; unit prices and quantities are `Decimal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from openscf.domain.money import exponent, format_minor

__all__ = [
    "Delivered",
    "TradeLine",
    "TradeParty",
    "build_despatch_advice",
    "build_invoice",
    "build_order",
    "line_net_minor",
]

NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_ORDER = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
NS_DESPATCH = "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2"
BILLING_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
BILLING_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
ORDER_CUSTOMIZATION = "urn:fdc:peppol.eu:poacc:trns:order:3"
ORDER_PROFILE = "urn:fdc:peppol.eu:poacc:bis:order_only:3"
DESPATCH_CUSTOMIZATION = "urn:fdc:peppol.eu:poacc:trns:despatch_advice:3"
DESPATCH_PROFILE = "urn:fdc:peppol.eu:poacc:bis:despatch_advice:3"
LEI_SCHEME = "0199"


@dataclass(frozen=True, slots=True)
class TradeParty:
    """A seller or buyer as the documents name it. With an LEI, it is the party's
    endpoint and legal id (scheme 0199), which is how the platform recognises it."""

    name: str
    country: str
    lei: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    street: str = "Hauptstrasse 1"
    city: str = "Berlin"
    postal_zone: str = "10115"


@dataclass(frozen=True, slots=True)
class TradeLine:
    """An ordered or invoiced line. `unit_price` is in major units (e.g. 12.50 EUR)."""

    line_id: str
    item_id: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit_code: str = "EA"
    vat_rate: Decimal = Decimal("19")
    order_line_id: str | None = None  # on an invoice: the order line it bills


@dataclass(frozen=True, slots=True)
class Delivered:
    """A despatched quantity of an order line."""

    line_id: str
    order_line_id: str
    item_id: str
    description: str
    quantity: Decimal
    unit_code: str = "EA"


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _cbc(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(NS_CBC, tag), attrs)
    if text is not None:
        el.text = text
    return el


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, _q(NS_CAC, tag))


def _root(ns: str, tag: str) -> etree._Element:
    return etree.Element(_q(ns, tag), nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC})


def _to_minor(value: Decimal, currency: str) -> int:
    return int((value * (Decimal(10) ** exponent(currency))).quantize(Decimal(1), ROUND_HALF_UP))


def line_net_minor(line: TradeLine, currency: str) -> int:
    """Quantity times unit price, in minor units (rounded half up)."""
    return _to_minor(line.quantity * line.unit_price, currency)


def _amount(parent: etree._Element, tag: str, minor: int, currency: str) -> None:
    _cbc(parent, tag, format_minor(minor, currency), currencyID=currency)


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def _party(
    parent: etree._Element, party: TradeParty, *, tax: bool, legal: bool, endpoint: bool
) -> None:
    el = _cac(parent, "Party")
    if endpoint and party.lei:
        _cbc(el, "EndpointID", party.lei, schemeID=LEI_SCHEME)
    if party.lei:
        _cbc(_cac(el, "PartyIdentification"), "ID", party.lei, schemeID=LEI_SCHEME)
    _cbc(_cac(el, "PartyName"), "Name", party.name)
    address = _cac(el, "PostalAddress")
    _cbc(address, "StreetName", party.street)
    _cbc(address, "CityName", party.city)
    _cbc(address, "PostalZone", party.postal_zone)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.country)
    if tax and party.vat_id:
        scheme = _cac(el, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    if legal:
        entity = _cac(el, "PartyLegalEntity")
        _cbc(entity, "RegistrationName", party.name)
        if party.lei:
            _cbc(entity, "CompanyID", party.lei, schemeID=LEI_SCHEME)


def _tax_category(parent: etree._Element, tag: str, rate: Decimal) -> None:
    category = _cac(parent, tag)
    _cbc(category, "ID", "S")
    _cbc(category, "Percent", _decimal(rate))
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _xml(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build_order(
    order_id: str,
    issue_date: date,
    buyer: TradeParty,
    seller: TradeParty,
    lines: Sequence[TradeLine],
    currency: str = "EUR",
) -> bytes:
    """A Peppol BIS 3 Order (UBL 2.1) from the buyer to the seller."""
    root = _root(NS_ORDER, "Order")
    _cbc(root, "CustomizationID", ORDER_CUSTOMIZATION)
    _cbc(root, "ProfileID", ORDER_PROFILE)
    _cbc(root, "ID", order_id)
    _cbc(root, "IssueDate", issue_date.isoformat())
    _cbc(root, "DocumentCurrencyCode", currency)
    _party(_cac(root, "BuyerCustomerParty"), buyer, tax=False, legal=True, endpoint=True)
    _party(_cac(root, "SellerSupplierParty"), seller, tax=False, legal=True, endpoint=True)
    total = sum(line_net_minor(line, currency) for line in lines)
    monetary = _cac(root, "AnticipatedMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", total, currency)
    _amount(monetary, "PayableAmount", total, currency)
    for line in lines:
        item = _cac(_cac(root, "OrderLine"), "LineItem")
        _cbc(item, "ID", line.line_id)
        _cbc(item, "Quantity", _decimal(line.quantity), unitCode=line.unit_code)
        _amount(item, "LineExtensionAmount", line_net_minor(line, currency), currency)
        _cbc(_cac(item, "Price"), "PriceAmount", _decimal(line.unit_price), currencyID=currency)
        described = _cac(item, "Item")
        _cbc(described, "Name", line.description)
        _cbc(_cac(described, "SellersItemIdentification"), "ID", line.item_id)
        _tax_category(described, "ClassifiedTaxCategory", line.vat_rate)
    return _xml(root)


def build_despatch_advice(
    despatch_id: str,
    issue_date: date,
    order_id: str,
    seller: TradeParty,
    buyer: TradeParty,
    lines: Sequence[Delivered],
) -> bytes:
    """A Peppol BIS 3 DespatchAdvice: what the seller sent against the order."""
    root = _root(NS_DESPATCH, "DespatchAdvice")
    _cbc(root, "CustomizationID", DESPATCH_CUSTOMIZATION)
    _cbc(root, "ProfileID", DESPATCH_PROFILE)
    _cbc(root, "ID", despatch_id)
    _cbc(root, "IssueDate", issue_date.isoformat())
    _cbc(_cac(root, "OrderReference"), "ID", order_id)
    _party(_cac(root, "DespatchSupplierParty"), seller, tax=False, legal=True, endpoint=True)
    _party(_cac(root, "DeliveryCustomerParty"), buyer, tax=False, legal=True, endpoint=True)
    for line in lines:
        el = _cac(root, "DespatchLine")
        _cbc(el, "ID", line.line_id)
        _cbc(el, "DeliveredQuantity", _decimal(line.quantity), unitCode=line.unit_code)
        _cbc(_cac(el, "OrderLineReference"), "LineID", line.order_line_id)
        item = _cac(el, "Item")
        _cbc(item, "Name", line.description)
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.item_id)
    return _xml(root)


def build_invoice(
    number: str,
    issue_date: date,
    due_date: date,
    seller: TradeParty,
    buyer: TradeParty,
    lines: Sequence[TradeLine],
    currency: str = "EUR",
    *,
    order_id: str | None = None,
    despatch_id: str | None = None,
) -> bytes:
    """A Peppol BIS Billing 3.0 Invoice (UBL 2.1, EN 16931), standard-rated VAT.

    Line nets are quantity x price; VAT per rate is rounded half up on the rate's taxable
    amount (BR-CO-17); the payable amount is the total with VAT. Paid by credit transfer
    to the seller's IBAN (and BIC) when it has one.
    """
    root = _root(NS_INVOICE, "Invoice")
    _cbc(root, "CustomizationID", BILLING_CUSTOMIZATION)
    _cbc(root, "ProfileID", BILLING_PROFILE)
    _cbc(root, "ID", number)
    _cbc(root, "IssueDate", issue_date.isoformat())
    _cbc(root, "DueDate", due_date.isoformat())
    _cbc(root, "InvoiceTypeCode", "380")
    _cbc(root, "DocumentCurrencyCode", currency)
    _cbc(root, "BuyerReference", order_id or number)
    if order_id is not None:
        _cbc(_cac(root, "OrderReference"), "ID", order_id)
    if despatch_id is not None:
        _cbc(_cac(root, "DespatchDocumentReference"), "ID", despatch_id)
    _party(_cac(root, "AccountingSupplierParty"), seller, tax=True, legal=True, endpoint=True)
    _party(_cac(root, "AccountingCustomerParty"), buyer, tax=True, legal=True, endpoint=True)
    if seller.iban:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "30")
        _cbc(means, "PaymentID", number)
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", seller.iban)
        _cbc(account, "Name", seller.name)
        if seller.bic:
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", seller.bic)
    nets = [line_net_minor(line, currency) for line in lines]
    by_rate: dict[Decimal, int] = {}
    for line, net in zip(lines, nets, strict=True):
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, 0) + net
    taxes = {
        rate: _to_minor(
            Decimal(taxable) * rate / Decimal(100) / (Decimal(10) ** exponent(currency)), currency
        )
        for rate, taxable in by_rate.items()
    }
    total_tax = sum(taxes.values())
    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", total_tax, currency)
    for rate in sorted(by_rate):
        subtotal = _cac(tax_total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", by_rate[rate], currency)
        _amount(subtotal, "TaxAmount", taxes[rate], currency)
        _tax_category(subtotal, "TaxCategory", rate)
    net_total = sum(nets)
    monetary = _cac(root, "LegalMonetaryTotal")
    _amount(monetary, "LineExtensionAmount", net_total, currency)
    _amount(monetary, "TaxExclusiveAmount", net_total, currency)
    _amount(monetary, "TaxInclusiveAmount", net_total + total_tax, currency)
    _amount(monetary, "PayableAmount", net_total + total_tax, currency)
    for line, net in zip(lines, nets, strict=True):
        el = _cac(root, "InvoiceLine")
        _cbc(el, "ID", line.line_id)
        _cbc(el, "InvoicedQuantity", _decimal(line.quantity), unitCode=line.unit_code)
        _amount(el, "LineExtensionAmount", net, currency)
        if line.order_line_id is not None:
            _cbc(_cac(el, "OrderLineReference"), "LineID", line.order_line_id)
        item = _cac(el, "Item")
        _cbc(item, "Name", line.description)
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.item_id)
        _tax_category(item, "ClassifiedTaxCategory", line.vat_rate)
        _cbc(_cac(el, "Price"), "PriceAmount", _decimal(line.unit_price), currencyID=currency)
    return _xml(root)
