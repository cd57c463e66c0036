from __future__ import annotations

from openscf.risk.fraud import detect_duplicates
from openscf.risk.fraud.duplicates import number_relation

from .cases import data, invoice


def test_an_altered_duplicate_with_its_own_date_and_order_is_flagged_with_its_original() -> None:
    original = invoice("i1", "s", "b", 1_234_567, 0, number="ACME-2026-00042", paid=20)
    other = invoice("i2", "s", "b", 987_654, 5, number="ACME-2026-00043")
    duplicate = invoice("i3", "s", "b", 1_234_567, 30, number="ACME-2026-00042-1")
    flags = detect_duplicates(data([original, other, duplicate]))
    assert [f.invoice_id for f in flags] == ["i3"]
    evidence = flags[0].evidence
    assert evidence["original_invoice_id"] == "i1"
    assert evidence["number_relation"] == "one carries a suffix"
    assert set(evidence["differs"]) >= {"number", "order_id", "issued_on"}
    assert "amount_minor" not in evidence["differs"]


def test_a_duplicate_in_another_case_or_with_an_extra_zero_is_flagged() -> None:
    original = invoice("i1", "s", "b", 500_00, 0, number="Fx/26/00017")
    case = invoice("i2", "s", "b", 500_00, 12, number=" fx/26/00017")
    zero = invoice("i3", "s", "b", 500_00, 14, number="Fx/26/000017")
    flagged = {f.invoice_id for f in detect_duplicates(data([original, case, zero]))}
    assert flagged == {"i2", "i3"}


def test_an_exact_reissue_after_a_rejection_is_not_a_duplicate() -> None:
    rejected = invoice("i1", "s", "b", 1_000_00, 0, number="INV-77", order_id="o1", rejected=3)
    reissued = invoice("i2", "s", "b", 1_000_00, 8, number="INV-77", order_id="o1")
    assert detect_duplicates(data([rejected, reissued])) == []
    # the same pair without the rejection is one
    accepted = invoice("i1", "s", "b", 1_000_00, 0, number="INV-77", order_id="o1")
    assert [f.invoice_id for f in detect_duplicates(data([accepted, reissued]))] == ["i2"]


def test_consecutive_invoices_of_equal_amount_are_not_duplicates() -> None:
    # the smallest orders all bill the same amount; the numbers are one step apart
    invoices = [invoice(f"i{k}", "s", "b", 100_00, k, number=f"INV-{1000 + k}") for k in range(10)]
    assert detect_duplicates(data(invoices)) == []


def test_invoices_of_another_relationship_are_never_compared() -> None:
    first = invoice("i1", "s", "b", 750_00, 0, number="X-1")
    other_buyer = invoice("i2", "s", "c", 750_00, 3, number="X-1")
    assert detect_duplicates(data([first, other_buyer])) == []


def test_number_relations_tell_a_suffix_from_the_next_number_in_sequence() -> None:
    assert number_relation("RE2026/0042", "RE2026/0042")[0] == "same"
    assert number_relation("00000042", "000000042")[1] >= 0.9
    assert number_relation("INV-42", "INV-42A")[0] == "one carries a suffix"
    assert number_relation("INV-42", "INV-43")[1] < 0.35
    assert number_relation("ABC-42", "ABD-42")[0] == "same digits, letters differ"
