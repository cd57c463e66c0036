from __future__ import annotations

from openscf.risk.fraud import PhantomConfig, detect_phantoms, detect_volume_jumps

from .cases import data, day, invoice


def _history(seller: str, buyer: str, n: int, start: int = 0) -> list:  # type: ignore[type-arg]
    return [
        invoice(f"{seller}h{k}", seller, buyer, 200_000 + 3_000 * k, start + 3 * k)
        for k in range(n)
    ]


def test_a_supplier_billing_a_multiple_of_its_orders_for_weeks_is_flagged() -> None:
    invoices = _history("s", "b", 20)
    invoices += [
        invoice(f"j{k}", "s", "b", 550_000, 62 + 3 * k, ordered_minor=200_000) for k in range(5)
    ]
    flags = detect_volume_jumps(data(invoices))
    assert [f.org_id for f in flags] == ["s"]
    assert flags[0].evidence["over_billed_in_a_row"] >= 2
    assert flags[0].evidence["orders_rose"] is False


def test_a_new_contract_multiplying_orders_is_not_a_volume_jump() -> None:
    invoices = _history("s", "b", 20)
    # three times as many and bigger orders from day 62 on, each billed as ordered
    invoices += [invoice(f"n{k}", "s", "b", 600_000, 62 + k) for k in range(30)]
    assert detect_volume_jumps(data(invoices)) == []


def test_one_invoice_far_above_its_order_is_an_agreed_extra_not_a_jump() -> None:
    invoices = _history("s", "b", 20)
    invoices.insert(10, invoice("extra", "s", "b", 500_000, 31, ordered_minor=200_000))
    assert detect_volume_jumps(data(invoices)) == []


def test_a_rejected_invoice_never_invoiced_again_is_flagged_as_a_phantom() -> None:
    invoices = _history("s", "anchor", 10)
    invoices.append(invoice("p1", "s", "anchor", 300_000, 40, order_id="fake", rejected=42))
    flags = detect_phantoms(data(invoices, anchors=("anchor",), as_of=day(90)))
    assert [f.invoice_id for f in flags] == ["p1"]
    assert flags[0].evidence["not_re_invoiced"] is True
    assert flags[0].flagged_on > flags[0].evidence["rejected_on"]


def test_a_rejected_invoice_corrected_on_its_order_is_not_a_phantom() -> None:
    invoices = _history("s", "anchor", 10)
    invoices.append(invoice("g1", "s", "anchor", 300_000, 40, order_id="o9", rejected=42))
    invoices.append(invoice("g2", "s", "anchor", 290_000, 47, order_id="o9", ordered_minor=300_000))
    assert detect_phantoms(data(invoices, anchors=("anchor",), as_of=day(90))) == []


def test_an_accepted_phantom_scores_above_its_sellers_ordinary_invoices() -> None:
    invoices = _history("s", "anchor", 20)
    invoices.append(invoice("p1", "s", "anchor", 300_000, 61, order_id="f1", rejected=63))
    # accepted, well above what the seller bills this anchor, alone on its order
    invoices.append(invoice("p2", "s", "anchor", 520_000, 70, order_id="f2"))
    # an ordinary invoice of the same seller in the same weeks
    invoices.append(invoice("g", "s", "anchor", 230_000, 72))
    trade = data(invoices, anchors=("anchor",), as_of=day(90))
    # The default threshold (chosen on training economies) keeps the unanswered rejection
    # only; a lower one adds the accepted phantom, never the ordinary invoice.
    assert {f.invoice_id for f in detect_phantoms(trade)} == {"p1"}
    lower = {f.invoice_id: f for f in detect_phantoms(trade, PhantomConfig(threshold=0.7))}
    assert set(lower) == {"p1", "p2"}
    assert lower["p2"].evidence["seller_unanswered_rejections"] == ["p1"]
