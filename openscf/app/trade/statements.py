"""Money in: camt.053 / camt.054 statements reconciled with the payment instructions sent."""

from __future__ import annotations

import json
from typing import Any

from openscf.app.trade.context import DeskContext, actor, sha256_hex
from openscf.app.trade.results import StatementReport
from openscf.documents.camt import BankMessage, parse_camt
from openscf.documents.errors import DocumentError
from openscf.documents.pain001 import PaymentInstruction
from openscf.documents.reconcile import ReconciledPair, reconcile, statement_items
from openscf.domain import commands as c
from openscf.domain.errors import Conflict, InvalidRequest, PermissionDenied
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork


def operator_user(docs: TradeDocuments) -> str:
    orgs = [o for o in docs.organisations() if "operator" in o.roles]
    for org in orgs:
        for uid, perms in docs.user_permissions(org.id):
            if "maker" in perms:
                return uid
    raise PermissionDenied(
        "no_operator", "the network has no operator user who may reconcile payments", "user_id"
    )


def import_statement(
    ctx: DeskContext, name: str, data: bytes, *, user_id: str | None = None
) -> StatementReport:
    """Read a camt.053 / camt.054 (versions .02, .04, .08) and reconcile its entries
    with the payment instructions sent from its accounts (EndToEndId, then creditor
    reference, then amount and date). Each clean match is a `ReconcilePayment` by the
    operator in the log, and the instruction is marked reconciled: the settlement is
    final. A statement for an account no organisation holds is refused naming the
    account, and nothing is imported."""
    try:
        message: BankMessage = parse_camt(data, name)
    except DocumentError as exc:
        raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "file") from None
    digest = sha256_hex(data)

    def work(uow: UnitOfWork) -> StatementReport:
        docs = TradeDocuments(uow.connection)
        operator = user_id or operator_user(docs)
        actor(uow, operator, ("operator",), "maker")
        if docs.statement_imported(digest):
            raise Conflict(
                "statement_already_imported",
                f"{name} was already imported (same bytes)",
                "file",
            )
        known = {o.iban for o in docs.organisations() if o.iban}
        accounts = sorted({(r.account or "").replace(" ", "").upper() for r in message.reports})
        for acct in message.reports:
            account = (acct.account or "").replace(" ", "").upper()
            if account not in known:
                raise InvalidRequest(
                    "unknown_account",
                    f"{name}: {acct.kind} {acct.report_id} is for "
                    f"account {acct.account}, which no organisation on the network "
                    "holds; nothing was imported",
                    "file",
                )
        rows = docs.sent_instructions(accounts)
        instructions = [
            PaymentInstruction(
                r["id"],
                "-",
                r["debtor_iban"],
                r["debtor_bic"],
                "-",
                r["creditor_iban"],
                r["creditor_bic"],
                int(r["amount_minor"]),
                r["currency"],
                r["value_date"],
                r["creditor_reference"],
            )
            for r in rows
        ]
        meta = {r["id"]: r for r in rows}
        result = reconcile(instructions, [message], known_accounts=known)
        if result.errors:
            first = result.errors[0]
            raise InvalidRequest(first.code, f"{first.location}: {first.message}", "file")
        statement_id = ctx.new_id("stm")
        report = StatementReport(statement_id, name, message.message_type, accounts)
        outcome_of: dict[tuple[str, int, int | None], tuple[str, str | None, str | None]] = {}
        for pair in result.matched:
            item = pair.item
            where = (item.report_id, item.entry_index, item.transaction_index)
            if pair.discrepancies:
                outcome_of[where] = ("discrepancy", pair.instruction.instruction_id, pair.rule)
                report.discrepancies.append(
                    {
                        "instruction_id": pair.instruction.instruction_id,
                        "rule": pair.rule,
                        "discrepancies": list(pair.discrepancies),
                        "instructed_minor": pair.instruction.amount_minor,
                        "booked_minor": item.amount_minor,
                    }
                )
                continue
            outcome_of[where] = ("matched", pair.instruction.instruction_id, pair.rule)
            report.reconciled.append(
                reconcile_one(
                    ctx,
                    uow,
                    docs,
                    operator,
                    pair,
                    meta[pair.instruction.instruction_id],
                    message,
                    statement_id,
                )
            )
        for item in result.unmatched_entries:
            report.unmatched_entries.append(
                {
                    "account": item.account,
                    "amount_minor": item.amount_minor,
                    "currency": item.currency,
                    "credit_debit": item.credit_debit,
                    "value_date": item.value_date.isoformat() if item.value_date else None,
                    "end_to_end_id": item.end_to_end_id,
                    "bank_reference": item.account_servicer_ref or item.entry_ref,
                }
            )
        report.unmatched_instructions = [i.instruction_id for i in result.unmatched_instructions]
        report.skipped_entries = len(result.skipped_entries)
        skipped = {
            (i.report_id, i.entry_index, i.transaction_index) for i in result.skipped_entries
        }
        account_currency = {r.report_id: r.account_currency for r in message.reports}
        for item in result.currency_mismatches:
            where = (item.report_id, item.entry_index, item.transaction_index)
            outcome_of[where] = ("wrong_currency", None, None)
            report.currency_mismatches.append(
                {
                    "account": item.account,
                    "account_currency": account_currency.get(item.report_id),
                    "amount_minor": item.amount_minor,
                    "currency": item.currency,
                    "credit_debit": item.credit_debit,
                    "end_to_end_id": item.end_to_end_id,
                    "bank_reference": item.account_servicer_ref or item.entry_ref,
                }
            )
        entry_rows = []
        for idx, (item, _entry) in enumerate(statement_items([message])):
            where = (item.report_id, item.entry_index, item.transaction_index)
            outcome, instruction_id, rule = outcome_of.get(
                where, ("skipped" if where in skipped else "unmatched", None, None)
            )
            entry_rows.append(
                {
                    "statement_id": statement_id,
                    "idx": idx,
                    "account": item.account.replace(" ", "").upper()[:34],
                    "report_id": item.report_id[:140],
                    "amount_minor": item.amount_minor,
                    "currency": item.currency,
                    "credit_debit": item.credit_debit,
                    "value_date": item.value_date,
                    "booking_date": item.booking_date,
                    "end_to_end_id": (item.end_to_end_id or None) and item.end_to_end_id[:140],
                    "creditor_reference": item.creditor_reference,
                    "bank_reference": (item.account_servicer_ref or item.entry_ref or None),
                    "outcome": outcome,
                    "instruction_id": instruction_id,
                    "match_rule": rule,
                }
            )
        docs.add_statement(
            {
                "id": statement_id,
                "message_id": message.message_id[:140],
                "message_type": message.message_type,
                "version": message.version,
                "sha256": digest,
                "source": name[:500],
                "accounts": json.dumps(accounts),
                "items": len(entry_rows),
                "matched": len(report.reconciled),
                "imported_by": operator,
                "imported_at": ctx.now(),
            },
            entry_rows,
        )
        return report

    return ctx.service.transaction(work)


