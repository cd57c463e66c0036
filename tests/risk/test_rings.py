from __future__ import annotations

from openscf.risk.fraud import detect_rings

from .cases import data, day, invoice, orders_on, piece_payments


def _ring_round(start: int, k: int, amounts: tuple[int, ...]) -> list:  # type: ignore[type-arg]
    firms = ["a", "b", "c"]
    return [
        invoice(f"r{k}{m}", firms[(m + 1) % 3], firms[m], amounts[m], start, paid=start)
        for m in range(3)
    ]


def test_a_piece_passed_round_three_firms_paying_invoices_of_about_its_face_is_flagged() -> None:
    hops = _ring_round(10, 1, (1_030_000, 1_090_000, 1_005_000))
    # the ring's orders, entered together ten days before
    orders = orders_on(hops, day(0))
    payments, receivables = piece_payments(hops, "rcv_1")
    flags = detect_rings(data(hops, orders=orders, payments=payments, receivables=receivables))
    assert {f.invoice_id for f in flags} == {"r10", "r11", "r12"}
    evidence = flags[0].evidence
    assert evidence["paid_by_one_piece"] is True
    assert evidence["piece_root_id"] == "rcv_1"
    assert len(evidence["circle"]) == 4


def test_genuine_mutual_trade_round_a_circle_is_not_flagged() -> None:
    # related firms supplying each other: invoices on every edge, of unrelated sizes and dates
    invoices = []
    for week in range(12):
        invoices += [
            invoice(f"ab{week}", "b", "a", 400_000 + 37_000 * week, 7 * week),
            invoice(f"bc{week}", "c", "b", 1_500_000 - 90_000 * week, 7 * week + 3),
            invoice(f"ca{week}", "a", "c", 90_000 + 5_000 * week, 7 * week + 5),
        ]
    assert detect_rings(data(invoices)) == []


def test_customers_selling_back_to_their_suppliers_are_not_flagged() -> None:
    invoices = [invoice(f"x{k}", "s", "b", 800_000 + 1000 * k, 3 * k) for k in range(10)]
    invoices += [invoice(f"y{k}", "b", "s", 50_000 + 900 * k, 3 * k + 1) for k in range(10)]
    assert detect_rings(data(invoices)) == []
