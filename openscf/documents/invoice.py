"""The normalised e-invoice: one shape for UBL and CII invoices and credit notes.

Money is always an integer count of minor units plus an ISO 4217 currency code. Quantities
and unit prices, which are not money totals, are `Decimal`. Nothing here is a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

InvoiceKind = Literal["invoice", "credit_note"]
InvoiceSyntax = Literal["ubl", "cii"]


@dataclass(frozen=True, slots=True)
class PartyId:
    """An identifier of a party (BT-29, BT-46, legal registration ids), with its scheme."""

    value: str
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7) of an invoice."""

    name: str
    ids: tuple[PartyId, ...] = ()
    vat_id: str | None = None
    country: str | None = None
    legal_id: PartyId | None = None
    endpoint_id: PartyId | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One invoice line (BG-25). `net_amount_minor` is BT-131 in minor units."""

    line_id: str
    description: str
    quantity: Decimal
    unit_code: str | None
    unit_price: Decimal
    net_amount_minor: int
    vat_category: str | None
    vat_rate: Decimal | None
    order_line_ref: str | None = None
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class NormalisedInvoice:
    """An invoice or credit note, whatever its syntax, with totals in minor units.

    Totals follow EN 16931 BG-22: `line_total_minor` is BT-106, `tax_exclusive_minor`
    BT-109, `tax_minor` BT-110 (VAT in the invoice currency), `tax_inclusive_minor` BT-112,
    `payable_minor` BT-115. Amounts are signed as written in the document.
    """

    kind: InvoiceKind
    syntax: InvoiceSyntax
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Party
    buyer: Party
    line_total_minor: int
    tax_exclusive_minor: int
    tax_minor: int
    tax_inclusive_minor: int
    payable_minor: int
    lines: tuple[InvoiceLine, ...]
    order_ref: str | None = None
    despatch_ref: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    type_code: str | None = None
    allowance_total_minor: int = 0
    charge_total_minor: int = 0
    prepaid_minor: int = 0
    rounding_minor: int = 0
    buyer_reference: str | None = None
    preceding_invoice_refs: tuple[str, ...] = ()
