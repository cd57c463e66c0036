"""Reconciliation round trip: pain.001 out, a bank's camt.053 back, every payment matched."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import etree

from openscf.documents.camt import parse_camt
from openscf.documents.iban import create_rf_reference
from openscf.documents.pain001 import PaymentInstruction, build_pain001
from openscf.documents.reconcile import reconcile

from . import test_camt_statement_writer as bank

ANCHOR = "CH2909000000250094239"
FUNDER = "DE89370400440532013000"
STRANGER = "GB29NWBK60161331926819"
PAY_DAY = date(2025, 3, 5)


def pay(n: int, **changes: object) -> PaymentInstruction:
    base = PaymentInstruction(
        instruction_id=f"SETTLE-{n}",
        debtor_name="Anchor AG",
        debtor_iban=ANCHOR,
        debtor_bic="POFICHBEXXX",
        creditor_name=f"Supplier {n}",
        creditor_iban="NL91ABNA0417164300",
        creditor_bic="ABNANL2A",
        amount_minor=100_000 + n * 1_000,
        currency="CHF",
        value_date=PAY_DAY,
        creditor_reference=create_rf_reference(f"RCV{n}"),
        remittance_text=f"Receivable rcv_{n} at maturity",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def statement(iban: str, currency: str, entries: list, statement_id: str) -> bytes:
    return bank.write_camt053(
        account_iban=iban,
        currency=currency,
        entries=entries,
        statement_id=statement_id,
        message_id=f"MSG-{statement_id}",
    )


def test_a_full_round_trip_matches_every_payment_by_the_right_rule():
    instructions = [
        pay(1),
        pay(2),
        pay(3),
        pay(4),
        pay(5, debtor_iban=FUNDER, debtor_bic="DEUTDEFFXXX", debtor_name="Funder", currency="EUR"),
        pay(6, debtor_iban=FUNDER, debtor_bic="DEUTDEFFXXX", debtor_name="Funder", currency="EUR"),
    ]
    pain = build_pain001(
        instructions,
        message_id="PAY-2025-03-05",
        created_at=datetime(2025, 3, 4, 18, 0, tzinfo=UTC),
        initiating_party="OpenSCF",
    )
    booked = bank.bank_executes(pain)
    anchor_entries = booked[ANCHOR]
    assert len(anchor_entries) == 4
    one, two, three, four = anchor_entries
    # The bank lost the EndToEndId of payment 2 but kept its RF reference.
    two.transactions[0].end_to_end_id = None
    # Payment 3 lost both, and was booked a day late.
    three.transactions[0].end_to_end_id = None
    three.transactions[0].creditor_reference = None
    three.value_date = three.booking_date = PAY_DAY + timedelta(days=1)
    # Payment 4 was never executed; a bank fee and an incoming credit appear instead,
    # and one more debit is still pending.
    fee = bank.BankEntry(1_500, "CHF", "DBIT", PAY_DAY, PAY_DAY, [bank.BankTx(1_500)])
    incoming = bank.BankEntry(104_000, "CHF", "CRDT", PAY_DAY, PAY_DAY, [bank.BankTx(104_000)])
    pending = replace(four, status="PDNG")
    anchor_file = statement(ANCHOR, "CHF", [one, two, three, fee, incoming, pending], "A-1")

    # The funder's bank books both payments as one batch entry.
    five, six = booked[FUNDER]
    batch = bank.BankEntry(
        five.amount_minor + six.amount_minor,
        "EUR",
        "DBIT",
        PAY_DAY,
        PAY_DAY,
        five.transactions + six.transactions,
    )
    funder_file = statement(FUNDER, "EUR", [batch], "F-1")
    stranger_file = statement(STRANGER, "GBP", [fee], "X-1")

    schema = bank.camt053_schema()
    for data in (anchor_file, funder_file, stranger_file):
        assert schema.validate(etree.fromstring(data)), schema.error_log

    messages = [
        parse_camt(anchor_file, "anchor.xml"),
        parse_camt(funder_file, "funder.xml"),
        parse_camt(stranger_file, "stranger.xml"),
    ]
    result = reconcile(instructions, messages)

    assert [(p.instruction.instruction_id, p.rule) for p in result.matched] == [
        ("SETTLE-1", "end_to_end_id"),
        ("SETTLE-2", "creditor_reference"),
        ("SETTLE-3", "amount_and_date"),
        ("SETTLE-5", "end_to_end_id"),
        ("SETTLE-6", "end_to_end_id"),
    ]
    assert all(p.discrepancies == () for p in result.matched)
    funder_pairs = [p for p in result.matched if p.item.account == FUNDER]
    assert [p.item.transaction_index for p in funder_pairs] == [0, 1]
    assert [p.item.amount_minor for p in funder_pairs] == [105_000, 106_000]
    assert [i.instruction_id for i in result.unmatched_instructions] == ["SETTLE-4"]
    assert sorted((e.amount_minor, e.credit_debit) for e in result.unmatched_entries) == [
        (1_500, "debit"),
        (104_000, "credit"),
    ]
    assert [e.amount_minor for e in result.skipped_entries] == [104_000]
    (error,) = result.errors
    assert error.code == "unknown_account"
    assert STRANGER in error.message
    assert error.source == "stranger.xml"
    assert not result.complete


def test_a_clean_round_trip_is_complete():
    instructions = [pay(n) for n in range(1, 4)]
    pain = build_pain001(
        instructions,
        message_id="PAY-1",
        created_at=datetime(2025, 3, 4, tzinfo=UTC),
        initiating_party="OpenSCF",
    )
    data = statement(ANCHOR, "CHF", bank.bank_executes(pain)[ANCHOR], "A-2")
    result = reconcile(instructions, [parse_camt(data)])
    assert result.complete
    assert {p.rule for p in result.matched} == {"end_to_end_id"}


def _single_entry(amount: int, day: date, e2e: str | None = None, ref: str | None = None):
    return bank.BankEntry(amount, "CHF", "DBIT", day, day, [bank.BankTx(amount, e2e, ref)])


def test_an_end_to_end_match_with_a_different_amount_is_flagged():
    data = statement(ANCHOR, "CHF", [_single_entry(100_999, PAY_DAY, "SETTLE-0")], "A-3")
    result = reconcile([pay(0)], [parse_camt(data)])
    (pair,) = result.matched
    assert (pair.rule, pair.discrepancies) == ("end_to_end_id", ("amount_differs",))
    assert not result.complete


def test_a_creditor_reference_match_needs_the_same_amount():
    instr = pay(0)
    data = statement(
        ANCHOR,
        "CHF",
        [_single_entry(99_999, PAY_DAY + timedelta(days=10), ref=instr.creditor_reference)],
        "A-4",
    )
    result = reconcile([instr], [parse_camt(data)])
    assert result.matched == ()
    assert len(result.unmatched_entries) == 1


@pytest.mark.parametrize(("days", "matched"), [(-2, True), (2, True), (3, False), (-3, False)])
def test_amount_and_date_matching_allows_two_days_either_way(days, matched):
    data = statement(ANCHOR, "CHF", [_single_entry(100_000, PAY_DAY + timedelta(days))], "A-5")
    result = reconcile([pay(0, creditor_reference=None)], [parse_camt(data)])
    assert bool(result.matched) is matched


def test_the_closest_date_wins_and_each_entry_is_used_once():
    entries = [
        _single_entry(100_000, PAY_DAY + timedelta(days=2)),
        _single_entry(100_000, PAY_DAY),
    ]
    data = statement(ANCHOR, "CHF", entries, "A-6")
    twins = [pay(0, creditor_reference=None), pay(9, creditor_reference=None, amount_minor=100_000)]
    result = reconcile(twins, [parse_camt(data)])
    assert [(p.instruction.instruction_id, p.item.entry_index) for p in result.matched] == [
        ("SETTLE-0", 1),
        ("SETTLE-9", 0),
    ]


def test_an_entry_in_another_currency_is_not_matched_by_amount():
    entry = bank.BankEntry(100_000, "EUR", "DBIT", PAY_DAY, PAY_DAY, [bank.BankTx(100_000)])
    data = statement(ANCHOR, "CHF", [entry], "A-7")
    result = reconcile([pay(0, creditor_reference=None)], [parse_camt(data)])
    assert result.matched == ()


def test_an_account_named_as_known_is_not_reported_as_unknown():
    data = statement(STRANGER, "GBP", [], "X-2")
    assert reconcile([pay(0)], [parse_camt(data)], known_accounts=[STRANGER]).errors == ()
    (error,) = reconcile([pay(0)], [parse_camt(data)]).errors
    assert error.code == "unknown_account"
