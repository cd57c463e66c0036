"""UBL Order, DespatchAdvice and ReceiptAdvice parsing on the public examples."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from openscf.documents.despatch import (
    parse_delivery,
    parse_despatch_advice,
    parse_receipt_advice,
)
from openscf.documents.errors import DocumentError
from openscf.documents.order import parse_order

from ..conftest import conformance_file

REPO_ROOT = Path(__file__).resolve().parents[2]


def read(relative: str) -> bytes:
    return conformance_file(relative).read_bytes()


PEPPOL_ORDER = "einvoice/peppol-poacc3/Order_Example.xml"
PEPPOL_DESPATCH = "einvoice/peppol-poacc3/DespatchAdvice_Example.xml"
OASIS_ORDER = "einvoice/ubl-2.1/xml/UBL-Order-2.1-Example.xml"
OASIS_RECEIPT = "einvoice/ubl-2.1/xml/UBL-ReceiptAdvice-2.0-Example.xml"


def test_the_peppol_order_example_gives_its_id_parties_currency_and_lines():
    order = parse_order(read(PEPPOL_ORDER), "Order_Example.xml")
    assert order.order_id == "34"
    assert order.sales_order_id == "112233"
    assert order.currency == "NOK"
    assert order.issue_date.isoformat() == "2018-09-01"
    assert order.buyer.name == "Helseforetak AS"
    assert order.buyer.vat_id == "NO9311867455MVA"
    assert order.seller.name == "Medical AS"
    assert order.seller.legal_id is not None and order.seller.legal_id.value == "123456789"
    assert order.payable_minor == 636300
    first, second = order.lines
    assert (first.line_id, first.quantity, first.unit_code) == ("1", Decimal(120), "EA")
    assert first.unit_price == Decimal("50")
    assert first.item_id == "121212"
    assert first.item_ids == ("121212", "7560000012345", "123456")
    assert first.line_amount_minor == 630000
    assert (second.line_id, second.quantity, second.unit_price) == (
        "2",
        Decimal(15),
        Decimal(15),
    )
    assert order.line("2") is second and order.line("9") is None


def test_the_oasis_order_example_gives_its_lines_and_units():
    order = parse_order(read(OASIS_ORDER), "UBL-Order-2.1-Example.xml")
    assert (order.order_id, order.currency) == ("34", "SEK")
    assert [(x.line_id, x.quantity, x.unit_code, x.unit_price) for x in order.lines] == [
        ("1", Decimal(120), "LTR", Decimal(50)),
        ("2", Decimal(15), "C62", Decimal(15)),
    ]
    assert order.seller.name == "Moderna Produkter AB"
    assert order.payable_minor == 622500


def test_the_peppol_despatch_advice_refers_to_its_order_line_with_the_delivered_quantity():
    advice = parse_despatch_advice(read(PEPPOL_DESPATCH), "DespatchAdvice_Example.xml")
    assert advice.kind == "despatch_advice"
    assert (advice.document_id, advice.order_ref) == ("565899", "AEG012345")
    assert advice.supplier.name == "Consortial"
    assert advice.customer.name == "IYT Corporation"
    (line,) = advice.lines
    assert (line.line_id, line.order_line_ref, line.order_ref) == ("1", "1", "AEG012345")
    assert (line.quantity, line.unit_code) == (Decimal(10), "C62")
    assert line.outstanding_quantity == Decimal(2)
    assert line.item_id == "17589683"


def test_the_oasis_receipt_advice_gives_received_and_short_quantities():
    receipt = parse_receipt_advice(read(OASIS_RECEIPT), "UBL-ReceiptAdvice-2.0-Example.xml")
    assert receipt.kind == "receipt_advice"
    assert (receipt.document_id, receipt.order_ref, receipt.despatch_ref) == (
        "658398",
        "AEG012345",
        "565899",
    )
    (line,) = receipt.lines
    assert (line.quantity, line.short_quantity, line.unit_code) == (
        Decimal(90),
        Decimal(10),
        "KGM",
    )
    assert line.order_line_ref is None
    assert line.accepted_quantity == Decimal(90)


def test_an_order_is_not_accepted_where_a_delivery_is_expected():
    with pytest.raises(DocumentError) as caught:
        parse_delivery(read(PEPPOL_ORDER), "Order_Example.xml")
    assert caught.value.code == "unknown_document_type"
    assert caught.value.source == "Order_Example.xml"


def test_a_despatch_advice_is_not_accepted_as_a_receipt_advice():
    with pytest.raises(DocumentError) as caught:
        parse_receipt_advice(read(PEPPOL_DESPATCH), "DespatchAdvice_Example.xml")
    assert caught.value.code == "unknown_document_type"


ORDER_NS = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)


def small_order(line: str, header: str = "<cbc:ID>PO-1</cbc:ID>") -> bytes:
    return (
        f"<Order {ORDER_NS}>{header}<cbc:IssueDate>2025-01-02</cbc:IssueDate>"
        f"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"<cac:OrderLine><cac:LineItem>{line}</cac:LineItem></cac:OrderLine></Order>"
    ).encode()


def test_a_unit_price_for_a_base_quantity_is_turned_into_a_price_per_unit():
    order = parse_order(
        small_order(
            '<cbc:ID>1</cbc:ID><cbc:Quantity unitCode="EA">10</cbc:Quantity>'
            '<cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount>'
            '<cbc:BaseQuantity unitCode="EA">10</cbc:BaseQuantity></cac:Price>'
        )
    )
    assert order.lines[0].unit_price == Decimal("2.5")


def test_a_line_without_quantity_is_an_error_naming_line_and_element():
    with pytest.raises(DocumentError) as caught:
        parse_order(small_order("<cbc:ID>1</cbc:ID>"), "po.xml")
    assert caught.value.code == "missing_element"
    assert caught.value.source == "po.xml"
    assert caught.value.line == 1
    assert "Quantity" in (caught.value.element or "")


def test_an_order_without_an_id_is_an_error():
    with pytest.raises(DocumentError) as caught:
        parse_order(
            small_order("<cbc:ID>1</cbc:ID><cbc:Quantity>1</cbc:Quantity>", header=""), "po.xml"
        )
    assert caught.value.code == "missing_element"
    assert "order id" in caught.value.message


def test_a_quantity_that_is_not_a_decimal_is_an_error():
    with pytest.raises(DocumentError) as caught:
        parse_order(small_order("<cbc:ID>1</cbc:ID><cbc:Quantity>1e3</cbc:Quantity>"))
    assert caught.value.code == "invalid_decimal"


def test_an_order_with_a_doctype_is_refused_before_parsing():
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + small_order(
        "<cbc:ID>&e;</cbc:ID><cbc:Quantity>1</cbc:Quantity>"
    )
    with pytest.raises(DocumentError) as caught:
        parse_order(evil, "evil.xml")
    assert caught.value.code == "unsafe_xml"


def test_an_order_larger_than_the_limit_is_refused():
    with pytest.raises(DocumentError) as caught:
        parse_order(small_order("<cbc:ID>1</cbc:ID><cbc:Quantity>1</cbc:Quantity>"), max_bytes=100)
    assert caught.value.code == "document_too_large"
