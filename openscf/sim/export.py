"""Parquet exports of a simulated economy: what the platform could see, and the ground truth.

Observable tables hold only what the platform (or a participant) could have known at each
date. Platform side: `events.parquet` (the signed log), `receivables.parquet` (every piece,
from the database). Trade side (the firms' own books, as an ERP would hold them):
`firms.parquet`, `orders.parquet`, `invoices.parquet`, `payments.parquet`. Ground truth,
kept apart and never a model's input: `labels.parquet` (fraud, bust-outs, defaults, losses),
`health.parquet` (each firm's hidden health, monthly) and `outcomes.parquet` (how each
invoice ended: its settlement channel, its final credit notes, when it would have been paid
without the network and how long it took to turn into cash).

`OBSERVABLE` says, for every column of every observable table, from which date its value
is known: the row's own date (`issued_on` for an invoice), the column's own date for a later
event (`paid_on`: known on the day of the payment), `START` (registration data, known
before day one) or `END` (the receivables' current holder, status, amounts paid and
recovered, and default claim: a snapshot at the export; their history is in the log).
`as_of` cuts an observable table back to what was known on a day. docs/simulation.md has
the table in words.

Columns are typed (integers for money in minor units, date32 for dates); rows are in a
fixed order, so the same seed writes the same tables.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from openscf.sim.confirmation import program_id
from openscf.sim.economy import Economy
from openscf.sim.ledger import CHANNELS, INVOICE_KINDS
from openscf.store import tables as t

__all__ = [
    "END",
    "EXPORTS",
    "GROUND_TRUTH",
    "OBSERVABLE",
    "ROW_DATE",
    "START",
    "as_of",
    "export_all",
]

EXPORTS = (
    "firms",
    "orders",
    "invoices",
    "receivables",
    "payments",
    "events",
    "labels",
    "health",
    "outcomes",
)
GROUND_TRUTH = ("labels", "health", "outcomes")
START, END = "<start>", "<end>"
_AT_ISSUE = (
    "invoice_id",
    "invoice_number",
    "seller_id",
    "buyer_id",
    "seller_tier",
    "buyer_tier",
    "order_id",
    "ordered_minor",
    "amount_minor",
    "currency",
    "delivered_on",
    "issued_on",
    "due_on",
    "late_delivery",
    "partial_delivery",
    # the buyer disputes an invoice on receipt; the credit note that settles the
    # dispute is a payment of its own date
    "disputed",
)
# The date of each observable table's rows (a row exists from that date on).
ROW_DATE = {
    "firms": START,
    "orders": "ordered_on",
    "invoices": "issued_on",
    "payments": "paid_on",
    "events": "occurred_at",
    "receivables": "issued_at",
}
_RECEIVABLE_AT_ISSUE = (
    "id",
    "program_id",
    "obligor_id",
    "supplier_id",
    "face_minor",
    "currency",
    "due_on",
    "issued_at",
    "invoice_id",
    "root_id",
    "parent_id",
)
OBSERVABLE: dict[str, dict[str, str]] = {
    "firms": {
        **dict.fromkeys(
            (
                "org_id",
                "name",
                "kind",
                "tier",
                "industry",
                "country",
                "annual_sales_minor",
                "ownership_group",
                "payment_terms_days",
                "founded_on",
            ),
            START,
        ),
        # A supplier that joins the programs later is known as a member from then.
        "programs": "joined_network_on",
        "joined_network_on": "joined_network_on",
    },
    "orders": dict.fromkeys(
        ("order_id", "seller_id", "buyer_id", "ordered_on", "amount_minor", "currency"),
        "ordered_on",
    ),
    "invoices": {
        **dict.fromkeys(_AT_ISSUE, "issued_on"),
        "paid_on": "paid_on",
        "rejected_on": "rejected_on",
    },
    "payments": dict.fromkeys(
        (
            "paid_on",
            "payer_id",
            "payee_id",
            "amount_minor",
            "currency",
            "kind",
            "invoice_id",
            "receivable_id",
        ),
        "paid_on",
    ),
    "events": dict.fromkeys(
        ("seq", "id", "type", "org_id", "actor_id", "occurred_at", "body"), "occurred_at"
    ),
    "receivables": {
        **dict.fromkeys(_RECEIVABLE_AT_ISSUE, "issued_at"),
        **dict.fromkeys(
            ("holder_id", "status", "encumbrance", "paid_minor", "recovered_minor", "claim_id"), END
        ),
    },
}
_EPOCH = date(1970, 1, 1)


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def _days(economy: Economy, values: Any) -> pa.Array:
    """Simulation day numbers as dates; negative means none (null)."""
    arr = np.asarray(values, dtype=np.int64)
    offset = (economy.start - _EPOCH).days
    return pa.array((arr + offset).astype(np.int32), type=pa.date32(), mask=arr < 0)


def _piece_ids(e: Economy, values: Any) -> pa.Array:
    """The network's ids of pieces (each named by the firm whose command created it)."""
    ids = e.book.piece_id
    return pa.array(
        [ids[v] if v >= 0 else None for v in np.asarray(values).tolist()], type=pa.string()
    )


