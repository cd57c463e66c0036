"""Stored trade documents: the row as the use cases see it, and reading them back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from openscf.app.trade.context import DeskContext
from openscf.domain.errors import NotFound
from openscf.store.trade_documents import TradeDocuments, reading

INVOICE_KINDS = ("invoice", "credit_note")
DELIVERY_KINDS = ("despatch_advice", "receipt_advice")


@dataclass(frozen=True)
class StoredDocument:
    """A stored trade document row."""

    id: str
    org_id: str
    kind: str
    number: str
    program_id: str | None
    seller_org_id: str | None
    buyer_org_id: str | None
    currency: str | None
    amount_minor: int | None
    issue_date: date | None
    due_date: date | None
    order_ref: str | None
    sha256: str
    source: str
    content: bytes | None
    summary: dict[str, Any]
    match_status: str | None
    match: dict[str, Any] | None
    fingerprint: str | None
    flags: list[str]
    status: str
    invoice_id: str | None
    receivable_id: str | None

    @classmethod
    def of(cls, m: dict[str, Any]) -> StoredDocument:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else value

        return cls(
            m["id"],
            m["org_id"],
            m["kind"],
            m["number"],
            m["program_id"],
            m["seller_org_id"],
            m["buyer_org_id"],
            m["currency"],
            None if m["amount_minor"] is None else int(m["amount_minor"]),
            day(m["issue_date"]),
            day(m["due_date"]),
            m["order_ref"],
            m["sha256"],
            m["source"],
            None if m["content"] is None else bytes(m["content"]),
            json.loads(m["summary_json"]),
            m["match_status"],
            None if m["match_json"] is None else json.loads(m["match_json"]),
            m["fingerprint"],
            json.loads(m["flags_json"]),
            m["status"],
            m["invoice_id"],
            m["receivable_id"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "trade_document",
            "id": self.id,
            "org_id": self.org_id,
            "kind": self.kind,
            "number": self.number,
            "program_id": self.program_id,
            "seller_org_id": self.seller_org_id,
            "buyer_org_id": self.buyer_org_id,
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "order_ref": self.summary.get("order_ref"),
            "sha256": self.sha256,
            "source": self.source,
            "status": self.status,
            "match_status": self.match_status,
            "match": self.match,
            "fingerprint": self.fingerprint,
            "flags": self.flags,
            "invoice_id": self.invoice_id,
            "receivable_id": self.receivable_id,
            "findings": self.summary.get("findings", []),
        }


def stored_document(docs: TradeDocuments, document_id: str, org_id: str | None) -> StoredDocument:
    row = docs.document(document_id)
    if row is None or (org_id is not None and row["org_id"] != org_id):
        raise NotFound("unknown_document", f"no trade document {document_id!r}", "document_id")
    return StoredDocument.of(row)


def document(ctx: DeskContext, document_id: str, *, org_id: str | None = None) -> dict[str, Any]:
    with reading(ctx.engine) as docs:
        doc = stored_document(docs, document_id, org_id)
        out = doc.to_dict()
        if (
            doc.status == "pending_approval"
            and doc.invoice_id
            and docs.invoice_exists(doc.invoice_id)
        ):
            out["status"] = "confirmed"
        return out


def documents(
    ctx: DeskContext,
    *,
    org_id: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    with reading(ctx.engine) as docs:
        return [
            StoredDocument.of(row).to_dict()
            for row in docs.documents(org_id=org_id, kind=kind, status=status, limit=limit)
        ]
