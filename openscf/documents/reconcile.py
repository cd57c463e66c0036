"""Reconciliation: which bank statement entries settle which payment instructions. Pure.

The platform sends payment instructions (pain.001) and later reads the debtor accounts'
statements and notifications (camt.053/054). Each booked debit on a known account is one
*statement item*, or several when the entry carries several transactions (batch
booking). Items and instructions are paired, each used at most once, by three rules
tried in order over all that is still unmatched:

1. `end_to_end_id`: the item's EndToEndId is the instruction id (same account and
   currency); an amount difference is still a match, flagged `amount_differs`;
2. `creditor_reference`: same RF creditor reference, account, currency and amount;
3. `amount_and_date`: same account, currency and amount, and the item's value date (else
   booking date) within `date_window_days` of the instruction's value date; the closest
   date wins, ties go to the earlier item.

A statement for an account that is neither a debtor account of the instructions nor in
`known_accounts` is reported as an error naming the account, and its entries are not used.
Entries that are not booked (`PDNG`, `INFO`) or are reversals are listed as skipped.
An item in another currency than its account's (`Acct/Ccy`, when the bank states it) is
never paired: it is listed as a currency mismatch, for a person to look at, because a
conversion the platform did not instruct cannot settle an instruction in the account's
currency.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from openscf.documents.camt import BankMessage, CreditDebit, StatementEntry
from openscf.documents.errors import DocumentError, InvalidValueError
from openscf.documents.pain001 import PaymentInstruction

__all__ = [
    "MatchRule",
    "ReconciledPair",
    "ReconciliationResult",
    "StatementItem",
    "reconcile",
    "statement_items",
]

MatchRule = Literal["end_to_end_id", "creditor_reference", "amount_and_date"]


def _compact(value: str | None) -> str | None:
    return value.replace(" ", "").upper() if value else None


@dataclass(frozen=True, slots=True)
class StatementItem:
    """One matchable movement: an entry, or one transaction of a batch entry."""

    source: str
    report_id: str
    account: str
    entry_index: int
    transaction_index: int | None
    amount_minor: int
    currency: str
    credit_debit: CreditDebit
    value_date: date | None
    booking_date: date | None
    end_to_end_id: str | None
    creditor_reference: str | None
    entry_ref: str | None
    account_servicer_ref: str | None

    @property
    def effective_date(self) -> date | None:
        return self.value_date or self.booking_date


@dataclass(frozen=True, slots=True)
class ReconciledPair:
    instruction: PaymentInstruction
    item: StatementItem
    rule: MatchRule
    discrepancies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    matched: tuple[ReconciledPair, ...]
    unmatched_entries: tuple[StatementItem, ...]
    unmatched_instructions: tuple[PaymentInstruction, ...]
    errors: tuple[DocumentError, ...]
    skipped_entries: tuple[StatementItem, ...] = ()
    currency_mismatches: tuple[StatementItem, ...] = ()

    @property
    def complete(self) -> bool:
        """Every instruction and every item matched, without discrepancies or errors."""
        return (
            not self.unmatched_entries
            and not self.unmatched_instructions
            and not self.errors
            and not self.currency_mismatches
            and all(not p.discrepancies for p in self.matched)
        )


def _items_of_entry(
    source: str, report_id: str, account: str, index: int, entry: StatementEntry
) -> list[StatementItem]:
    def item(
        tx_index: int | None,
        amount: int,
        currency: str,
        direction: CreditDebit,
        e2e: str | None,
        ref: str | None,
    ) -> StatementItem:
        return StatementItem(
            source=source,
            report_id=report_id,
            account=account,
            entry_index=index,
            transaction_index=tx_index,
            amount_minor=amount,
            currency=currency,
            credit_debit=direction,
            value_date=entry.value_date,
            booking_date=entry.booking_date,
            end_to_end_id=e2e,
            creditor_reference=_compact(ref),
            entry_ref=entry.entry_ref,
            account_servicer_ref=entry.account_servicer_ref,
        )

    txs = entry.transactions
    if not txs:
        return [item(None, entry.amount_minor, entry.currency, entry.credit_debit, None, None)]
    if len(txs) == 1:
        tx = txs[0]
        return [
            item(
                0,
                entry.amount_minor,
                entry.currency,
                entry.credit_debit,
                tx.end_to_end_id,
                tx.creditor_reference,
            )
        ]
    return [
        item(
            i,
            tx.amount_minor if tx.amount_minor is not None else entry.amount_minor,
            tx.currency or entry.currency,
            tx.credit_debit or entry.credit_debit,
            tx.end_to_end_id,
            tx.creditor_reference,
        )
        for i, tx in enumerate(txs)
    ]


def statement_items(
    messages: Sequence[BankMessage],
) -> list[tuple[StatementItem, StatementEntry]]:
    """Every statement item of the messages, with the entry it comes from."""
    out: list[tuple[StatementItem, StatementEntry]] = []
    for message in messages:
        for report in message.reports:
            account = report.account or ""
            for index, entry in enumerate(report.entries):
                for it in _items_of_entry(message.source, report.report_id, account, index, entry):
                    out.append((it, entry))
    return out


def reconcile(
    instructions: Sequence[PaymentInstruction],
    messages: Sequence[BankMessage],
    *,
    known_accounts: Collection[str] = (),
    date_window_days: int = 2,
) -> ReconciliationResult:
    """Pair statement items with payment instructions; see the module docstring."""
    accounts = {_compact(i.debtor_iban) for i in instructions} | {
        _compact(a) for a in known_accounts
    }
    errors: list[DocumentError] = []
    reported_unknown: set[tuple[str, str]] = set()
    eligible: list[StatementItem] = []
    skipped: list[StatementItem] = []
    foreign: list[StatementItem] = []
    for message in messages:
        for report in message.reports:
            account = _compact(report.account) or ""
            if account not in accounts:
                if (message.source, report.report_id) not in reported_unknown:
                    reported_unknown.add((message.source, report.report_id))
                    errors.append(
                        InvalidValueError(
                            f"{report.kind} {report.report_id} is for account "
                            f"{report.account}, which is not a known account",
                            code="unknown_account",
                            source=message.source,
                            element=f"{report.kind} {report.report_id}/Acct",
                        )
                    )
                continue
            for index, entry in enumerate(report.entries):
                items = _items_of_entry(message.source, report.report_id, account, index, entry)
                if entry.status != "BOOK" or entry.reversal:
                    skipped.extend(items)
                elif report.account_currency:
                    for it in items:
                        same = it.currency == report.account_currency
                        (eligible if same else foreign).append(it)
                else:
                    eligible.extend(items)

    open_items = [it for it in eligible if it.credit_debit == "debit"]
    other_items = [it for it in eligible if it.credit_debit != "debit"]
    used_items: set[int] = set()
    used_instr: set[int] = set()
    pairs: list[tuple[int, int, MatchRule, tuple[str, ...]]] = []

    def same_place(instr: PaymentInstruction, it: StatementItem) -> bool:
        return _compact(instr.debtor_iban) == it.account and instr.currency == it.currency

    # Rule 1: EndToEndId.
    by_e2e: dict[str, list[int]] = {}
    for n, it in enumerate(open_items):
        if it.end_to_end_id:
            by_e2e.setdefault(it.end_to_end_id, []).append(n)
    for k, instr in enumerate(instructions):
        for n in by_e2e.get(instr.instruction_id, []):
            it = open_items[n]
            if n in used_items or not same_place(instr, it):
                continue
            flags = () if it.amount_minor == instr.amount_minor else ("amount_differs",)
            pairs.append((k, n, "end_to_end_id", flags))
            used_items.add(n)
            used_instr.add(k)
            break

    # Rule 2: creditor reference (and amount).
    by_ref: dict[str, list[int]] = {}
    for n, it in enumerate(open_items):
        if it.creditor_reference and n not in used_items:
            by_ref.setdefault(it.creditor_reference, []).append(n)
    for k, instr in enumerate(instructions):
        ref = _compact(instr.creditor_reference)
        if k in used_instr or not ref:
            continue
        for n in by_ref.get(ref, []):
            it = open_items[n]
            if n in used_items or not same_place(instr, it):
                continue
            if it.amount_minor != instr.amount_minor:
                continue
            pairs.append((k, n, "creditor_reference", ()))
            used_items.add(n)
            used_instr.add(k)
            break

    # Rule 3: amount and date window, closest date first.
    by_amount: dict[tuple[str, str, int], list[int]] = {}
    for n, it in enumerate(open_items):
        if n not in used_items:
            by_amount.setdefault((it.account, it.currency, it.amount_minor), []).append(n)
    for k, instr in enumerate(instructions):
        if k in used_instr:
            continue
        best: tuple[int, int] | None = None
        key = (_compact(instr.debtor_iban) or "", instr.currency, instr.amount_minor)
        for n in by_amount.get(key, []):
            it = open_items[n]
            when = it.effective_date
            if n in used_items or when is None:
                continue
            distance = abs((when - instr.value_date).days)
            if distance <= date_window_days and (best is None or distance < best[0]):
                best = (distance, n)
        if best is not None:
            pairs.append((k, best[1], "amount_and_date", ()))
            used_items.add(best[1])
            used_instr.add(k)

    pairs.sort(key=lambda p: p[0])
    return ReconciliationResult(
        matched=tuple(
            ReconciledPair(instructions[k], open_items[n], rule, flags)
            for k, n, rule, flags in pairs
        ),
        unmatched_entries=tuple(
            [it for n, it in enumerate(open_items) if n not in used_items] + other_items
        ),
        unmatched_instructions=tuple(
            instr for k, instr in enumerate(instructions) if k not in used_instr
        ),
        errors=tuple(errors),
        skipped_entries=tuple(skipped),
        currency_mismatches=tuple(foreign),
    )