def _invoice_ids(e: Economy, values: Any) -> pa.Array:
    """The network's ids of invoices (in their buyers' namespaces)."""
    return pa.array(
        [e.invoice_id(v) if v >= 0 else None for v in np.asarray(values).tolist()], type=pa.string()
    )


def _ids(prefix: str, values: Any) -> pa.Array:
    arr = np.asarray(values, dtype=np.int64)
    return pa.array([f"{prefix}{v}" if v >= 0 else None for v in arr.tolist()], type=pa.string())


def export_all(economy: Economy, engine: Engine, out: Path, progress: Any = None) -> dict[str, int]:
    """Write every table; return the row count of each."""
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    steps = [
        ("firms", _firms),
        ("orders", _orders),
        ("invoices", _invoices),
        ("payments", _payments),
        ("labels", _labels),
        ("health", _health),
        ("outcomes", _outcomes),
    ]
    for name, build in steps:
        table = build(economy)
        _write(table, out / f"{name}.parquet")
        rows[name] = table.num_rows
        if progress is not None:
            progress(name)
    rows["receivables"] = _receivables(engine, out / "receivables.parquet")
    if progress is not None:
        progress("receivables")
    rows["events"] = _events(engine, out / "events.parquet")
    if progress is not None:
        progress("events")
    return rows


def _firms(e: Economy) -> pa.Table:
    f = e.firms
    return pa.table(
        {
            "org_id": [x.org_id for x in f],
            "name": [x.name for x in f],
            "kind": [x.kind for x in f],
            "tier": pa.array([x.tier for x in f], pa.int8()),
            "industry": [x.industry for x in f],
            "country": [x.country for x in f],
            # Annual sales rounded to whole euros, in minor units (money is never a float).
            "annual_sales_minor": pa.array([round(x.sales_eur) * 100 for x in f], pa.int64()),
            "ownership_group": pa.array([x.group for x in f], pa.int32()),
            "programs": [[program_id(p) for p in x.programs] for x in f],
            "payment_terms_days": pa.array(
                [x.terms_days if x.kind == "anchor" else None for x in f], pa.int16()
            ),
            "founded_on": pa.array(e.founded_on, pa.date32()),
            "joined_network_on": pa.array(
                [None if not x.programs else e.date_of(e.join_day.get(x.idx, 0)) for x in f],
                pa.date32(),
            ),
        }
    )


def _org(e: Economy, values: Any) -> pa.Array:
    names = np.array([x.org_id for x in e.firms], dtype=object)
    arr = np.asarray(values, dtype=np.int64)
    return pa.array(names[arr], type=pa.string())


def _flags(column: bytearray) -> pa.Array:
    return pa.array(np.frombuffer(bytes(column), dtype=np.uint8) > 0)


def _orders(e: Economy) -> pa.Table:
    b = e.book
    n = len(b.order_seller)
    return pa.table(
        {
            "order_id": _ids("ord_", np.arange(n)),
            "seller_id": _org(e, b.order_seller),
            "buyer_id": _org(e, b.order_buyer),
            "ordered_on": _days(e, b.order_day),
            "amount_minor": pa.array(np.asarray(b.order_amount_minor, dtype=np.int64)),
            "currency": pa.array([e.config.currency] * n),
        }
    )


