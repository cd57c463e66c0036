"""Money out: pain.001 payment files for what is due on a day, and their instructions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openscf.app.trade.context import DeskContext, actor, sha256_hex
from openscf.app.trade.results import PaymentExport
from openscf.documents.errors import DocumentError
from openscf.documents.iban import create_rf_reference
from openscf.documents.pain001 import PaymentInstruction, build_pain001, validate_instructions
from openscf.domain.errors import Conflict, InvalidRequest
from openscf.domain.events import FinancingOfferAccepted, ReceivablePartlyPaid, ReceivableSettled
from openscf.store.trade_documents import TradeDocuments, reading
from openscf.store.uow import UnitOfWork


def due_payments(
    docs: TradeDocuments, on: date
) -> tuple[list[tuple[str, str, str, str | None, str, str, int, str]], list[dict[str, Any]]]:
    """(kind, subject, receivable, offer, debtor org, creditor org, amount, currency)
    for settlements and disbursements with value date `on` not yet instructed."""
    sent = docs.instructed()
    due: list[tuple[str, str, str, str | None, str, str, int, str]] = []
    skipped: list[dict[str, Any]] = []
    for e in docs.events_of_type(ReceivableSettled.TYPE):
        assert isinstance(e, ReceivableSettled)
        if e.value_date != on:
            continue
        if ("settlement", e.receivable_id) in sent:
            skipped.append(
                {
                    "kind": "settlement",
                    "subject_id": e.receivable_id,
                    "reason": "already_instructed",
                }
            )
            continue
        due.append(
            (
                "settlement",
                e.receivable_id,
                e.receivable_id,
                None,
                e.obligor_id,
                e.payee_id,
                e.amount_minor,
                e.currency,
            )
        )
    # Partial payments: one instruction each, named by the piece and the total paid
    # after it (which only grows), so a retried export never pays one twice.
    for e in docs.events_of_type(ReceivablePartlyPaid.TYPE):
        assert isinstance(e, ReceivablePartlyPaid)
        subject = f"{e.receivable_id}:{e.paid_minor}"
        if e.value_date != on:
            continue
        if ("payment", subject) in sent:
            skipped.append(
                {"kind": "payment", "subject_id": subject, "reason": "already_instructed"}
            )
            continue
        due.append(
            (
                "payment",
                subject,
                e.receivable_id,
                None,
                e.obligor_id,
                e.payee_id,
                e.amount_minor,
                e.currency,
            )
        )
    for e in docs.events_of_type(FinancingOfferAccepted.TYPE):
        assert isinstance(e, FinancingOfferAccepted)
        if docs.offer_value_date(e.offer_id) != on:
            continue
        if ("disbursement", e.offer_id) in sent:
            skipped.append(
                {
                    "kind": "disbursement",
                    "subject_id": e.offer_id,
                    "reason": "already_instructed",
                }
            )
            continue
        currency = docs.receivable_currency(e.receivable_id)
        due.append(
            (
                "disbursement",
                e.offer_id,
                e.receivable_id,
                e.offer_id,
                e.funder_id,
                e.holder_id,
                e.proceeds_minor,
                currency,
            )
        )
    return due, skipped


def export_payments(
    ctx: DeskContext, on: date, out_dir: Path, *, user_id: str | None = None
) -> PaymentExport:
    """pain.001.001.09 files for the financing disbursements (funder -> seller, the
    proceeds), maturity settlements (obligor -> holder, what was still owed) and
    partial payments (obligor -> holder, the part paid) with value date
    `on`: one file per paying organisation, one payment block per debtor account and
    value date, EndToEndId = instruction id, an RF creditor reference. Every IBAN and
    BIC is checked before any file is written; the instructions are stored as sent.
    Without anything due, no file is written."""
    result = PaymentExport(on)
    written: list[Path] = []

    def work(uow: UnitOfWork) -> PaymentExport:
        docs = TradeDocuments(uow.connection)
        if user_id is not None:
            actor(uow, user_id, ("operator",), "maker")
        orgs = {o.id: o for o in docs.organisations()}
        due, skipped = due_payments(docs, on)
        result.skipped = skipped
        by_debtor: dict[str, list[tuple[PaymentInstruction, dict[str, Any]]]] = {}
        problems: list[str] = []
        for kind, subject, receivable_id, offer_id, debtor_id, creditor_id, amount, ccy in due:
            debtor, creditor = orgs[debtor_id], orgs[creditor_id]
            missing = [o for o in (debtor, creditor) if not o.iban]
            if missing or not debtor.bic:
                problems.append(
                    f"{kind} {subject}: {missing[0].id if missing else debtor.id}"
                    f" ({(missing[0] if missing else debtor).name}) has no bank "
                    "account (IBAN and BIC) on file"
                )
                continue
            instruction_id = "PAY-" + ctx.service.ids.new("cmd")[4:]
            assert debtor.iban and debtor.bic and creditor.iban
            instruction = PaymentInstruction(
                instruction_id=instruction_id,
                debtor_name=debtor.name[:140],
                debtor_iban=debtor.iban,
                debtor_bic=debtor.bic,
                creditor_name=creditor.name[:140],
                creditor_iban=creditor.iban,
                creditor_bic=creditor.bic,
                amount_minor=amount,
                currency=ccy,
                value_date=on,
                creditor_reference=create_rf_reference(instruction_id[-21:]),
                remittance_text=f"openscf {kind} {receivable_id}"[:140],
            )
            by_debtor.setdefault(debtor_id, []).append(
                (
                    instruction,
                    {
                        "id": instruction_id,
                        "kind": kind,
                        "subject_id": subject,
                        "receivable_id": receivable_id,
                        "offer_id": offer_id,
                        "debtor_org_id": debtor_id,
                        "creditor_org_id": creditor_id,
                    },
                )
            )
        everything = [i for items in by_debtor.values() for i, _ in items]
        problems.extend(f"{e.location}: {e.message}" for e in validate_instructions(everything))
        if problems:
            raise InvalidRequest(
                "invalid_payment_instructions",
                f"no file written: {'; '.join(problems[:10])}",
                "date",
            )
        created = ctx.service.clock.now()
        files: list[tuple[Path, bytes]] = []
        rows: list[dict[str, Any]] = []
        for debtor_id in sorted(by_debtor):
            items = by_debtor[debtor_id]
            message_id = "OSCF-" + ctx.service.ids.new("cmd")[4:]
            try:
                xml = build_pain001(
                    [i for i, _ in items],
                    message_id=message_id,
                    created_at=created,
                    initiating_party=orgs[debtor_id].name[:140],
                )
            except DocumentError as exc:
                raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "date") from None
            path = out_dir / f"pain001-{on.isoformat()}-{message_id}.xml"
            files.append((path, xml))
            total = sum(i.amount_minor for i, _ in items)
            result.files.append(
                {
                    "path": str(path),
                    "message_id": message_id,
                    "debtor_org_id": debtor_id,
                    "transactions": len(items),
                    "control_sum_minor": total,
                    "sha256": sha256_hex(xml),
                }
            )
            for instruction, meta in items:
                rows.append(
                    {
                        **meta,
                        "debtor_iban": instruction.debtor_iban.replace(" ", ""),
                        "debtor_bic": instruction.debtor_bic,
                        "creditor_iban": instruction.creditor_iban.replace(" ", ""),
                        "creditor_bic": instruction.creditor_bic,
                        "amount_minor": instruction.amount_minor,
                        "currency": instruction.currency,
                        "value_date": on,
                        "creditor_reference": instruction.creditor_reference,
                        "message_id": message_id,
                        "file_name": path.name,
                        "status": "sent",
                        "created_at": ctx.now(),
                    }
                )
                result.instructions.append(
                    {
                        "id": instruction.instruction_id,
                        "kind": meta["kind"],
                        "receivable_id": meta["receivable_id"],
                        "from": meta["debtor_org_id"],
                        "to": meta["creditor_org_id"],
                        "amount_minor": instruction.amount_minor,
                        "currency": instruction.currency,
                        "creditor_reference": instruction.creditor_reference,
                    }
                )
        if rows:
            docs.add_payment_instructions(rows)
            out_dir.mkdir(parents=True, exist_ok=True)
            for path, _xml in files:
                if path.exists():
                    raise Conflict("file_exists", f"{path} exists; not overwritten", "out")
            for path, xml in files:
                path.write_bytes(xml)
                written.append(path)
        return result

    try:
        return ctx.service.transaction(work)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def instructions(ctx: DeskContext, *, status: str | None = None) -> list[dict[str, Any]]:
    with reading(ctx.engine) as docs:
        out = []
        for item in docs.payment_instructions(status=status):
            for k, v in item.items():
                if isinstance(v, date):
                    item[k] = v.isoformat()
            out.append(item)
        return out


def payment_is_final(engine: Any, receivable_id: str) -> bool:
    """A settled piece is final once its payment instruction was reconciled."""
    with reading(engine) as docs:
        return docs.settlement_status(receivable_id) == "reconciled"
