"""Importing an anchor's ERP approved-payables CSV (docs/payables-csv.md)."""

from __future__ import annotations

import json
from typing import Any

from openscf.app.trade.context import DeskContext, actor, program_of, sha256_hex
from openscf.app.trade.fingerprints import (
    external_duplicates,
    fingerprint_holder,
    near_duplicates,
)
from openscf.app.trade.imports import commit_rows
from openscf.app.trade.parties import party_key
from openscf.app.trade.results import ImportItem, ImportReport, doc_error, error
from openscf.documents.fingerprint import FingerprintIndex, InvoiceKey, fingerprint
from openscf.documents.payables_csv import PayableRow, parse_payables_csv
from openscf.domain.invoice_number import loose_invoice_number_key
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork


def import_payables(
    ctx: DeskContext,
    user_id: str,
    name: str,
    data: bytes,
    *,
    program_id: str | None = None,
    partial: bool = False,
) -> ImportReport:
    """Import an anchor's approved-payables CSV (docs/payables-csv.md).

    `supplier_id` in the file is the supplier's openscf organisation id or LEI. Every
    row gets a result; a file-level error imports nothing, and so does any row error
    unless `partial`. Rows are ERP-approved: their match status is `erp_approved`
    (a disputed row is `disputed` and needs an override to be confirmed).
    """
    parsed = parse_payables_csv(data, source=name)
    items: list[ImportItem] = []
    if parsed.fatal is not None:
        items.append(
            ImportItem(source=name, line=parsed.fatal.line, errors=[doc_error(parsed.fatal)])
        )
    for row in parsed.rows:
        item = ImportItem(
            source=name,
            line=row.line,
            kind="payable",
            number=row.row.invoice_number if row.row else None,
            errors=[doc_error(e) for e in row.errors],
        )
        items.append(item)
    if parsed.fatal is not None:
        return ImportReport("payables", items, partial=partial)

    def work(uow: UnitOfWork) -> ImportReport:
        docs = TradeDocuments(uow.connection)
        user, org = actor(uow, user_id, ("anchor",), "maker")
        program = program_of(docs, org, program_id)
        orgs = docs.organisations()
        rows: list[dict[str, Any]] = []
        fingerprints: list[dict[str, Any]] = []
        indexes: dict[tuple[str, str], FingerprintIndex] = {}
        batch_fps: dict[str, str] = {}
        for item, result in zip(items, parsed.rows, strict=True):
            if result.row is None:
                continue
            p: PayableRow = result.row
            seller = next((o for o in orgs if p.supplier_id in (o.id, o.lei)), None)
            if seller is None:
                item.errors.append(
                    error(
                        "unknown_supplier",
                        f"supplier_id {p.supplier_id!r} is not an "
                        "organisation id or LEI on the network",
                        f"{name}:{p.line} (supplier_id)",
                    )
                )
                continue
            number_key = loose_invoice_number_key(p.invoice_number)
            exists = docs.document_id_by_number(org.id, "payable", seller.id, number_key)
            if exists is not None:
                item.errors.append(
                    error(
                        "document_already_imported",
                        f"payable {p.invoice_number} of "
                        f"{seller.id} was already imported as {exists}",
                        f"{name}:{p.line} (invoice_number)",
                    )
                )
                continue
            key = InvoiceKey(
                party_key(seller),
                party_key(org),
                p.invoice_number,
                p.amount_minor,
                p.currency,
                p.invoice_date,
            )
            fp = fingerprint(key)
            holder = fingerprint_holder(docs, fp, batch_fps)
            if holder is not None:
                item.errors.append(
                    error(
                        "duplicate_invoice",
                        f"invoice {p.invoice_number} of {seller.id} is "
                        f"already registered on the network as {holder}",
                        f"{name}:{p.line} (invoice_number)",
                    )
                )
                continue
            doc_id = ctx.new_id("doc")
            item.document_id = doc_id
            flags = near_duplicates(docs, indexes, key, doc_id)
            flags.extend(external_duplicates(ctx, docs, key))
            batch_fps[fp] = doc_id
            status = "disputed" if p.disputed else "erp_approved"
            item.match_status, item.flags = status, flags
            canonical = json.dumps(
                {
                    "invoice_number": p.invoice_number,
                    "invoice_date": p.invoice_date.isoformat(),
                    "due_date": p.due_date.isoformat(),
                    "currency": p.currency,
                    "amount_minor": p.amount_minor,
                    "supplier_id": p.supplier_id,
                    "order_number": p.order_number,
                    "disputed": p.disputed,
                },
                sort_keys=True,
            )
            fingerprints.append(
                {
                    "fingerprint": fp,
                    "document_id": doc_id,
                    "seller_key": key.seller_id,
                    "buyer_key": key.buyer_id,
                    "number": key.number,
                    "amount_minor": key.amount_minor,
                    "currency": key.currency,
                    "issue_date": key.issue_date,
                    "registered_at": ctx.now(),
                }
            )
            rows.append(
                {
                    "id": doc_id,
                    "org_id": org.id,
                    "kind": "payable",
                    "number": p.invoice_number,
                    "number_key": number_key,
                    "counterparty": seller.id,
                    "program_id": program.id,
                    "seller_org_id": seller.id,
                    "buyer_org_id": org.id,
                    "currency": p.currency,
                    "amount_minor": p.amount_minor,
                    "issue_date": p.invoice_date,
                    "due_date": p.due_date,
                    "order_ref": (
                        loose_invoice_number_key(p.order_number) if p.order_number else None
                    ),
                    "sha256": sha256_hex(canonical.encode()),
                    "source": f"{name}:{p.line}"[:500],
                    "syntax": "csv",
                    "content": None,
                    "summary_json": json.dumps({"order_ref": p.order_number, "row": p.line}),
                    "findings_json": "[]",
                    "match_status": status,
                    "match_json": None,
                    "fingerprint": fp,
                    "flags_json": json.dumps(flags),
                    "status": "imported",
                    "invoice_id": None,
                    "receivable_id": None,
                    "imported_by": user.id,
                    "imported_at": ctx.now(),
                    "_item": item,
                }
            )
        return commit_rows(docs, "payables", items, rows, fingerprints, partial)

    return ctx.service.transaction(work)