def _invoices(e: Economy) -> pa.Table:
    """The invoices as seller and buyer knew them: what was on them, and the dates of what
    happened to them (payment, rejection). How each ended is in `outcomes`."""
    b = e.book
    n = len(b.invoice_seller)
    tier = np.array([x.tier for x in e.firms], dtype=np.int8)
    seller = np.asarray(b.invoice_seller, dtype=np.int64)
    buyer = np.asarray(b.invoice_buyer, dtype=np.int64)
    return pa.table(
        {
            "invoice_id": _invoice_ids(e, np.arange(n)),
            "invoice_number": pa.array(b.invoice_number, pa.string()),
            "seller_id": _org(e, seller),
            "buyer_id": _org(e, buyer),
            "seller_tier": pa.array(tier[seller]),
            "buyer_tier": pa.array(tier[buyer]),
            "order_id": _ids("ord_", b.invoice_order),
            "ordered_minor": pa.array(np.asarray(b.invoice_ordered_minor, dtype=np.int64)),
            "amount_minor": pa.array(np.asarray(b.invoice_amount_minor, dtype=np.int64)),
            "currency": pa.array([e.config.currency] * n),
            "delivered_on": _days(e, b.invoice_delivery_day),
            "issued_on": _days(e, b.invoice_issue_day),
            "due_on": _days(e, b.invoice_due_day),
            "paid_on": _days(e, b.invoice_paid_day),
            "rejected_on": _days(e, b.invoice_rejected_day),
            "late_delivery": _flags(b.invoice_is_late_delivery),
            "partial_delivery": _flags(b.invoice_is_partial_delivery),
            "disputed": _flags(b.invoice_is_disputed),
        }
    )


def _outcomes(e: Economy) -> pa.Table:
    """Ground truth per invoice: what it was, how it ended and what it is measured by.
    Nothing here is observable at the invoice's date (the channel and the credit notes are
    final values; the cash day without the network comes from the buyer's hidden stress)."""
    b = e.book
    n = len(b.invoice_seller)
    realised_minor = np.asarray(b.invoice_realised_minor, dtype=np.int64)
    realised_minor_days = np.asarray(b.invoice_realised_minor_days, dtype=np.int64)
    days_to_cash = np.where(
        realised_minor > 0, realised_minor_days / np.maximum(realised_minor, 1), np.nan
    )
    return pa.table(
        {
            "invoice_id": _invoice_ids(e, np.arange(n)),
            "kind": pa.array([INVOICE_KINDS[k] for k in b.invoice_kind], pa.string()),
            "settlement_channel": pa.array([CHANNELS[k] for k in b.invoice_channel], pa.string()),
            "receivable_id": _piece_ids(e, b.invoice_piece),
            "credit_note_minor": pa.array(np.asarray(b.invoice_credit_minor, dtype=np.int64)),
            # When the seller would have been paid without the network, and the
            # amount-weighted days it actually took to turn the invoice into cash.
            "cash_without_network_on": _days(e, b.invoice_cash_day),
            "days_to_cash": pa.array(days_to_cash, pa.float64()),
        }
    )


def as_of(name: str, table: pa.Table, day: date) -> list[dict[str, Any]]:
    """The rows of observable table `name` known on `day` (its row date on or before it),
    each with the columns known by then: a later event's column is None, end-of-run
    snapshot columns are left out. What a model may use on `day`."""
    known = OBSERVABLE[name]
    row_date = ROW_DATE[name]

    def on(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])  # a timestamp in ISO 8601

    out = []
    for row in table.to_pylist():
        if row_date != START and on(row[row_date]) > day:  # type: ignore[operator]
            continue
        view = {}
        for column, by in known.items():
            if by == END:
                continue
            when = None if by == START else on(row[by])
            view[column] = (
                row[column] if by == START or (when is not None and when <= day) else None
            )
        out.append(view)
    return out


def _payments(e: Economy) -> pa.Table:
    b = e.book
    n = len(b.payment_day)
    return pa.table(
        {
            "paid_on": _days(e, b.payment_day),
            "payer_id": _org(e, b.payment_payer),
            "payee_id": _org(e, b.payment_payee),
            "amount_minor": pa.array(np.asarray(b.payment_amount_minor, dtype=np.int64)),
            "currency": pa.array([e.config.currency] * n),
            "kind": pa.array(b.payment_kind, pa.string()),
            "invoice_id": _invoice_ids(e, b.payment_invoice),
            "receivable_id": _piece_ids(e, b.payment_piece),
        }
    )


