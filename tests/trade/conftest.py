"""A small trade network on a real database, and the documents its firms exchange.

Each organisation has its own bank account and LEI, so that documents are recognised by
identifier and payments go from one account to another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from openscf.app import FixedClock, NetworkService
from openscf.app.trade import TradeDesk
from openscf.documents.ubl_build import (
    Delivered,
    TradeLine,
    TradeParty,
    build_despatch_advice,
    build_invoice,
    build_order,
)
from openscf.domain.validation import make_iban
from openscf.sim.network_builder import BIC, Firm, NetworkBuilder

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def german_iban(account: int, bank: str = "37040044") -> str:
    """A valid German IBAN for an account number (mod-97 check digits computed)."""
    return make_iban("DE", f"{bank}{account:010d}")


@dataclass
class TradeNet:
    svc: NetworkService
    desk: TradeDesk
    clock: FixedClock
    operator_user: str
    anchor: str
    anchor_user: str
    anchor_checker: str
    anchor_admin: str
    funder: str
    funder_user: str
    suppliers: list[str]
    supplier_users: list[str]
    program_id: str
    parties: dict[str, TradeParty]

    def party(self, org_id: str) -> TradeParty:
        return self.parties[org_id]


LINES = (
    TradeLine("1", "SKU-BOLT", "Bolts M8", Decimal("1000"), Decimal("0.45"), order_line_id="1"),
    TradeLine("2", "SKU-NUT", "Nuts M8", Decimal("500"), Decimal("0.12"), order_line_id="2"),
)


def build_trade_net(
    engine: Engine,
    *,
    threshold: int = 10**12,
    data_dir: Path | None = None,
    start: datetime = START,
) -> TradeNet:
    clock = FixedClock(start)
    svc = NetworkService(engine, clock, seed=11)
    builder = NetworkBuilder(svc)
    parties: dict[str, TradeParty] = {}

    def firm(name: str, role: str, n: int) -> Firm:
        iban, lei = german_iban(1000 + n), f"5299000TRADE{n:06d}XX"
        made = builder.firm(name, (role,), lei=lei, iban=iban)
        parties[made.org_id] = TradeParty(
            name, "DE", lei=lei, vat_id=f"DE{100000000 + n}", iban=iban, bic=BIC
        )
        return made

    anchor = firm("Anchor Industries AG", "anchor", 1)
    checker = builder.user(anchor.org_id, "controller", ("checker",))
    funder = firm("Hansa Bank AG", "funder", 2)
    sups = [firm(f"Supplier {i} GmbH", "supplier", 10 + i) for i in range(3)]
    prg = builder.program(
        anchor, "Trade", funders=[funder], suppliers=sups, approval_threshold_minor=threshold
    )
    return TradeNet(
        svc,
        TradeDesk(svc, data_dir=data_dir),
        clock,
        builder.operator_user,
        anchor.org_id,
        anchor.user_id,
        checker,
        anchor.user_id,
        funder.org_id,
        funder.user_id,
        [s.org_id for s in sups],
        [s.user_id for s in sups],
        prg,
        parties,
    )


@pytest.fixture
def tnet(engine: Engine, rules_dir: Path) -> TradeNet:
    return build_trade_net(engine, data_dir=rules_dir)


def trade_documents(
    net: TradeNet,
    *,
    supplier: int = 0,
    order_id: str = "PO-100",
    number: str = "INV-100",
    lines: tuple[TradeLine, ...] = LINES,
    delivered: tuple[Decimal, ...] | None = None,
    issue: date = date(2026, 3, 1),
    due: date = date(2026, 5, 29),
) -> tuple[bytes, bytes, bytes]:
    """(order, despatch advice, invoice) for one trade between the anchor and a supplier."""
    seller = net.party(net.suppliers[supplier])
    buyer = net.party(net.anchor)
    ordered = tuple(
        TradeLine(x.line_id, x.item_id, x.description, x.quantity, x.unit_price) for x in LINES
    )
    quantities = delivered or tuple(x.quantity for x in LINES)
    order = build_order(order_id, date(2026, 2, 10), buyer, seller, ordered)
    despatch = build_despatch_advice(
        f"DA-{order_id}",
        date(2026, 2, 20),
        order_id,
        seller,
        buyer,
        [
            Delivered(x.line_id, x.line_id, x.item_id, x.description, q)
            for x, q in zip(LINES, quantities, strict=True)
        ],
    )
    invoice = build_invoice(
        number, issue, due, seller, buyer, lines, order_id=order_id, despatch_id=f"DA-{order_id}"
    )
    return order, despatch, invoice


@pytest.fixture
def make_docs():  # type: ignore[no-untyped-def]
    """`make_docs(net, ...)` -> (order, despatch advice, invoice) bytes."""
    return trade_documents


@pytest.fixture
def make_net():  # type: ignore[no-untyped-def]
    """`make_net(engine, threshold=..., data_dir=...)` -> TradeNet."""
    return build_trade_net
