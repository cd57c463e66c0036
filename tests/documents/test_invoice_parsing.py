"""parse_invoice: UBL and CII invoices and credit notes become one NormalisedInvoice."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from openscf.documents.errors import (
    AmountPrecisionError,
    DocumentError,
    InvalidValueError,
    MissingElementError,
    UnknownDocumentTypeError,
)
from openscf.documents.invoice import NormalisedInvoice
from openscf.documents.parse import parse_invoice

UBL_HEAD = (
    '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
    ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
)


def tiny_ubl(currency: str = "EUR", payable: str = "100.00", line: str = "100.00") -> bytes:
    return (
        f"{UBL_HEAD}<cbc:ID>INV-1</cbc:ID><cbc:IssueDate>2024-03-01</cbc:IssueDate>"
        f"<cbc:DueDate>2024-04-01</cbc:DueDate>"
        f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>"
        f"<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>"
        f"<cbc:RegistrationName>Seller</cbc:RegistrationName></cac:PartyLegalEntity>"
        f"</cac:Party></cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>"
        f"<cbc:RegistrationName>Buyer</cbc:RegistrationName></cac:PartyLegalEntity>"
        f"</cac:Party></cac:AccountingCustomerParty>"
        f'<cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">0</cbc:TaxAmount></cac:TaxTotal>'
        f"<cac:LegalMonetaryTotal>"
        f'<cbc:LineExtensionAmount currencyID="{currency}">{line}</cbc:LineExtensionAmount>'
        f'<cbc:TaxExclusiveAmount currencyID="{currency}">{line}</cbc:TaxExclusiveAmount>'
        f'<cbc:TaxInclusiveAmount currencyID="{currency}">{payable}</cbc:TaxInclusiveAmount>'
        f'<cbc:PayableAmount currencyID="{currency}">{payable}</cbc:PayableAmount>'
        f"</cac:LegalMonetaryTotal>"
        f'<cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">2.5'
        f"</cbc:InvoicedQuantity>"
        f'<cbc:LineExtensionAmount currencyID="{currency}">{line}</cbc:LineExtensionAmount>'
        f"<cac:Item><cbc:Name>Widget</cbc:Name></cac:Item>"
        f'<cac:Price><cbc:PriceAmount currencyID="{currency}">40.1234</cbc:PriceAmount></cac:Price>'
        f"</cac:InvoiceLine></Invoice>"
    ).encode()


def test_every_corpus_invoice_parses_into_a_normalised_invoice(einvoice: Path) -> None:
    paths = [
        *sorted(einvoice.glob("en16931/ubl/examples/*.[xX][mM][lL]")),
        *sorted(einvoice.glob("en16931/cii/examples/*.xml")),
        *sorted(einvoice.glob("peppol-bis3/examples/*.xml")),
        einvoice / "ubl-2.1/xml/UBL-Invoice-2.1-Example.xml",
    ]
    assert len(paths) >= 24
    for p in paths:
        inv = parse_invoice(p.read_bytes(), str(p))
        assert isinstance(inv, NormalisedInvoice)
        assert inv.lines
        assert isinstance(inv.payable_minor, int)
        assert inv.line_total_minor == sum(line.net_amount_minor for line in inv.lines), p.name


def test_a_ubl_invoice_reads_totals_in_minor_units(einvoice: Path) -> None:
    inv = parse_invoice((einvoice / "peppol-bis3/examples/base-example.xml").read_bytes())
    assert (inv.kind, inv.syntax, inv.currency) == ("invoice", "ubl", "EUR")
    assert inv.number == "Snippet1"
    assert inv.issue_date == date(2017, 11, 13)
    assert inv.due_date == date(2017, 12, 1)
    assert inv.payable_minor == 165625
    assert inv.tax_minor == 33125
    assert inv.tax_inclusive_minor == inv.tax_exclusive_minor + inv.tax_minor
    assert inv.seller.vat_id == "GB1232434"
    assert inv.buyer.country == "SE"
    assert inv.lines[0].vat_category == "S"
    assert inv.lines[0].vat_rate == Decimal(25)


def test_a_ubl_credit_note_is_a_credit_note(einvoice: Path) -> None:
    inv = parse_invoice((einvoice / "en16931/ubl/examples/ubl-tc434-creditnote1.xml").read_bytes())
    assert inv.kind == "credit_note"
    assert inv.payable_minor == 10011


def test_a_cii_invoice_reads_dates_parties_and_bank_account(einvoice: Path) -> None:
    inv = parse_invoice((einvoice / "en16931/cii/examples/CII_example1.xml").read_bytes())
    assert (inv.kind, inv.syntax, inv.currency) == ("invoice", "cii", "EUR")
    assert inv.payable_minor == 25033
    assert inv.tax_minor == 2073
    assert inv.payment_iban == "NL57RABO0107307510"
    assert inv.seller.name == "De Koksmaat"
    assert len(inv.lines) == 20


def test_the_same_invoice_in_ubl_and_cii_normalises_to_the_same_totals(einvoice: Path) -> None:
    ubl = parse_invoice((einvoice / "en16931/ubl/examples/ubl-tc434-example1.xml").read_bytes())
    cii = parse_invoice((einvoice / "en16931/cii/examples/CII_example1.xml").read_bytes())
    for field in ("number", "currency", "payable_minor", "tax_minor", "line_total_minor"):
        assert getattr(ubl, field) == getattr(cii, field), field
    assert [ln.net_amount_minor for ln in ubl.lines] == [ln.net_amount_minor for ln in cii.lines]


def test_normalised_invoices_are_immutable() -> None:
    inv = parse_invoice(tiny_ubl())
    with pytest.raises(FrozenInstanceError):
        inv.payable_minor = 1  # type: ignore[misc]


def test_quantities_and_prices_stay_exact_decimals() -> None:
    line = parse_invoice(tiny_ubl()).lines[0]
    assert line.quantity == Decimal("2.5")
    assert line.unit_price == Decimal("40.1234")
    assert line.unit_code == "C62"


@pytest.mark.parametrize(
    ("currency", "amount", "minor"),
    [("EUR", "100.00", 10000), ("JPY", "1500", 1500), ("KWD", "1.234", 1234), ("EUR", "-0.5", -50)],
)
def test_amounts_convert_to_minor_units_by_the_currency_exponent(
    currency: str, amount: str, minor: int
) -> None:
    assert parse_invoice(tiny_ubl(currency, amount, amount)).payable_minor == minor


def test_an_amount_with_more_decimals_than_the_currency_allows_is_refused() -> None:
    with pytest.raises(AmountPrecisionError) as err:
        parse_invoice(tiny_ubl("JPY", "100.5", "100.5"), "jpy.xml")
    assert err.value.code == "amount_precision"
    assert "JPY" in err.value.message
    assert err.value.source == "jpy.xml" and err.value.line is not None


def test_trailing_zeros_beyond_the_minor_unit_are_exact_and_accepted() -> None:
    assert parse_invoice(tiny_ubl("EUR", "12.300", "12.300")).payable_minor == 1230


@pytest.mark.parametrize("text", ["1e3", "NaN", "Infinity", "1,5"])
def test_numbers_in_exponent_notation_or_nan_are_refused(text: str) -> None:
    with pytest.raises(InvalidValueError) as err:
        parse_invoice(tiny_ubl("EUR", text, "100.00"), "odd.xml")
    assert err.value.code == "invalid_value"
    assert err.value.source == "odd.xml" and err.value.line is not None


def test_an_invoice_in_an_unknown_currency_is_refused_not_read_as_two_decimals() -> None:
    with pytest.raises(InvalidValueError) as err:
        parse_invoice(tiny_ubl("XYZ", "100.00", "100.00"), "xyz.xml")
    assert err.value.code == "invalid_currency"
    assert "'XYZ'" in err.value.message and err.value.source == "xyz.xml"


def test_an_invoice_without_currency_is_refused_with_a_clear_error() -> None:
    data = tiny_ubl().replace(b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", b"")
    with pytest.raises(MissingElementError) as err:
        parse_invoice(data)
    assert err.value.code == "missing_element"
    assert "currency" in err.value.message


def test_a_bad_issue_date_is_refused_with_its_location() -> None:
    data = tiny_ubl().replace(b"2024-03-01", b"01/03/2024")
    with pytest.raises(InvalidValueError) as err:
        parse_invoice(data, "bad.xml")
    assert "IssueDate" in (err.value.element or "")


@pytest.mark.parametrize(
    "doc",
    [
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b'<Invoice xmlns="urn:example:not-ubl"/>',
        b"<Invoice/>",
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>',
        b'<CrossIndustryInvoice xmlns="urn:un:unece:uncefact:data:standard:'
        b'CrossIndustryInvoice:99"/>',
    ],
)
def test_wrong_roots_and_unknown_namespaces_are_refused(doc: bytes) -> None:
    with pytest.raises(UnknownDocumentTypeError) as err:
        parse_invoice(doc)
    assert err.value.code == "unknown_document_type"
    assert isinstance(err.value, DocumentError)


def test_an_order_from_the_corpus_is_not_an_invoice(einvoice: Path) -> None:
    with pytest.raises(UnknownDocumentTypeError):
        parse_invoice((einvoice / "peppol-poacc3/Order_Example.xml").read_bytes())
