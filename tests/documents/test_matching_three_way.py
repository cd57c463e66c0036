"""Three-way match on documents the tests build: order, deliveries, invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from openscf.documents.despatch import DeliveryDocument, DeliveryLine
from openscf.documents.errors import DocumentError
from openscf.documents.invoice import InvoiceLine, NormalisedInvoice, Party, PartyId
from openscf.documents.matching import MatchTolerance, received_quantities, three_way_match
from openscf.documents.order import Order, OrderLine

SELLER = Party(name="Supplier Oy", ids=(PartyId("0037123456", "0216"),), country="FI")
BUYER = Party(name="Anchor AG", ids=(PartyId("CHE-123.456.789", "0183"),), country="CH")
EXACT = MatchTolerance(price_bps=0, quantity_bps=0)


def order() -> Order:
    return Order(
        order_id="PO-100",
        issue_date=date(2025, 1, 10),
        currency="EUR",
        buyer=BUYER,
        seller=SELLER,
        lines=(
            OrderLine("1", Decimal(100), "EA", Decimal("2.50"), ("BOLT-M8",)),
            OrderLine("2", Decimal(10), "KGM", Decimal("40.00"), ("GREASE",)),
        ),
    )


def delivery(kind: str, *lines: tuple[str, str, str], doc_id: str = "D-1") -> DeliveryDocument:
    return DeliveryDocument(
        kind=kind,  # type: ignore[arg-type]
        document_id=doc_id,
        issue_date=date(2025, 1, 20),
        order_ref="PO-100",
        supplier=SELLER,
        customer=BUYER,
        lines=tuple(
            DeliveryLine(
                line_id=str(n),
                quantity=Decimal(qty),
                unit_code=None,
                order_line_ref=ref,
                order_ref=None,
                rejected_quantity=Decimal(rejected) if rejected else None,
            )
            for n, (ref, qty, rejected) in enumerate(lines, start=1)
        ),
    )


def inv_line(line_id: str, ref: str | None, qty: str, price: str, unit: str = "EA") -> InvoiceLine:
    net = int(Decimal(qty) * Decimal(price) * 100)
    return InvoiceLine(
        line_id=line_id,
        description="item",
        quantity=Decimal(qty),
        unit_code=unit,
        unit_price=Decimal(price),
        net_amount_minor=net,
        vat_category="S",
        vat_rate=Decimal(24),
        order_line_ref=ref,
    )


def invoice(*lines: InvoiceLine, **changes: object) -> NormalisedInvoice:
    total = sum(x.net_amount_minor for x in lines)
    base = NormalisedInvoice(
        kind="invoice",
        syntax="ubl",
        number="INV-7",
        issue_date=date(2025, 1, 21),
        due_date=date(2025, 3, 21),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        line_total_minor=total,
        tax_exclusive_minor=total,
        tax_minor=0,
        tax_inclusive_minor=total,
        payable_minor=total,
        lines=lines,
        order_ref="PO-100",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


RECEIVED_ALL = delivery("receipt_advice", ("1", "100", ""), ("2", "10", ""))


def test_an_invoice_that_agrees_with_order_and_receipt_is_matched():
    report = three_way_match(
        invoice(inv_line("a", "1", "100", "2.50"), inv_line("b", "2", "10", "40", "KGM")),
        order(),
        [RECEIVED_ALL],
        EXACT,
    )
    assert report.matched
    assert report.quantity_basis == "receipt_advice"
    assert [x.status for x in report.lines] == ["matched", "matched"]
    assert report.issues == ()


def test_a_price_above_the_order_price_is_a_price_mismatch_unless_within_tolerance():
    inv = invoice(inv_line("a", "1", "100", "2.52"))
    strict = three_way_match(inv, order(), [RECEIVED_ALL], EXACT)
    assert not strict.matched
    assert strict.lines[0].status == "price_mismatch"
    loose = three_way_match(inv, order(), [RECEIVED_ALL], MatchTolerance(price_bps=80))
    assert loose.lines[0].status == "matched"
    just_short = three_way_match(inv, order(), [RECEIVED_ALL], MatchTolerance(price_bps=79))
    assert just_short.lines[0].status == "price_mismatch"


def test_invoicing_more_than_was_received_is_flagged_against_the_receipt():
    partial = delivery("receipt_advice", ("1", "60", ""))
    report = three_way_match(invoice(inv_line("a", "1", "80", "2.50")), order(), [partial], EXACT)
    (line,) = report.lines
    assert line.status == "quantity_exceeds_received"
    assert line.received_quantity == Decimal(60)
    assert not report.matched


def test_the_quantity_tolerance_allows_a_small_overrun_of_the_received_quantity():
    partial = delivery("receipt_advice", ("1", "99", ""))
    inv = invoice(inv_line("a", "1", "100", "2.50"))
    assert not three_way_match(inv, order(), [partial], EXACT).matched
    assert three_way_match(inv, order(), [partial], MatchTolerance(quantity_bps=200)).matched


def test_rejected_goods_on_a_receipt_do_not_count_as_received():
    receipt = delivery("receipt_advice", ("1", "100", "30"))
    report = three_way_match(invoice(inv_line("a", "1", "100", "2.50")), order(), [receipt], EXACT)
    assert report.lines[0].status == "quantity_exceeds_received"
    assert report.lines[0].received_quantity == Decimal(70)


def test_quantities_from_several_deliveries_add_up():
    first = delivery("receipt_advice", ("1", "40", ""), doc_id="R-1")
    second = delivery("receipt_advice", ("1", "60", ""), doc_id="R-2")
    report = three_way_match(
        invoice(inv_line("a", "1", "100", "2.50")), order(), [first, second], EXACT
    )
    assert report.matched


def test_several_invoice_lines_for_one_order_line_are_summed_against_what_was_ordered():
    report = three_way_match(
        invoice(inv_line("a", "1", "60", "2.50"), inv_line("b", "1", "60", "2.50")),
        order(),
        [delivery("receipt_advice", ("1", "120", ""))],
        EXACT,
    )
    assert [x.status for x in report.lines] == [
        "quantity_exceeds_ordered",
        "quantity_exceeds_ordered",
    ]
    assert report.lines[0].cumulative_invoiced_quantity == Decimal(120)


def test_quantities_billed_by_earlier_invoices_count_towards_the_limit():
    report = three_way_match(
        invoice(inv_line("a", "1", "50", "2.50")),
        order(),
        [RECEIVED_ALL],
        EXACT,
        previously_invoiced={"1": Decimal(60)},
    )
    assert report.lines[0].status == "quantity_exceeds_ordered"


def test_an_invoice_line_for_an_unknown_order_line_has_no_order_line():
    report = three_way_match(
        invoice(inv_line("a", "9", "1", "2.50")), order(), [RECEIVED_ALL], EXACT
    )
    assert report.lines[0].status == "no_order_line"
    assert report.issues == ("line a: no_order_line",)


def test_an_invoice_line_without_reference_is_found_by_its_unique_item_id():
    line = replace(inv_line("a", None, "100", "2.50"), item_id="BOLT-M8")
    report = three_way_match(invoice(line), order(), [RECEIVED_ALL], EXACT)
    assert report.lines[0].order_line_id == "1"
    assert report.matched


def test_a_different_unit_of_measure_is_a_unit_mismatch():
    report = three_way_match(
        invoice(inv_line("a", "2", "10", "40", unit="EA")), order(), [RECEIVED_ALL], EXACT
    )
    assert report.lines[0].status == "unit_mismatch"


def test_a_line_with_several_problems_reports_all_of_them_and_the_worst_first():
    report = three_way_match(
        invoice(inv_line("a", "1", "500", "3.00")),
        order(),
        [delivery("receipt_advice", ("1", "10", ""))],
        EXACT,
    )
    assert report.lines[0].issues == (
        "price_mismatch",
        "quantity_exceeds_ordered",
        "quantity_exceeds_received",
    )
    assert report.lines[0].status == "price_mismatch"


def test_header_problems_prevent_a_match_even_when_lines_agree():
    lines = (inv_line("a", "1", "100", "2.50"),)
    assert three_way_match(
        invoice(*lines, order_ref="PO-999"), order(), [RECEIVED_ALL], EXACT
    ).header_issues == ("order_reference_mismatch",)
    assert three_way_match(
        invoice(*lines, currency="USD"), order(), [RECEIVED_ALL], EXACT
    ).header_issues == ("currency_mismatch",)
    assert three_way_match(
        invoice(*lines, order_ref=None), order(), [RECEIVED_ALL], EXACT
    ).header_issues == ("no_order_reference",)
    assert three_way_match(
        invoice(*lines, kind="credit_note"), order(), [RECEIVED_ALL], EXACT
    ).header_issues == ("not_an_invoice",)


def test_without_any_delivery_nothing_counts_as_received():
    report = three_way_match(invoice(inv_line("a", "1", "1", "2.50")), order(), [], EXACT)
    assert report.quantity_basis == "none"
    assert "no_deliveries" in report.header_issues
    assert report.lines[0].status == "quantity_exceeds_received"


def test_receipt_advices_take_precedence_over_the_sellers_despatch_advice():
    despatch = delivery("despatch_advice", ("1", "100", ""))
    receipt = delivery("receipt_advice", ("1", "70", ""))
    assert received_quantities("PO-100", [despatch]) == ("despatch_advice", {"1": Decimal(100)})
    assert received_quantities("PO-100", [despatch, receipt]) == (
        "receipt_advice",
        {"1": Decimal(70)},
    )


def test_deliveries_for_another_order_are_ignored():
    other = replace(delivery("receipt_advice", ("1", "100", "")), order_ref="PO-OTHER")
    assert received_quantities("PO-100", [other]) == ("none", {})


@pytest.mark.parametrize("bps", [-1, 10_001, True])
def test_a_tolerance_outside_zero_to_ten_thousand_basis_points_is_refused(bps):
    with pytest.raises(DocumentError) as caught:
        MatchTolerance(price_bps=bps)
    assert caught.value.code == "invalid_tolerance"
