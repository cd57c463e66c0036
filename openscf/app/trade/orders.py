"""Importing the match's other documents: purchase orders and deliveries
(DespatchAdvice, ReceiptAdvice); each import re-matches the invoices on their orders."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openscf.app.trade.context import DeskContext, actor, sha256_hex
from openscf.app.trade.imports import commit_rows
from openscf.app.trade.matching import rematch
from openscf.app.trade.parties import (
    name_party,
    party_values,
    resolve_by_scheme,
    resolve_party,
)
from openscf.app.trade.results import ImportItem, ImportReport, doc_error, error
from openscf.documents.despatch import DeliveryDocument, parse_delivery_element
from openscf.documents.errors import DocumentError
from openscf.documents.order import Order, parse_order_element
from openscf.documents.xml import parse_xml
from openscf.domain.invoice_number import loose_invoice_number_key
from openscf.domain.model import Organisation
from openscf.store.trade_documents import TradeDocuments
from openscf.store.uow import UnitOfWork


def import_orders(
    ctx: DeskContext, user_id: str, files: Sequence[tuple[str, bytes]], *, partial: bool = False
) -> ImportReport:
    """Import the anchor's UBL purchase orders (the buyer's side of the match).

    Both parties are resolved against the network by their identifiers read with their
    schemes (`order_parties`): an order whose buyer is not the importing organisation
    (a hospital's order in a regional authority's export, say) is refused naming the
    buyer, and so is one whose seller is not on the network. A seller that is on the
    network but not yet onboarded into any of the anchor's programs (being onboarded)
    is accepted and flagged `seller_onboarding`.
    """
    return import_trade(ctx, user_id, files, "orders", partial)


def import_deliveries(
    ctx: DeskContext, user_id: str, files: Sequence[tuple[str, bytes]], *, partial: bool = False
) -> ImportReport:
    """Import UBL DespatchAdvice (seller's) and ReceiptAdvice (buyer's) documents."""
    return import_trade(ctx, user_id, files, "despatches", partial)


def import_trade(
    ctx: DeskContext, user_id: str, files: Sequence[tuple[str, bytes]], what: str, partial: bool
) -> ImportReport:
    parsed: list[tuple[ImportItem, Order | DeliveryDocument | None, bytes]] = []
    for name, data in files:
        item = ImportItem(source=name)
        doc: Order | DeliveryDocument | None = None
        try:
            root = parse_xml(data, name)
            doc = (
                parse_order_element(root, name)
                if what == "orders"
                else parse_delivery_element(root, name)
            )
        except DocumentError as exc:
            item.errors.append(doc_error(exc))
        parsed.append((item, doc, data))

    def work(uow: UnitOfWork) -> ImportReport:
        docs = TradeDocuments(uow.connection)
        user, org = actor(uow, user_id, ("anchor",), "maker")
        orgs = docs.organisations()
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str, str]] = set()
        touched: set[str] = set()
        for item, doc, data in parsed:
            if doc is None:
                continue
            if isinstance(doc, Order):
                kind, number, seller_party = "order", doc.order_id, doc.seller
                order_ref: str | None = doc.order_id
                issued, currency, amount = doc.issue_date, doc.currency, doc.payable_minor
            else:
                kind, number, seller_party = doc.kind, doc.document_id, doc.supplier
                order_ref = doc.order_ref or next(
                    (x.order_ref for x in doc.lines if x.order_ref), None
                )
                issued, currency, amount = doc.issue_date, None, None
            item.kind, item.number = kind, number
            if isinstance(doc, Order):
                seller, refusal = order_parties(uow, docs, org, orgs, doc, item)
                if refusal is not None:
                    item.errors.append(refusal)
                    continue
            else:
                seller = resolve_party(seller_party, orgs)
            counterparty = (
                seller.id
                if seller
                else (sorted(party_values(seller_party)) or [seller_party.name or "-"])[0][:200]
            )
            number_key = loose_invoice_number_key(number)
            natural = (kind, counterparty, number_key)
            exists = docs.document_id_by_number(org.id, kind, counterparty, number_key)
            if exists is not None or natural in seen:
                item.errors.append(
                    error(
                        "document_already_imported",
                        f"{kind.replace('_', ' ')} {number} was already imported"
                        + (f" as {exists}" if exists else " (twice in this batch)"),
                        item.source,
                    )
                )
                continue
            seen.add(natural)
            key = loose_invoice_number_key(order_ref) if order_ref else None
            if key:
                touched.add(key)
            item.document_id = ctx.new_id("doc")
            rows.append(
                {
                    "id": item.document_id,
                    "org_id": org.id,
                    "kind": kind,
                    "number": number,
                    "number_key": number_key,
                    "counterparty": counterparty,
                    "program_id": None,
                    "seller_org_id": seller.id if seller else None,
                    "buyer_org_id": org.id,
                    "currency": currency,
                    "amount_minor": amount,
                    "issue_date": issued,
                    "due_date": None,
                    "order_ref": key,
                    "sha256": sha256_hex(data),
                    "source": item.source[:500],
                    "syntax": "ubl",
                    "content": data,
                    "summary_json": json.dumps(
                        {
                            "order_ref": order_ref,
                            "seller": seller_party.name,
                            "lines": len(doc.lines),
                        }
                    ),
                    "findings_json": "[]",
                    "match_status": None,
                    "match_json": None,
                    "fingerprint": None,
                    "flags_json": json.dumps(item.flags),
                    "status": "imported",
                    "invoice_id": None,
                    "receivable_id": None,
                    "imported_by": user.id,
                    "imported_at": ctx.now(),
                    "_item": item,
                }
            )
        report = commit_rows(docs, what, [p[0] for p in parsed], rows, [], partial)
        if report.committed:
            for key in sorted(touched):
                rematch(docs, org.id, key)
        return report

    return ctx.service.transaction(work)


def order_parties(
    uow: UnitOfWork,
    docs: TradeDocuments,
    org: Organisation,
    orgs: Sequence[Organisation],
    order: Order,
    item: ImportItem,
) -> tuple[Organisation | None, dict[str, Any] | None]:
    """(seller, refusal) of an order imported by `org`: the buyer must be `org`, the
    seller an organisation on the network; a seller not onboarded into any program of
    `org` yet is flagged on `item`."""
    buyer = resolve_by_scheme(order.buyer, orgs)
    if buyer is None or buyer.id != org.id:
        who = f"{buyer.name} ({buyer.id}) on the network" if buyer else "not on the network"
        return None, error(
            "buyer_not_importer",
            f"the order's buyer {name_party(order.buyer)} is {who}, not {org.name} "
            f"({org.id}): an organisation imports only its own orders",
            f"{item.source} (BuyerCustomerParty)",
        )
    seller = resolve_by_scheme(order.seller, orgs)
    if seller is None:
        return None, error(
            "unknown_seller",
            f"the order's seller {name_party(order.seller)} is not an organisation on "
            "the network: register it (and onboard it) first, then import the order",
            f"{item.source} (SellerSupplierParty)",
        )
    programs = [p.id for p in docs.programs() if p.anchor_id == org.id]
    if not any(uow.state.relationship(pid, seller.id) is not None for pid in programs):
        item.flags.append("seller_onboarding")
    return seller, None
