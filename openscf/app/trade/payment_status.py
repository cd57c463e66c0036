"""The bank's answer to a payment file: a pain.002 marks its instructions accepted or
rejected, so that a rejected payment is never reconciled, never final, never settled."""

from __future__ import annotations

from typing import Any

from openscf.app.trade.context import DeskContext, actor
from openscf.app.trade.results import PaymentStatusImport
from openscf.app.trade.statements import operator_user
from openscf.documents.errors import DocumentError
from openscf.documents.pain002 import PaymentStatusReport, outcome_of, parse_pain002
from openscf.domain.errors import InvalidRequest, NotFound
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork

# Which status an instruction may move to from which: the bank may reject what it first
# accepted technically (ACTC, then RJCT); nothing moves a reconciled or rejected one.
_MOVES = {("sent", "accepted"), ("sent", "rejected"), ("accepted", "rejected")}


def _decisions(
    report: PaymentStatusReport, rows: list[dict[str, Any]]
) -> dict[str, tuple[str, str]]:
    """instruction id -> (status code, reasons) decided by the report: a transaction's
    own status first, else its block's (openscf writes one block per debtor account and
    value date, and one file per debtor and day), else the group's."""
    ids = {r["id"] for r in rows}
    out: dict[str, tuple[str, str]] = {}
    for block in report.blocks:
        for tx in block.transactions:
            iid = next((x for x in (tx.end_to_end_id, tx.instruction_id) if x in ids), None)
            if iid is not None and tx.status:
                out[iid] = (tx.status, "; ".join(tx.reasons))
    for block in report.blocks:
        if block.status and not block.transactions:
            for iid in ids - out.keys():
                out[iid] = (block.status, "; ".join(block.reasons))
    if report.group_status:
        for iid in ids - out.keys():
            out[iid] = (report.group_status, "; ".join(report.group_reasons))
    return out


def import_payment_status(
    ctx: DeskContext, name: str, data: bytes, *, user_id: str | None = None
) -> PaymentStatusImport:
    """Read a pain.002 and mark the instructions of the payment file it answers
    (`OrgnlMsgId`) accepted or rejected by the bank, with the reason. The operator does
    this; a report for a file openscf did not write is refused naming the file id."""
    try:
        report = parse_pain002(data, name)
    except DocumentError as exc:
        raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "file") from None

    def work(uow: UnitOfWork) -> PaymentStatusImport:
        docs = TradeDocuments(uow.connection)
        actor(uow, user_id or operator_user(docs), ("operator",), "maker")
        rows = docs.instructions_of_message(report.original_message_id)
        if not rows:
            raise NotFound(
                "unknown_payment_file",
                f"{name}: the status report answers payment file "
                f"{report.original_message_id}, which openscf did not write; nothing changed",
                "file",
            )
        result = PaymentStatusImport(name, report.message_id, report.original_message_id)
        decided = _decisions(report, rows)
        for row in rows:
            code, reasons = decided.get(row["id"], (None, ""))
            wanted = outcome_of(code)
            if wanted is None or (row["status"], wanted) not in _MOVES:
                if wanted is not None and wanted != row["status"]:
                    result.unchanged.append(
                        {"instruction_id": row["id"], "status": row["status"], "bank": code}
                    )
                continue
            note = f"pain.002 {report.message_id}: {code} {reasons}".strip()
            docs.set_instruction_status(row["id"], wanted, note)
            if wanted == "accepted":
                result.accepted.append(row["id"])
            else:
                result.rejected.append(
                    {"instruction_id": row["id"], "kind": row["kind"], "reason": reasons}
                )
        return result

    return ctx.transaction(work)