def _labels(e: Economy) -> pa.Table:
    labels = e.book.labels
    org = [x.org_id for x in e.firms]
    losses = e.book.losses
    return pa.table(
        {
            "label": [x["label"] for x in labels] + ["loss"] * len(losses),
            "org_id": [org[x["firm"]] if x["firm"] >= 0 else None for x in labels]
            + [org[x[1]] for x in losses],
            "invoice_id": [
                e.invoice_id(x["invoice"]) if x["invoice"] >= 0 else None for x in labels
            ]
            + [e.invoice_id(x[4]) if x[4] >= 0 else None for x in losses],
            "receivable_id": [
                e.book.piece_id[x["piece"]] if x["piece"] >= 0 else None for x in labels
            ]
            + [None] * len(losses),
            "related_invoice_id": [
                e.invoice_id(x["related_invoice"]) if x["related_invoice"] >= 0 else None
                for x in labels
            ]
            + [None] * len(losses),
            "on": _days(e, [x["day"] for x in labels] + [x[0] for x in losses]),
            "ring": pa.array(
                [x["ring"] if x["ring"] >= 0 else None for x in labels] + [None] * len(losses),
                pa.int32(),
            ),
            "variant": [x["variant"] or None for x in labels] + [x[3] for x in losses],
            "platform_outcome": [x["outcome"] or None for x in labels] + [None] * len(losses),
            "amount_minor": pa.array(
                [x["amount_minor"] for x in labels] + [x[2] for x in losses], pa.int64()
            ),
            "detail": [json.dumps(x["detail"], sort_keys=True) for x in labels]
            + ["{}"] * len(losses),
        }
    )


def _health(e: Economy) -> pa.Table:
    h = e.book.health
    org = np.array([x.org_id for x in e.firms], dtype=object)
    firm = np.array([x[0] for x in h], dtype=np.int64)
    return pa.table(
        {
            "org_id": pa.array(org[firm], pa.string()) if len(h) else pa.array([], pa.string()),
            "on": _days(e, [x[1] for x in h]),
            "health": pa.array([round(x[2], 6) for x in h], pa.float64()),
            "stress": pa.array([round(x[3], 6) for x in h], pa.float64()),
            "defaulted": pa.array([x[4] for x in h], pa.bool_()),
        }
    )


def _receivables(engine: Engine, path: Path) -> int:
    cols = [col.name for col in t.receivables.columns if col.name != "version"]
    data: dict[str, list[Any]] = {name: [] for name in cols}
    with engine.connect() as conn:
        result = conn.execute(
            select(*[t.receivables.c[name] for name in cols]).order_by(t.receivables.c.id)
        )
        for row in result:
            for name, value in zip(cols, row, strict=True):
                data[name].append(value)
    table = pa.table(data)
    _write(table, path)
    return int(table.num_rows)


def _events(engine: Engine, path: Path, chunk: int = 200_000) -> int:
    """The log, streamed in chunks (it is the biggest table)."""
    schema = pa.schema(
        [
            ("seq", pa.int64()),
            ("id", pa.string()),
            ("type", pa.string()),
            ("org_id", pa.string()),
            ("actor_id", pa.string()),
            ("occurred_at", pa.string()),
            ("body", pa.string()),
        ]
    )
    total = 0
    with engine.connect() as conn, pq.ParquetWriter(path, schema, compression="zstd") as writer:
        last = 0
        while True:
            rows = conn.execute(
                select(
                    t.events.c.seq,
                    t.events.c.id,
                    t.events.c.type,
                    t.events.c.org_id,
                    t.events.c.actor_id,
                    t.events.c.occurred_at,
                    t.events.c.body,
                )
                .where(t.events.c.seq > last)
                .order_by(t.events.c.seq)
                .limit(chunk)
            ).all()
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            body = [bytes(b).decode() for b in columns[6]]
            writer.write_table(
                pa.table(
                    [
                        pa.array(columns[0], pa.int64()),
                        *(pa.array(col, pa.string()) for col in columns[1:6]),
                        pa.array(body, pa.string()),
                    ],
                    schema=schema,
                )
            )
            total += len(rows)
            last = rows[-1][0]
    return total
