"""The trade data a fraud detector reads, cut back to what was known on a day.

The detectors read the observable tables a simulated economy exports (or a platform's own
books in the same shape): `firms`, `orders`, `invoices`, `payments` and `receivables`, as
Parquet files named by table. They are read by path and column name only: this package
does not import the simulator.

`COLUMNS` lists every column read and from when its value is known: the row's own date,
a later date column of its own (an invoice's `paid_on`), or registration (`START`).
`load_trade_data(dir, as_of=D)` keeps the rows dated on or before D and blanks the
columns whose own date is after D, so a detector run as of D sees only what was known on
D. End-of-run snapshots (a receivable's holder, status, amounts paid) and the ground truth
(`labels`, `health`, `outcomes`) are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from openscf.domain.errors import InvalidRequest

__all__ = [
    "COLUMNS",
    "START",
    "Firm",
    "Invoice",
    "Order",
    "Payment",
    "Receivable",
    "TradeData",
    "load_trade_data",
]

START = "<start>"

# table -> column -> the column whose date says when the value is known (START: always).
COLUMNS: dict[str, dict[str, str]] = {
    "firms": {
        "org_id": START,
        "name": START,
        "kind": START,
        "tier": START,
        "ownership_group": START,
        "programs": "joined_network_on",
        "joined_network_on": "joined_network_on",
    },
    "orders": dict.fromkeys(
        ("order_id", "seller_id", "buyer_id", "ordered_on", "amount_minor", "currency"),
        "ordered_on",
    ),
    "invoices": {
        **dict.fromkeys(
            (
                "invoice_id",
                "invoice_number",
                "seller_id",
                "buyer_id",
                "order_id",
                "ordered_minor",
                "amount_minor",
                "currency",
                "delivered_on",
                "issued_on",
                "due_on",
                "disputed",
            ),
            "issued_on",
        ),
        "paid_on": "paid_on",
        "rejected_on": "rejected_on",
    },
    "payments": dict.fromkeys(
        ("paid_on", "payer_id", "payee_id", "amount_minor", "kind", "invoice_id", "receivable_id"),
        "paid_on",
    ),
    "receivables": dict.fromkeys(
        ("id", "obligor_id", "supplier_id", "face_minor", "issued_at", "invoice_id", "root_id"),
        "issued_at",
    ),
}
# The date of each table's rows: a row exists from that date on.
ROW_DATE = {
    "firms": START,
    "orders": "ordered_on",
    "invoices": "issued_on",
    "payments": "paid_on",
    "receivables": "issued_at",
}


@dataclass(frozen=True, slots=True)
class Firm:
    org_id: str
    name: str
    kind: str
    tier: int
    ownership_group: int  # -1: none
    member_since: date | None  # joined the programs (None: not a member as of the cut)


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    seller_id: str
    buyer_id: str
    ordered_on: date
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    number: str
    seller_id: str
    buyer_id: str
    order_id: str | None
    ordered_minor: int
    amount_minor: int
    currency: str
    delivered_on: date | None
    issued_on: date
    due_on: date | None
    paid_on: date | None  # None: not paid as of the cut
    rejected_on: date | None  # None: not rejected as of the cut
    disputed: bool


@dataclass(frozen=True, slots=True)
class Payment:
    paid_on: date
    payer_id: str
    payee_id: str
    amount_minor: int
    kind: str
    invoice_id: str | None
    receivable_id: str | None


@dataclass(frozen=True, slots=True)
class Receivable:
    receivable_id: str
    obligor_id: str
    supplier_id: str
    face_minor: int
    issued_on: date
    invoice_id: str | None
    root_id: str


@dataclass
class TradeData:
    """The observable trade of a network as known on `as_of` (None: all of it)."""

    as_of: date | None
    firms: dict[str, Firm] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    receivables: dict[str, Receivable] = field(default_factory=dict)

    def cut(self, day: date) -> TradeData:
        """The same data as known on `day` (an earlier cut of an already cut set)."""
        if self.as_of is not None and day > self.as_of:
            raise InvalidRequest(
                "as_of_after_cut",
                f"these data were cut on {self.as_of}; they cannot say what was known on {day}",
            )
        firms = {
            k: Firm(
                f.org_id,
                f.name,
                f.kind,
                f.tier,
                f.ownership_group,
                _known(f.member_since, f.member_since, day),
            )
            for k, f in self.firms.items()
        }
        return TradeData(
            as_of=day,
            firms=firms,
            orders={k: o for k, o in self.orders.items() if o.ordered_on <= day},
            invoices=[_cut_invoice(i, day) for i in self.invoices if i.issued_on <= day],
            payments=[p for p in self.payments if p.paid_on <= day],
            receivables={k: r for k, r in self.receivables.items() if r.issued_on <= day},
        )


def _known(value: Any, when: date | None, day: date) -> Any:
    return value if when is not None and when <= day else None


def _cut_invoice(i: Invoice, day: date) -> Invoice:
    if (i.paid_on is None or i.paid_on <= day) and (i.rejected_on is None or i.rejected_on <= day):
        return i
    return Invoice(
        i.invoice_id,
        i.number,
        i.seller_id,
        i.buyer_id,
        i.order_id,
        i.ordered_minor,
        i.amount_minor,
        i.currency,
        i.delivered_on,
        i.issued_on,
        i.due_on,
        _known(i.paid_on, i.paid_on, day),
        _known(i.rejected_on, i.rejected_on, day),
        i.disputed,
    )


def _read(directory: Path, table: str) -> dict[str, list[Any]]:
    path = directory / f"{table}.parquet"
    if not path.is_file():
        raise InvalidRequest(
            "trade_data_missing",
            f"{path} does not exist; give --data a directory written by "
            "`openscf simulate` (or with the same Parquet tables)",
        )
    columns = list(COLUMNS[table])
    try:
        data: dict[str, list[Any]] = pq.read_table(path, columns=columns).to_pydict()
    except (KeyError, ValueError, OSError) as exc:
        raise InvalidRequest(
            "trade_data_unreadable",
            f"{path} is not a {table} table with the columns {', '.join(columns)}: {exc}",
        ) from exc
    return data


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def load_trade_data(directory: Path | str, as_of: date | None = None) -> TradeData:
    """Read the observable tables in `directory`, as known on `as_of` (None: everything)."""
    d = Path(directory)
    if not d.is_dir():
        raise InvalidRequest(
            "trade_data_missing",
            f"{d} is not a directory; give --data the output directory of `openscf simulate`",
        )
    f = _read(d, "firms")
    firms = {
        org: Firm(org, name, kind, int(tier), int(group), joined)
        for org, name, kind, tier, group, joined in zip(
            f["org_id"],
            f["name"],
            f["kind"],
            f["tier"],
            f["ownership_group"],
            f["joined_network_on"],
            strict=True,
        )
    }
    o = _read(d, "orders")
    orders = {
        oid: Order(oid, s, b, on, int(a))
        for oid, s, b, on, a in zip(
            o["order_id"],
            o["seller_id"],
            o["buyer_id"],
            o["ordered_on"],
            o["amount_minor"],
            strict=True,
        )
    }
    v = _read(d, "invoices")
    invoices = [
        Invoice(*row)
        for row in zip(
            v["invoice_id"],
            v["invoice_number"],
            v["seller_id"],
            v["buyer_id"],
            v["order_id"],
            v["ordered_minor"],
            v["amount_minor"],
            v["currency"],
            v["delivered_on"],
            v["issued_on"],
            v["due_on"],
            v["paid_on"],
            v["rejected_on"],
            v["disputed"],
            strict=True,
        )
    ]
    p = _read(d, "payments")
    payments = [
        Payment(*row)
        for row in zip(
            p["paid_on"],
            p["payer_id"],
            p["payee_id"],
            p["amount_minor"],
            p["kind"],
            p["invoice_id"],
            p["receivable_id"],
            strict=True,
        )
    ]
    r = _read(d, "receivables")
    receivables = {
        rid: Receivable(rid, obligor, supplier, int(face), _day(at), inv, root)
        for rid, obligor, supplier, face, at, inv, root in zip(
            r["id"],
            r["obligor_id"],
            r["supplier_id"],
            r["face_minor"],
            r["issued_at"],
            r["invoice_id"],
            r["root_id"],
            strict=True,
        )
    }
    data = TradeData(None, firms, orders, invoices, payments, receivables)
    return data if as_of is None else data.cut(as_of)
