"""The UBL documents the platform writes are valid UBL 2.1 and refer to each other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from openscf.documents.despatch import parse_delivery
from openscf.documents.matching import MatchTolerance, three_way_match
from openscf.documents.order import parse_order
from openscf.documents.parse import parse_invoice
from openscf.documents.ubl_build import (
    Delivered,
    TradeLine,
    TradeParty,
    build_despatch_advice,
    build_invoice,
    build_order,
)
from openscf.documents.validation import validate_invoice

SELLER = TradeParty(
    "Seller GmbH",
    "DE",
    lei="529900T8BM49AURSDO55",
    vat_id="DE123456789",
    iban="DE89370400440532013000",
    bic="COBADEFFXXX",
)
BUYER = TradeParty("Buyer AG", "DE", lei="5299000J2N45DDNE4Y28", vat_id="DE987654321")
LINES = [
    TradeLine("1", "A", "Widget", Decimal("7"), Decimal("12.35"), order_line_id="1"),
    TradeLine(
        "2", "B", "Gadget", Decimal("3"), Decimal("0.99"), vat_rate=Decimal("7"), order_line_id="2"
    ),
]


def _schema(einvoice: Path, name: str) -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.parse(str(einvoice / "ubl-2.1" / "xsd" / "maindoc" / f"UBL-{name}-2.1.xsd"))
    )


def test_order_despatch_and_invoice_are_valid_and_match_three_ways(einvoice, rules_dir):
    order = build_order("PO-9", date(2026, 3, 1), BUYER, SELLER, LINES)
    despatch = build_despatch_advice(
        "DA-9",
        date(2026, 3, 3),
        "PO-9",
        SELLER,
        BUYER,
        [
            Delivered("1", "1", "A", "Widget", Decimal("7")),
            Delivered("2", "2", "B", "Gadget", Decimal("3")),
        ],
    )
    invoice = build_invoice(
        "INV-9",
        date(2026, 3, 4),
        date(2026, 4, 3),
        SELLER,
        BUYER,
        LINES,
        order_id="PO-9",
        despatch_id="DA-9",
    )
    for name, data in (("Order", order), ("DespatchAdvice", despatch)):
        schema = _schema(einvoice, name)
        assert schema.validate(etree.fromstring(data)), schema.error_log
    report = validate_invoice(invoice, "inv.xml", data_dir=rules_dir)
    assert report.stages_run == ("xsd", "en16931") and report.findings == ()
    parsed = parse_invoice(invoice)
    # 7 x 12.35 = 86.45 at 19 % (16.43) and 3 x 0.99 = 2.97 at 7 % (0.21): 106.06 payable.
    assert (parsed.line_total_minor, parsed.tax_minor, parsed.payable_minor) == (8942, 1664, 10606)
    assert parsed.payment_iban == SELLER.iban and parsed.seller.legal_id.value == SELLER.lei
    match = three_way_match(
        parsed, parse_order(order), [parse_delivery(despatch)], MatchTolerance()
    )
    assert match.matched, match.issues
