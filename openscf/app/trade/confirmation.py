"""The match gate: confirming an imported invoice or payable, and the maker-checker
override that lets a mismatched or flagged one through."""

from __future__ import annotations

import json
from typing import Any

from openscf.app.trade.context import DeskContext, actor
from openscf.app.trade.matching import current_match
from openscf.app.trade.records import StoredDocument, stored_document
from openscf.domain import commands as c
from openscf.domain.errors import Conflict, InvalidRequest
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork


def confirmable(doc: StoredDocument) -> None:
    if doc.kind not in ("invoice", "payable"):
        raise InvalidRequest(
            "not_confirmable",
            f"{doc.id} is a {doc.kind.replace('_', ' ')}; only invoices and payables are confirmed",
            "document_id",
        )
    if doc.status != "imported":
        raise Conflict("document_already_confirmed", f"{doc.id} is {doc.status}", "document_id")


def request_override(
    ctx: DeskContext, user_id: str, document_id: str, note: str = ""
) -> dict[str, Any]:
    """A maker asks a checker to let a mismatched or flagged invoice through."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        docs = TradeDocuments(uow.connection)
        _user, org = actor(uow, user_id, ("anchor",), "maker")
        doc = stored_document(docs, document_id, org.id)
        confirmable(doc)
        status, issues, _ = current_match(docs, doc)
        reasons = (
            []
            if status in ("matched", "erp_approved")
            else [f"match:{status}"] + [f"issue:{i}" for i in issues]
        ) + doc.flags
        if not reasons:
            raise InvalidRequest(
                "override_not_needed",
                f"{doc.id} is matched and not flagged; confirm it",
                "document_id",
            )
        assert doc.program_id is not None
        approval_id = ctx.service.ids.new("apr")
        ctx.service.run_in(
            uow,
            user_id,
            c.RequestMatchOverride(
                doc.program_id,
                doc.id,
                doc.sha256,
                tuple(r[:200] for r in reasons[:50]),
                note,
                approval_id=approval_id,
            ),
            None,
        )
        return {
            "object": "match_override",
            "approval_id": approval_id,
            "document_id": doc.id,
            "reasons": reasons,
            "status": "pending",
        }

    return ctx.service.transaction(work)


def approve_override(ctx: DeskContext, user_id: str, approval_id: str) -> dict[str, Any]:
    """A checker (not the maker) approves a match override."""
    outcome = ctx.service.handle(user_id, c.ApproveMatchOverride(approval_id))
    return {
        "object": "match_override",
        "approval_id": approval_id,
        "status": "approved",
        "events": outcome.events,
    }


def approved_override(docs: TradeDocuments, org_id: str, document_id: str) -> str | None:
    for approval_id, payload in docs.approved_overrides(org_id):
        if payload.get("document_id") == document_id:
            return approval_id
    return None


def confirm(
    ctx: DeskContext, user_id: str, document_id: str, *, override_id: str | None = None
) -> dict[str, Any]:
    """Confirm an imported invoice: the domain lets it through when its three-way
    match (recomputed now) is clean and nothing flags it, or with an approved
    override; then it is an ordinary confirmation (limits, tenor, maker-checker)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        docs = TradeDocuments(uow.connection)
        _user, org = actor(uow, user_id, ("anchor",), "maker")
        doc = stored_document(docs, document_id, org.id)
        confirmable(doc)
        if doc.kind == "invoice" and doc.match_status == "not_an_invoice":
            raise InvalidRequest("not_confirmable", "a credit note is not confirmed", "document_id")
        if doc.due_date is None:
            raise InvalidRequest(
                "missing_due_date",
                f"{doc.id} states no due date (BT-9); it cannot mature",
                "document_id",
            )
        assert doc.program_id and doc.seller_org_id and doc.fingerprint
        assert doc.amount_minor is not None and doc.currency
        status, issues, report = current_match(docs, doc)
        override = override_id or approved_override(docs, org.id, doc.id)
        invoice_id = ctx.service.ids.new("inv")
        receivable_id = ctx.service.ids.new("rcv")
        approval_id = ctx.service.ids.new("apr")
        outcome = ctx.service.run_in(
            uow,
            user_id,
            c.ConfirmTradeInvoice(
                doc.program_id,
                doc.id,
                doc.seller_org_id,
                doc.number,
                doc.amount_minor,
                doc.currency,
                doc.due_date,
                doc.sha256,
                doc.fingerprint,
                status,
                tuple(doc.flags),
                override,
                invoice_id=invoice_id,
                receivable_id=receivable_id,
                approval_id=approval_id,
            ),
            None,
        )
        pending = any(e["type"] == "ConfirmationRequested" for e in outcome.events)
        new_status = "pending_approval" if pending else "confirmed"
        docs.update_document(
            doc.id,
            status=new_status,
            invoice_id=invoice_id,
            receivable_id=receivable_id,
            match_status=status,
            match_json=None if report is None else json.dumps(report),
        )
        return {
            "object": "confirmation",
            "document_id": doc.id,
            "status": new_status,
            "match_status": status,
            "match_issues": issues,
            "override_id": override,
            "invoice_id": invoice_id,
            "receivable_id": receivable_id,
            "approval_id": approval_id if pending else None,
            "amount_minor": doc.amount_minor,
            "currency": doc.currency,
            "due_on": doc.due_date.isoformat(),
        }

    return ctx.service.transaction(work)