def reconcile_one(
    ctx: DeskContext,
    uow: UnitOfWork,
    docs: TradeDocuments,
    operator: str,
    pair: ReconciledPair,
    row: dict[str, Any],
    message: BankMessage,
    statement_id: str,
) -> dict[str, Any]:
    item = pair.item
    value_date = pair.instruction.value_date
    reference = (
        item.account_servicer_ref
        or item.entry_ref
        or f"{message.message_id}/{item.report_id}/{item.entry_index}"
    )[:140]
    booked = item.booking_date or item.value_date or value_date
    command = c.ReconcilePayment(
        row["id"],
        row["kind"],
        row["receivable_id"],
        row["debtor_org_id"],
        row["creditor_org_id"],
        int(row["amount_minor"]),
        row["currency"],
        value_date,
        booked,
        reference,
        pair.rule,
        offer_id=row["offer_id"],
    )
    outcome = ctx.service.run_in(uow, operator, command, f"reconcile:{row['id']}")
    docs.mark_reconciled(
        row["id"],
        reconciled_at=ctx.now(),
        bank_reference=reference,
        statement_id=statement_id,
        match_rule=pair.rule,
    )
    return {
        "instruction_id": row["id"],
        "kind": row["kind"],
        "receivable_id": row["receivable_id"],
        "amount_minor": int(row["amount_minor"]),
        "currency": row["currency"],
        "rule": pair.rule,
        "bank_reference": reference,
        "booked_on": booked.isoformat(),
        "events": [e["type"] for e in outcome.events],
    }
