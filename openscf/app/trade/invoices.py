"""Importing UBL / CII invoices and credit notes: validated, recognised, fingerprinted
and matched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openscf.app.trade.context import DeskContext, actor, program_of, sha256_hex
from openscf.app.trade.fingerprints import (
    external_duplicates,
    fingerprint_holder,
    near_duplicates,
)
from openscf.app.trade.imports import commit_rows
from openscf.app.trade.matching import match_invoice, tolerance_of
from openscf.app.trade.parties import describe_party, party_key, resolve_party
from openscf.app.trade.results import ImportItem, ImportReport, doc_error, error
from openscf.documents.errors import DocumentError
from openscf.documents.fingerprint import FingerprintIndex, InvoiceKey, fingerprint
from openscf.documents.parse import detect_syntax, parse_invoice_element
from openscf.documents.validation import validate_invoice_element
from openscf.documents.xml import parse_xml
from openscf.domain.errors import NotFound
from openscf.domain.invoice_number import loose_invoice_number_key
from openscf.domain.money import format_amount
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork


def parse_invoice(ctx: DeskContext, name: str, data: bytes) -> tuple[ImportItem, Any]:
    item = ImportItem(source=name)
    try:
        root = parse_xml(data, name)
        detect_syntax(root, name)
        report = validate_invoice_element(
            root, data, data_dir=ctx.data_dir, stages=ctx.validation_stages
        )
        item.findings = [
            {
                "rule_id": f.rule_id,
                "severity": f.severity,
                "location": f.location,
                "message": f.message,
            }
            for f in report.findings
        ]
        item.stages_skipped = [f"{stage}: {why}" for stage, why in report.stages_skipped]
        invoice = parse_invoice_element(root, name)
        item.kind, item.number = invoice.kind, invoice.number
    except DocumentError as exc:
        item.errors.append(doc_error(exc))
        return item, None
    fatal = [f for f in report.findings if f.severity == "fatal"]
    if fatal:
        first = "; ".join(
            f"{f.rule_id} at {f.location or 'document'}: {f.message}" for f in fatal[:3]
        )
        item.errors.append(
            error("invalid_invoice", f"{len(fatal)} fatal validation finding(s): {first}", name)
        )
        return item, None
    return item, invoice


def import_invoices(
    ctx: DeskContext,
    user_id: str,
    files: Sequence[tuple[str, bytes]],
    *,
    program_id: str | None = None,
    supplier_id: str | None = None,
    partial: bool = False,
) -> ImportReport:
    """Import UBL / CII invoices and credit notes for the acting anchor.

    Each file is parsed safely, validated (XSD when installed, the native EN 16931
    rules always, the official rules when installed), its seller recognised (by LEI,
    name or IBAN; `supplier_id` to say it), its canonical fingerprint registered (a
    second presentation is refused: `duplicate_invoice`), near-duplicates flagged, and
    its three-way match computed. Any error: nothing is imported, unless `partial`.
    """
    parsed = [(*parse_invoice(ctx, name, data), data) for name, data in files]

    def work(uow: UnitOfWork) -> ImportReport:
        docs = TradeDocuments(uow.connection)
        user, org = actor(uow, user_id, ("anchor",), "maker")
        program = program_of(docs, org, program_id)
        tolerance = tolerance_of(docs, program.id)
        orgs = docs.organisations()
        supplier = None
        if supplier_id is not None:
            supplier = next((o for o in orgs if o.id == supplier_id), None)
            if supplier is None:
                raise NotFound(
                    "unknown_organisation", f"no organisation {supplier_id!r}", "supplier_id"
                )
        rows: list[dict[str, Any]] = []
        fingerprints: list[dict[str, Any]] = []
        indexes: dict[tuple[str, str], FingerprintIndex] = {}
        batch_fps: dict[str, str] = {}
        batch_numbers: set[tuple[str, str, str]] = set()
        for item, invoice, data in parsed:
            if invoice is None:
                continue
            seller = supplier or resolve_party(invoice.seller, orgs, invoice.payment_iban)
            if seller is None:
                item.errors.append(
                    error(
                        "unknown_seller",
                        f"the seller {describe_party(invoice.seller)} is not an "
                        "organisation on the network (give --supplier)",
                        f"{item.source} (AccountingSupplierParty)",
                    )
                )
                continue
            buyer = resolve_party(invoice.buyer, orgs)
            if buyer is not None and buyer.id != org.id:
                item.errors.append(
                    error(
                        "buyer_not_importer",
                        f"the invoice is addressed to {buyer.name} ({buyer.id}), not to {org.name}",
                        f"{item.source} (AccountingCustomerParty)",
                    )
                )
                continue
            number_key = loose_invoice_number_key(invoice.number)
            kind = invoice.kind
            natural = (kind, seller.id, number_key)
            existing = docs.document_id_by_number(org.id, kind, seller.id, number_key)
            if existing is not None or natural in batch_numbers:
                item.errors.append(
                    error(
                        "document_already_imported",
                        f"{kind.replace('_', ' ')} "
                        f"{invoice.number} of {seller.id} was already imported"
                        + (f" as {existing}" if existing else " (twice in this batch)"),
                        item.source,
                    )
                )
                continue
            doc_id = ctx.new_id("doc")
            item.document_id = doc_id
            fp: str | None = None
            flags: list[str] = []
            if kind == "invoice":
                key = InvoiceKey(
                    party_key(seller),
                    party_key(org),
                    invoice.number,
                    invoice.payable_minor,
                    invoice.currency,
                    invoice.issue_date,
                )
                fp = fingerprint(key)
                holder = fingerprint_holder(docs, fp, batch_fps)
                if holder is not None:
                    item.errors.append(
                        error(
                            "duplicate_invoice",
                            f"invoice {invoice.number} of {seller.id} "
                            f"(amount {format_amount(invoice.payable_minor, invoice.currency)}"
                            f", issued {invoice.issue_date}) is already registered on the "
                            f"network as {holder}: one invoice backs at most one receivable",
                            item.source,
                        )
                    )
                    continue
                flags = near_duplicates(docs, indexes, key, doc_id)
                flags.extend(external_duplicates(ctx, docs, key))
                batch_fps[fp] = doc_id
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
            status, issues, report = match_invoice(docs, org.id, invoice, tolerance)
            item.match_status, item.match_issues, item.flags = status, issues, flags
            batch_numbers.add(natural)
            rows.append(
                {
                    "id": doc_id,
                    "org_id": org.id,
                    "kind": kind,
                    "number": invoice.number,
                    "number_key": number_key,
                    "counterparty": seller.id,
                    "program_id": program.id,
                    "seller_org_id": seller.id,
                    "buyer_org_id": org.id,
                    "currency": invoice.currency,
                    "amount_minor": invoice.payable_minor,
                    "issue_date": invoice.issue_date,
                    "due_date": invoice.due_date,
                    "order_ref": (
                        loose_invoice_number_key(invoice.order_ref) if invoice.order_ref else None
                    ),
                    "sha256": sha256_hex(data),
                    "source": item.source[:500],
                    "syntax": invoice.syntax,
                    "content": data,
                    "summary_json": json.dumps(
                        {
                            "order_ref": invoice.order_ref,
                            "despatch_ref": invoice.despatch_ref,
                            "seller": invoice.seller.name,
                            "payment_iban": invoice.payment_iban,
                            "findings": item.findings,
                        }
                    ),
                    "findings_json": json.dumps(item.findings),
                    "match_status": status,
                    "match_issues": issues,
                    "match_json": None if report is None else json.dumps(report),
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
        return commit_rows(docs, "invoices", [p[0] for p in parsed], rows, fingerprints, partial)

    return ctx.service.transaction(work)
