"""The EN 16931 semantic model: an invoice as business terms, independent of its syntax.

The business terms (BT-n) and business groups (BG-n) of EN 16931-1 that the rules read,
each with the element it was read from, so that a finding can say where in the document
it is. Amounts keep the text as written beside their `Decimal` value, because some rules
are about how a number was written (its decimals), not only its value. The syntax
bindings fill a `Model`; the checks read it.

May import: the standard library, lxml (for the element type) and `openscf.domain.money`
(decimal parsing). Not the bindings or the checks: they import this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

from lxml import etree

from openscf.domain.errors import InvalidRequest
from openscf.domain.money import parse_decimal

__all__ = [
    "ABSENT",
    "AllowanceCharge",
    "Amt",
    "El",
    "Line",
    "Model",
    "PartyTerms",
    "PaymentMeans",
    "TaxTotal",
    "VatBreakdown",
    "amount_of",
    "element_text",
    "to_decimal",
]

El: TypeAlias = etree._Element


@dataclass(frozen=True, slots=True)
class Amt:
    """An amount as written (`text`), its value (None when absent or unreadable) and where."""

    text: str | None = None
    value: Decimal | None = None
    el: El | None = None

    @property
    def present(self) -> bool:
        return self.text is not None


ABSENT = Amt()


def amount_of(el: El | None) -> Amt:
    if el is None:
        return ABSENT
    text = element_text(el)
    if text is None:
        return Amt(None, None, el)
    try:
        value: Decimal | None = parse_decimal(text)
    except InvalidRequest:
        value = None
    return Amt(text, value, el)


def to_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return parse_decimal(text)
    except InvalidRequest:
        return None


@dataclass(slots=True)
class PartyTerms:
    el: El | None = None
    name: str | None = None  # BT-27 / BT-44 / BT-59 / BT-62
    other_names: tuple[str, ...] = ()  # UBL PartyName/Name (trading name)
    ids: tuple[str, ...] = ()  # BT-29 / BT-46 / BT-60
    legal_id: str | None = None  # BT-30 / BT-47 / BT-61
    vat_ids: tuple[str, ...] = ()  # BT-31 / BT-48 / BT-63
    tax_ids: tuple[str, ...] = ()  # BT-31 + BT-32: any tax registration
    vat_id_els: tuple[El, ...] = ()
    postal: El | None = None
    country: str | None = None
    endpoint: El | None = None
    endpoint_scheme: str | None = None


@dataclass(slots=True)
class AllowanceCharge:
    el: El
    is_charge: bool
    amount: Amt
    base: Amt
    reason: str | None
    reason_code: str | None
    category: str | None
    rate: Decimal | None
    rate_text: str | None
    # The category code and rate whatever the tax scheme says: the official rules sum
    # amounts into a breakdown by code alone.
    code_any_scheme: str | None = None
    rate_any_scheme: Decimal | None = None


@dataclass(slots=True)
class VatBreakdown:
    el: El
    taxable: Amt
    tax: Amt
    category: str | None
    rate: Decimal | None
    rate_text: str | None
    exemption_reason: str | None
    exemption_code: str | None
    tax_point_date: str | None = None
    due_date_code: str | None = None


@dataclass(slots=True)
class Line:
    el: El
    line_id: str | None
    has_quantity: bool
    has_unit: bool
    net: Amt
    item_name: str | None
    net_price: Amt
    gross_price: Amt
    category: str | None
    rate: Decimal | None
    rate_text: str | None
    period: El | None
    period_start: str | None
    period_end: str | None
    allowances: list[AllowanceCharge]
    std_ids: list[El]  # BT-157
    std_id_schemes: list[str | None]
    classifications: list[tuple[El, bool]]  # (element, has list id)  BT-158
    attributes: list[tuple[El, bool, bool]]  # (element, has name, has value)  BG-32
    code_any_scheme: str | None = None
    rate_any_scheme: Decimal | None = None


@dataclass(slots=True)
class PaymentMeans:
    el: El
    type_code: str | None
    accounts: list[tuple[El, str | None]]
    card_pans: list[tuple[El, str]]


@dataclass(slots=True)
class TaxTotal:
    amount: Amt
    currency: str | None
    subtotal_taxes: list[Amt] | None  # the breakdown amounts it must equal the sum of


@dataclass(slots=True)
class Model:
    """An invoice as EN 16931 business terms, independent of syntax."""

    syntax: Literal["ubl", "cii"]
    root: El
    is_credit_note: bool = False
    bt24: str | None = None
    bt1: str | None = None
    bt2: str | None = None
    bt3: str | None = None
    bt5: str | None = None
    bt6: str | None = None
    bt9: str | None = None
    bt20: bool = False
    seller: PartyTerms = field(default_factory=PartyTerms)
    buyer: PartyTerms = field(default_factory=PartyTerms)
    payee: PartyTerms | None = None
    tax_rep: PartyTerms | None = None
    deliver_to: list[tuple[El, str | None]] = field(default_factory=list)
    period: El | None = None
    period_start: str | None = None
    period_end: str | None = None
    period_code: str | None = None
    tax_point_date: str | None = None
    totals: El | None = None
    bt106: Amt = ABSENT
    bt107: Amt = ABSENT
    bt108: Amt = ABSENT
    bt109: Amt = ABSENT
    bt112: Amt = ABSENT
    bt113: Amt = ABSENT
    bt114: Amt = ABSENT
    bt115: Amt = ABSENT
    tax_totals: list[TaxTotal] = field(default_factory=list)
    doc_acs: list[AllowanceCharge] = field(default_factory=list)
    breakdowns: list[VatBreakdown] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    payment_means: list[PaymentMeans] = field(default_factory=list)
    card_count: int = 0
    mandate_count: int = 0
    additional_docs: list[tuple[El, str | None]] = field(default_factory=list)
    preceding: list[tuple[El, str | None]] = field(default_factory=list)
    actual_delivery_date: str | None = None  # BT-72
    period_has_terms: bool = False  # BG-14 holds at least one term
    deliver_to_country: str | None = None  # BT-80
    # Coded values for the code-list rules: (rule id, value, element). A value of None
    # means the code is absent where the rule's context requires one.
    codes: list[tuple[str, str | None, El]] = field(default_factory=list)
    # Breaches of the syntax binding's own rules (UBL-SR-*, UBL-DT-*, CII-SR-*), found by
    # the binding because they are about the syntax, not the semantic model.
    syntax_breaches: list[tuple[str, El]] = field(default_factory=list)


def element_text(el: El | None) -> str | None:
    if el is None:
        return None
    text = el.text
    if text is None:
        return None
    text = text.strip()
    return text or None
