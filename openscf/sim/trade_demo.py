"""The trade leg of the demo: invoices from UBL documents, money out as pain.001, back in
as camt.053.

`run_trade_demo(engine, service, out_dir=...)` adds a small supply chain to a running
network (through the app layer only) and walks it through the trade-documents flow:

1. an anchor orders from three suppliers (UBL Orders), the suppliers despatch (UBL
   DespatchAdvices) and invoice (Peppol BIS 3 UBL Invoices), all written to
   `out_dir/documents` and imported: validated, matched three ways, fingerprinted;
2. two invoices match and are confirmed; the third bills more than was delivered, so
   the gate refuses it until a checker approves an override (both signed in the log);
   the same invoice presented again is refused by the duplicate-financing registry;
3. a supplier sells its receivable to the funder; the disbursement leaves as a pain.001
   file on the offer's value date;
4. the clock moves to maturity, the anchor settles, the settlements leave as pain.001;
5. the demo plays the bank: it books every transfer and writes one camt.053 per account,
   which the platform imports and reconciles: each payment becomes final
   (`PaymentReconciled` in the log).

It moves the service's clock (a `FixedClock`) forward to the maturity, so call it after
the rest of the demo. Deterministic for a seeded service.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from openscf.app.service import NetworkService
from openscf.app.trade import TradeDesk
from openscf.documents.bank_sim import execute_pain001, write_camt053
from openscf.documents.ubl_build import (
    Delivered,
    TradeLine,
    TradeParty,
    build_despatch_advice,
    build_invoice,
    build_order,
)
from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.money import format_minor
from openscf.domain.validation import make_iban
from openscf.sim.network_builder import Firm, NetworkBuilder
from openscf.store import tables as t
from openscf.store.uow import unit_of_work

__all__ = ["TradeDemoResult", "run_trade_demo"]

BIC = "COBADEFFXXX"
CATALOGUE = (
    ("SKU-AX-10", "Axle blank 40 mm", Decimal("18.40")),
    ("SKU-BR-22", "Bearing housing", Decimal("42.75")),
    ("SKU-GS-05", "Gasket set", Decimal("3.10")),
)


def trade_documents(
    order_id: str,
    invoice_number: str,
    invoice_file: str,
    buyer: TradeParty,
    seller: TradeParty,
    lines: list[TradeLine],
    shipped: list[Decimal],
    *,
    ordered_on: date,
    shipped_on: date,
    invoiced_on: date,
    due_on: date,
) -> dict[str, tuple[str, bytes]]:
    """One trade as UBL: the order, a despatch advice shipping `shipped` of each line, and
    an invoice billing every line in full, by kind ("orders", "despatches", "invoices"):
    (file name, bytes). Where shipped < ordered, the three-way match fails."""
    billed = [
        TradeLine(
            x.line_id, x.item_id, x.description, x.quantity, x.unit_price, order_line_id=x.line_id
        )
        for x in lines
    ]
    return {
        "orders": (f"{order_id}.xml", build_order(order_id, ordered_on, buyer, seller, lines)),
        "despatches": (
            f"DA-{order_id}.xml",
            build_despatch_advice(
                f"DA-{order_id}",
                shipped_on,
                order_id,
                seller,
                buyer,
                [
                    Delivered(x.line_id, x.line_id, x.item_id, x.description, q)
                    for x, q in zip(lines, shipped, strict=True)
                ],
            ),
        ),
        "invoices": (
            invoice_file,
            build_invoice(
                invoice_number,
                invoiced_on,
                due_on,
                seller,
                buyer,
                billed,
                order_id=order_id,
                despatch_id=f"DA-{order_id}",
            ),
        ),
    }


def _iban(account: int) -> str:
    return make_iban("DE", f"50010517{account:010d}")


@dataclass
class TradeDemoResult:
    documents: dict[str, int] = field(default_factory=dict)
    confirmed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    payment_files: list[str] = field(default_factory=list)
    statement_files: list[str] = field(default_factory=list)
    instructions: int = 0
    reconciled: int = 0
    unmatched_entries: int = 0
    final_settlements: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.instructions > 0
            and self.reconciled == self.instructions
            and (self.unmatched_entries == 0)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "confirmed": self.confirmed,
            "refused": self.refused,
            "overrides": self.overrides,
            "payment_files": self.payment_files,
            "statement_files": self.statement_files,
            "instructions": self.instructions,
            "reconciled": self.reconciled,
            "unmatched_entries": self.unmatched_entries,
            "final_settlements": self.final_settlements,
        }


def _operator_user(engine: Engine) -> str:
    with engine.connect() as conn:
        orgs = [
            (oid, json.loads(roles))
            for oid, roles in conn.execute(select(t.organisations.c.id, t.organisations.c.roles))
        ]
        for oid, roles in orgs:
            if "operator" not in roles:
                continue
            for uid, perms in conn.execute(
                select(t.users.c.id, t.users.c.permissions)
                .where(t.users.c.org_id == oid)
                .order_by(t.users.c.id)
            ):
                if "admin" in json.loads(perms):
                    return str(uid)
    raise LookupError("the network has no operator admin; bootstrap it first")


def run_trade_demo(
    engine: Engine,
    service: NetworkService,
    *,
    out_dir: Path,
    operator_user: str | None = None,
    data_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> TradeDemoResult:
    """Run the trade leg on a bootstrapped network; files go under `out_dir`."""
    clock = service.clock
    if not hasattr(clock, "set"):
        raise TypeError("the trade demo moves time to maturity: give the service a FixedClock")
    op = operator_user or _operator_user(engine)
    desk = TradeDesk(service, data_dir=data_dir)
    result = TradeDemoResult()
    docs_dir, pay_dir, bank_dir = out_dir / "documents", out_dir / "payments", out_dir / "bank"
    for d in (docs_dir, pay_dir, bank_dir):
        d.mkdir(parents=True, exist_ok=True)

    progress("trade demo: firms and program")
    parties: dict[str, TradeParty] = {}
    users: dict[str, str] = {}

    builder = NetworkBuilder(service, op)

    def firm(name: str, role: str, n: int) -> Firm:
        lei, iban = f"529900DEMOTRADE{n:03d}XX", _iban(7000 + n)
        made = builder.firm(
            name, (role,), user_name=f"{name} treasury", lei=lei, iban=iban, bic=BIC
        )
        users[made.org_id] = made.user_id
        parties[made.org_id] = TradeParty(
            name,
            "DE",
            lei=lei,
            vat_id=f"DE{300000000 + n}",
            iban=iban,
            bic=BIC,
            city="Stuttgart",
            postal_zone="70173",
        )
        return made

    anchor_firm = firm("Neckar Maschinenbau AG", "anchor", 1)
    anchor = anchor_firm.org_id
    checker = builder.user(anchor, "Neckar controller", ("checker",))
    funder_firm = firm("Schwaben Trade Finance Bank", "funder", 2)
    funder = funder_firm.org_id
    supplier_firms = [
        firm(name, "supplier", 10 + i)
        for i, name in enumerate(
            ("Filder Praezisionsteile GmbH", "Remstal Lager GmbH", "Alb Dichtungen KG")
        )
    ]
    suppliers = [s.org_id for s in supplier_firms]
    maker = users[anchor]
    program = builder.program(
        anchor_firm,
        "Neckar supplier finance",
        funders=[funder_firm],
        suppliers=suppliers,
        max_tenor_days=120,
        program_limit_minor=50_000_000_00,
        supplier_limit_minor=5_000_000_00,
        funder_limit_minor=20_000_000_00,
        approval_threshold_minor=1_000_000_00,
    )
    desk.set_tolerance(maker, program, price_bps=50, quantity_bps=0)

    progress("trade demo: orders, despatch advices and invoices (UBL)")
    today = clock.now().date()
    due = today + timedelta(days=60)
    files: dict[str, list[tuple[str, bytes]]] = {"orders": [], "despatches": [], "invoices": []}
    for i, supplier in enumerate(suppliers):
        seller, buyer = parties[supplier], parties[anchor]
        order_id = f"NMB-PO-{4711 + i}"
        lines = [
            TradeLine(str(n + 1), sku, name, Decimal(100 * (n + 1) * (i + 1)), price)
            for n, (sku, name, price) in enumerate(CATALOGUE)
        ]
        # The third supplier despatched only 150 of the 300 axle blanks it invoices.
        shipped = [
            line.quantity if (i, n) != (2, 0) else Decimal(150) for n, line in enumerate(lines)
        ]
        number = f"{''.join(filter(str.isalpha, seller.name))[:4].upper()}-2026-{101 + i}"
        written = trade_documents(
            order_id,
            number,
            f"INV-{order_id}.xml",
            buyer,
            seller,
            lines,
            shipped,
            ordered_on=today - timedelta(days=20),
            shipped_on=today - timedelta(days=6),
            invoiced_on=today - timedelta(days=2),
            due_on=due,
        )
        for kind, (name, data) in written.items():
            (docs_dir / name).write_bytes(data)
            files[kind].append((str(docs_dir / name), data))
    desk.import_orders(maker, files["orders"])
    desk.import_deliveries(maker, files["despatches"])
    report = desk.import_invoices(maker, files["invoices"], program_id=program)
    if not report.ok:  # pragma: no cover - the demo's own documents are valid
        raise AssertionError(json.dumps(report.to_dict()))
    result.documents = {k: len(v) for k, v in files.items()}

    progress("trade demo: the three-way match gate")
    receivables: list[str] = []
    for item in report.items:
        assert item.document_id is not None
        try:
            out = desk.confirm(maker, item.document_id)
        except OpenSCFError as exc:
            result.refused.append(
                {
                    "attempt": f"confirm {item.number} ({', '.join(item.match_issues)})",
                    "code": exc.code,
                }
            )
            override = desk.request_override(
                maker, item.document_id, "short delivery agreed; rest follows next week"
            )
            desk.approve_override(checker, override["approval_id"])
            result.overrides.append(
                {
                    "document_id": item.document_id,
                    "approval_id": override["approval_id"],
                    "reasons": override["reasons"],
                }
            )
            out = desk.confirm(maker, item.document_id)
        receivables.append(out["receivable_id"])
        result.confirmed.append(
            {
                "invoice": item.number,
                "receivable_id": out["receivable_id"],
                "amount_minor": out["amount_minor"],
                "match_status": out["match_status"],
                "override_id": out["override_id"],
            }
        )
    again = desk.import_payables(
        maker,
        "erp-payables.csv",
        (
            "invoice_number,invoice_date,due_date,currency,amount,supplier_id,order_number,"
            f"disputed\n{report.items[0].number},{(today - timedelta(days=2)).isoformat()},"
            f"{due.isoformat()},EUR,{format_minor(result.confirmed[0]['amount_minor'], 'EUR')},"
            f"{suppliers[0]},NMB-PO-4711,false\n"
        ).encode(),
        program_id=program,
    )
    for item in again.items:
        for error in item.errors:
            result.refused.append(
                {
                    "attempt": f"the same invoice again from the ERP ({item.number})",
                    "code": error["code"],
                }
            )

    progress("trade demo: financing and the disbursement (pain.001)")
    seller_user = users[suppliers[0]]
    request = service.handle(seller_user, c.RequestFinancing(receivables[0])).created["request_id"]
    offer = service.handle(users[funder], c.OfferFinancing(request, "0.041", today)).created[
        "offer_id"
    ]
    sold = service.handle(seller_user, c.AcceptFinancingOffer(offer)).created["new_receivable_id"]
    receivables[0] = sold
    exports = [desk.export_payments(today, pay_dir)]

    progress("trade demo: maturity, settlement (pain.001)")
    with unit_of_work(engine) as uow:
        maturity = max(
            p.due_on for p in (uow.state.receivable(r) for r in receivables) if p is not None
        )
    clock.set(datetime.combine(maturity, time(9, 0), tzinfo=UTC))
    for rid in receivables:
        service.handle(maker, c.SettleReceivable(rid))
    exports.append(desk.export_payments(maturity, pay_dir))
    result.payment_files = [f["path"] for e in exports for f in e.files]
    result.instructions = sum(len(e.instructions) for e in exports)

    progress("trade demo: the bank's camt.053 statements, reconciled")
    booked = [
        p
        for path in result.payment_files
        for p in execute_pain001(Path(path).read_bytes(), path, reference_prefix="SWB")
    ]
    for n, account in enumerate(sorted({p.debtor_iban for p in booked}), start=1):
        data = write_camt053(
            account,
            "EUR",
            booked,
            statement_date=maturity,
            opening_minor=100_000_000_00,
            message_id=f"SWB-STMT-{n:04d}",
            created_at=datetime.combine(maturity, time(22, 0), tzinfo=UTC),
        )
        path = bank_dir / f"camt053-{account}.xml"
        path.write_bytes(data)
        result.statement_files.append(str(path))
        statement = desk.import_statement(str(path), data, user_id=op)
        result.reconciled += len(statement.reconciled)
        result.unmatched_entries += len(statement.unmatched_entries)
        result.final_settlements += [
            r["receivable_id"] for r in statement.reconciled if r["kind"] == "settlement"
        ]
    return result
