"""A tiny hand-built export: five firms, ten invoices, a few payments and log events,
written as Parquet in the export's schema. The expected features of supplier S1 as of D
are worked out by hand in test_features_by_hand.py, from the rows below."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

D = date(2026, 6, 30)
A, S1, S2, S3, F = "org_a", "org_s1", "org_s2", "org_s3", "org_f"

FIRMS = [
    # org_id, kind, tier, industry, annual sales, founded, joined the network
    (A, "anchor", 0, "automotive", 900_000_000_00, date(1990, 1, 1), date(2026, 1, 1)),
    (S1, "supplier", 1, "electronics", 5_000_000_00, date(2020, 6, 30), date(2026, 1, 1)),
    (S2, "supplier", 2, "metals", 800_000_00, date(2015, 3, 1), None),
    # joins after D: not a member as of D
    (S3, "supplier", 1, "plastics", 2_000_000_00, date(2018, 1, 1), date(2026, 12, 1)),
    (F, "funder", -1, "finance", 0, date(1980, 1, 1), None),
]

# invoice id, seller, buyer, amount, issued, due, paid, rejected, late, partial, disputed
INVOICES = [
    ("i1", S1, A, 100_000, date(2026, 6, 20), date(2026, 8, 20), None, None, 1, 0, 0),
    ("i2", S1, A, 200_000, date(2026, 5, 15), date(2026, 6, 15), date(2026, 6, 20), None, 0, 1, 0),
    # paid after D: unpaid and overdue as of D
    ("i3", S1, S3, 300_000, date(2026, 3, 1), date(2026, 4, 1), date(2026, 7, 10), None, 0, 0, 1),
    ("i4", S1, A, 400_000, date(2026, 1, 10), date(2026, 3, 10), date(2026, 3, 5), None, 0, 0, 0),
    # confirmed on the platform (a receivable issued 2026-04-12): paid through it
    ("i5", S1, A, 500_000, date(2026, 4, 10), date(2026, 6, 10), None, None, 0, 0, 0),
    # issued after D: invisible
    ("i6", S1, A, 600_000, date(2026, 7, 5), date(2026, 9, 5), None, None, 1, 1, 1),
    ("i7", S2, S1, 50_000, date(2026, 5, 1), date(2026, 5, 31), date(2026, 6, 10), None, 0, 0, 0),
    ("i8", S2, S1, 70_000, date(2026, 6, 1), date(2026, 6, 25), None, None, 0, 0, 0),
    ("i9", S1, A, 150_000, date(2026, 6, 1), date(2026, 7, 1), None, date(2026, 6, 5), 0, 0, 0),
    # credited in full on 2026-04-02: settled, not unpaid
    ("i10", S1, A, 80_000, date(2026, 2, 1), date(2026, 4, 1), None, None, 0, 0, 0),
]

# paid on, payer, payee, amount, kind, invoice
PAYMENTS = [
    (date(2026, 6, 20), A, S1, 200_000, "invoice_cash", "i2"),
    (date(2026, 3, 5), A, S1, 400_000, "invoice_cash", "i4"),
    (date(2026, 7, 10), S3, S1, 300_000, "invoice_cash", "i3"),
    (date(2026, 6, 10), S1, S2, 50_000, "invoice_cash", "i7"),
    (date(2026, 6, 1), S1, A, 20_000, "credit_note", "i2"),
    (date(2026, 4, 2), S1, A, 80_000, "credit_note", "i10"),
    # after D
    (date(2026, 7, 2), S1, A, 10_000, "credit_note", "i1"),
]

# occurred on, type, data (the body's "data")
EVENTS: list[tuple[date, str, dict[str, Any]]] = [
    (
        date(2026, 4, 12),
        "ReceivableIssued",
        {"receivable_id": "r5", "obligor_id": A, "supplier_id": S1, "face_minor": 500_000},
    ),
    (date(2026, 4, 13), "FinancingRequested", {"receivable_id": "r5", "holder_id": S1}),
    (
        date(2026, 4, 14),
        "FinancingOfferAccepted",
        {"receivable_id": "r5a", "holder_id": S1, "funder_id": F, "face_minor": 250_000},
    ),
    (date(2026, 5, 1), "FinancingRequested", {"receivable_id": "r5b", "holder_id": S1}),
    (date(2026, 5, 2), "FinancingRequestWithdrawn", {"receivable_id": "r5b", "holder_id": S1}),
    (
        date(2026, 6, 11),
        "ReceivableOverdue",
        {"receivable_id": "r5b", "obligor_id": A, "holder_id": S1},
    ),
    (date(2026, 6, 15), "ObligorDefaulted", {"obligor_id": S3, "org_id": "org_op"}),
    # after D
    (
        date(2026, 7, 15),
        "ReceivableOverdue",
        {"receivable_id": "r5b", "obligor_id": A, "holder_id": S1},
    ),
    (
        date(2026, 7, 20),
        "ReceivableDefaulted",
        {"receivable_id": "r5b", "obligor_id": A, "holder_id": S1},
    ),
]

# ground truth: S2 defaults 46 days after D, S3 before D
LABELS = [("default", S2, date(2026, 8, 15)), ("default", S3, date(2026, 6, 20))]
HEALTH_ENDS = date(2027, 1, 31)


def _body(day: date, kind: str, data: dict[str, Any], n: int) -> str:
    # A signed request copies the command as escaped JSON: its fields must never be read.
    request = json.dumps({"data": {"holder_id": "org_wrong", "face_minor": 1}}, sort_keys=True)
    body = {
        "actor": "usr_x",
        "at": f"{day.isoformat()}T09:00:00.000000Z",
        "auth": {"custodial": True, "key": "k", "request": request, "sig": "s"},
        "data": data,
        "id": f"evt_{n}",
        "org": "org_x",
        "type": kind,
        "v": 1,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def write_ledger(out: Path, until: date | None = None) -> Path:
    """Write the tables into `out`; with `until`, only rows dated on or before it (and
    later-dated columns nulled), as an export cut at that day would hold."""
    out.mkdir(parents=True, exist_ok=True)

    def keep(day: date | None) -> bool:
        return until is None or (day is not None and day <= until)

    def known(day: date | None) -> date | None:
        return day if day is None or until is None or day <= until else None

    firms = pa.table(
        {
            "org_id": [f[0] for f in FIRMS],
            "name": [f[0].upper() for f in FIRMS],
            "kind": [f[1] for f in FIRMS],
            "tier": pa.array([f[2] for f in FIRMS], pa.int8()),
            "industry": [f[3] for f in FIRMS],
            "country": ["DE"] * len(FIRMS),
            "annual_sales_minor": pa.array([f[4] for f in FIRMS], pa.int64()),
            "ownership_group": pa.array(list(range(len(FIRMS))), pa.int32()),
            "payment_terms_days": pa.array(
                [60 if f[1] == "anchor" else None for f in FIRMS], pa.int16()
            ),
            "founded_on": pa.array([f[5] for f in FIRMS], pa.date32()),
            "joined_network_on": pa.array([known(f[6]) for f in FIRMS], pa.date32()),
        }
    )
    inv = [i for i in INVOICES if keep(i[4])]
    invoices = pa.table(
        {
            "invoice_id": [i[0] for i in inv],
            "invoice_number": [i[0].upper() for i in inv],
            "seller_id": [i[1] for i in inv],
            "buyer_id": [i[2] for i in inv],
            "order_id": [f"ord_{i[0]}" for i in inv],
            "ordered_minor": pa.array([i[3] for i in inv], pa.int64()),
            "amount_minor": pa.array([i[3] for i in inv], pa.int64()),
            "currency": ["EUR"] * len(inv),
            "delivered_on": pa.array([i[4] for i in inv], pa.date32()),
            "issued_on": pa.array([i[4] for i in inv], pa.date32()),
            "due_on": pa.array([i[5] for i in inv], pa.date32()),
            "paid_on": pa.array([known(i[6]) for i in inv], pa.date32()),
            "rejected_on": pa.array([known(i[7]) for i in inv], pa.date32()),
            "late_delivery": [bool(i[8]) for i in inv],
            "partial_delivery": [bool(i[9]) for i in inv],
            "disputed": [bool(i[10]) for i in inv],
        }
    )
    pays = [p for p in PAYMENTS if keep(p[0])]
    payments = pa.table(
        {
            "paid_on": pa.array([p[0] for p in pays], pa.date32()),
            "payer_id": [p[1] for p in pays],
            "payee_id": [p[2] for p in pays],
            "amount_minor": pa.array([p[3] for p in pays], pa.int64()),
            "currency": ["EUR"] * len(pays),
            "kind": [p[4] for p in pays],
            "invoice_id": [p[5] for p in pays],
            "receivable_id": pa.array([None] * len(pays), pa.string()),
        }
    )
    receivables = pa.table(
        {
            "id": ["r5"],
            "obligor_id": [A],
            "supplier_id": [S1],
            "face_minor": pa.array([500_000], pa.int64()),
            "due_on": pa.array([date(2026, 6, 10)], pa.date32()),
            "issued_at": ["2026-04-12T09:00:00.000000Z"],
            "invoice_id": ["i5"],
            "parent_id": pa.array([None], pa.string()),
        }
    )
    evs = [(n, e) for n, e in enumerate(EVENTS) if keep(e[0])]
    events = pa.table(
        {
            "seq": pa.array([n + 1 for n, _ in evs], pa.int64()),
            "id": [f"evt_{n}" for n, _ in evs],
            "type": [e[1] for _, e in evs],
            "org_id": ["org_x"] * len(evs),
            "actor_id": ["usr_x"] * len(evs),
            "occurred_at": [f"{e[0].isoformat()}T09:00:00.000000Z" for _, e in evs],
            "body": [_body(e[0], e[1], e[2], n) for n, e in evs],
        }
    )
    labels = pa.table(
        {
            "label": [x[0] for x in LABELS],
            "org_id": [x[1] for x in LABELS],
            "on": pa.array([x[2] for x in LABELS], pa.date32()),
        }
    )
    health = pa.table(
        {
            "org_id": [S1],
            "on": pa.array([HEALTH_ENDS], pa.date32()),
            "health": [1.0],
        }
    )
    for name, table in (
        ("firms", firms),
        ("invoices", invoices),
        ("payments", payments),
        ("receivables", receivables),
        ("events", events),
        ("labels", labels),
        ("health", health),
    ):
        pq.write_table(table, out / f"{name}.parquet")
    return out
