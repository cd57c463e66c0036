"""Point-in-time credit features per supplier, as of a date D, from what was known at D.

Two steps, each engine-independent:

1. **Relational** (Ibis, so the same expressions run on DuckDB, PostgreSQL and Spark):
   every observable table is cut back to D first (`_cut`): a row counts only if its own
   date is on or before D, and a column known later (an invoice's `paid_on`,
   `rejected_on`) only if its own date is. The receivables' end-of-export snapshot
   columns are never read; what happened to a piece comes from the log (`events`),
   whose rows are dated. The relational step returns **integers only**: sums of minor
   units, counts, day differences, a nearest-rank percentile. Integer arithmetic is exact
   on every engine, so its results are identical everywhere.
2. **Finish** (numpy/pandas, in-process): ratios, the volatility, buyer concentration and
   the graph features (PageRank, neighbours' health, exposure to defaulted counterparties)
   from the integer aggregates and the trade-graph edge list, in a fixed order. The same
   integers in give the same floats out, whatever engine produced them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from openscf.risk._registry import FEATURE_NAMES
from openscf.risk._source import Source

__all__ = ["compute_features", "cut_to", "relationships"]

# Where the ids of a log event's parties are, in its body (canonical JSON: no spaces, so
# the patterns are exact; an escaped copy inside a signed request never matches them).
_FIELD = '"{name}":"([^"]*)"'
_NUMBER = '"{name}":(-?[0-9]+)'
_MONTH_DAYS = 30
_MONTHS = 6


def _lit(day: date) -> ir.DateScalar:
    return ibis.literal(day, type="date")


def _days(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Whole days from `earlier` to `later` (negative if later is before)."""
    return later.delta(earlier, unit="day").cast("int64")


def _field(body: ir.StringValue, name: str) -> ir.StringValue:
    # no match is '' on DuckDB and Spark, NULL on PostgreSQL: NULL everywhere
    return body.re_extract(_FIELD.format(name=name), 1).nullif("")


def _number(body: ir.StringValue, name: str) -> ir.IntegerValue:
    return body.re_extract(_NUMBER.format(name=name), 1).nullif("").cast("int64")


def cut_to(source: Source, as_of: date) -> dict[str, ir.Table]:
    """The observable tables as known at the end of `as_of` (the relational view a
    feature may read): rows dated after it dropped, later-known columns nulled."""
    d = _lit(as_of)
    firms = source.table("firms")
    firms = firms.select(
        "org_id",
        "kind",
        "tier",
        "industry",
        "annual_sales_minor",
        "founded_on",
        # joined_network_on is known from its own date
        joined_network_on=ibis.ifelse(
            firms.joined_network_on <= d, firms.joined_network_on, ibis.null("date")
        ),
    )
    # An invoice confirmed on the platform is paid through its receivable (the log says
    # when), never in `paid_on`: it is known as confirmed from its receivable's issue.
    rcv = source.table("receivables")
    rcv = rcv.filter(rcv.issued_at.substr(0, 10).cast("date") <= d)
    rcv = rcv.filter(rcv.invoice_id.notnull()).select(confirmed_invoice_id="invoice_id").distinct()
    # Credit notes are payments of their own date: an invoice credited in full by D is
    # settled, not unpaid.
    pay = source.table("payments")
    pay = pay.filter(pay.paid_on <= d)
    notes = pay.filter((pay.kind == "credit_note") & pay.invoice_id.notnull())
    notes = notes.group_by(credited_invoice_id=notes.invoice_id).aggregate(
        credited_minor=notes.amount_minor.sum()
    )
    inv = source.table("invoices")
    inv = inv.filter(inv.issued_on <= d)
    inv = inv.left_join(rcv, inv.invoice_id == rcv.confirmed_invoice_id)
    inv = inv.left_join(notes, inv.invoice_id == notes.credited_invoice_id)
    inv = inv.select(
        "invoice_id",
        "seller_id",
        "buyer_id",
        "amount_minor",
        "issued_on",
        "due_on",
        "late_delivery",
        "partial_delivery",
        "disputed",
        paid_on=ibis.ifelse(inv.paid_on <= d, inv.paid_on, ibis.null("date")),
        rejected_on=ibis.ifelse(inv.rejected_on <= d, inv.rejected_on, ibis.null("date")),
        confirmed=inv.confirmed_invoice_id.notnull(),
        credited_in_full=inv.credited_minor.fill_null(0) >= inv.amount_minor,
    )
    pay = pay.select("paid_on", "payer_id", "payee_id", "amount_minor", "kind")
    ev = source.table("events")
    ev = ev.mutate(day=ev.occurred_at.substr(0, 10).cast("date"))
    ev = ev.filter(ev.day <= d).select("type", "day", "body")
    return {"firms": firms, "invoices": inv, "payments": pay, "events": ev}


def _firm_queries(t: dict[str, ir.Table], as_of: date) -> dict[str, ir.Table]:
    d = _lit(as_of)
    firms = t["firms"]
    inv = t["invoices"]
    inv = inv.mutate(
        ago=_days(d, inv.issued_on),
        due_ago=_days(d, inv.due_on),
        paid_ago=_days(d, inv.paid_on),
        late_days=_days(inv.paid_on, inv.due_on),
        kept=inv.rejected_on.isnull(),
        # paid off the platform: its payment is in `paid_on` (a confirmed one's is not)
        cash=inv.rejected_on.isnull() & ~inv.confirmed & ~inv.credited_in_full,
    )
    inv = inv.mutate(open=inv.cash & inv.paid_on.isnull())
    a = inv.amount_minor
    recent = {n: (inv.ago < n) & inv.kept for n in (30, 90, 180)}
    due_window = (inv.due_ago >= 0) & (inv.due_ago < 180) & inv.cash
    paid_window = inv.paid_ago.notnull() & (inv.paid_ago < 180)
    paid_late = inv.paid_on.notnull() & (inv.paid_on > inv.due_on)
    overdue_open = inv.open & (inv.due_on < d)
    month = {
        f"m{k}": a.sum(
            where=(inv.ago >= k * _MONTH_DAYS) & (inv.ago < (k + 1) * _MONTH_DAYS) & inv.kept
        )
        for k in range(_MONTHS)
    }
    sold = inv.group_by(org_id=inv.seller_id).aggregate(
        sales_30d=a.sum(where=recent[30]),
        sales_90d=a.sum(where=recent[90]),
        sales_180d=a.sum(where=recent[180]),
        sales_prev_90d=a.sum(where=(inv.ago >= 90) & (inv.ago < 180) & inv.kept),
        **month,
        n_90d=inv.count(where=inv.ago < 90),
        confirmed_180d=a.sum(where=(inv.ago < 180) & inv.confirmed),
        late_90d=inv.count(where=(inv.ago < 90) & inv.late_delivery),
        partial_90d=inv.count(where=(inv.ago < 90) & inv.partial_delivery),
        n_180d=inv.count(where=inv.ago < 180),
        late_180d=inv.count(where=(inv.ago < 180) & inv.late_delivery),
        disputed_180d=inv.count(where=(inv.ago < 180) & inv.disputed),
        rejected_180d=inv.count(where=(inv.ago < 180) & inv.rejected_on.notnull()),
        last_ago=inv.ago.min(),
        s_due_180d=inv.count(where=due_window),
        s_paid_late_180d=inv.count(where=due_window & paid_late),
        s_overdue_open_180d=inv.count(where=due_window & overdue_open),
        s_paid_180d=inv.count(where=paid_window),
        s_late_days_180d=inv.late_days.sum(where=paid_window),
        s_max_overdue=inv.due_ago.max(where=overdue_open),
    )
    due_365 = (inv.due_ago >= 0) & (inv.due_ago < 365) & inv.cash
    bought = inv.group_by(org_id=inv.buyer_id).aggregate(
        b_due_180d=inv.count(where=due_window),
        b_paid_late_180d=inv.count(where=due_window & paid_late),
        b_overdue_open_180d=inv.count(where=due_window & overdue_open),
        b_paid_180d=inv.count(where=paid_window),
        b_late_days_180d=inv.late_days.sum(where=paid_window),
        b_max_overdue=inv.due_ago.max(where=overdue_open),
        b_overdue_open=inv.count(where=overdue_open),
        b_late_365d=inv.count(where=due_365 & (paid_late | overdue_open)),
    )
    # The 90th percentile of days late, nearest rank: the k-th smallest of n with
    # k = ceil(0.9 n) (row numbers count from 0). Exact on every engine.
    paid = inv.filter(paid_window).select(org_id=inv.seller_id, late_days=inv.late_days)
    paid = paid.mutate(
        rank=ibis.row_number().over(group_by=paid.org_id, order_by=paid.late_days),
        n=paid.count().over(group_by=paid.org_id),
    )
    p90 = (
        paid.filter(paid.rank == (paid.n * 9 + 9) // 10 - 1)
        .group_by("org_id")
        .aggregate(s_late_days_p90=paid.late_days.max())
    )
    pay = t["payments"]
    credit = (
        pay.filter((pay.kind == "credit_note") & (_days(d, pay.paid_on) < 180))
        .group_by(org_id=pay.payer_id)
        .aggregate(credit_notes_180d=pay.amount_minor.sum())
    )
    base = firms.select(
        "org_id",
        "kind",
        "tier",
        "industry",
        "annual_sales_minor",
        firm_age_days=_days(d, firms.founded_on),
        tenure_days=_days(d, firms.joined_network_on),
    )
    return {"base": base, "sold": sold, "bought": bought, "p90": p90, "credit": credit}


# The log's events a feature reads, and the party fields of their bodies.
_EVENT_TYPES = (
    "ReceivableOverdue",
    "FinancingOfferAccepted",
    "ReceivableIssued",
    "ReceivableTransferred",
    "FinancingRequested",
    "FinancingRequestWithdrawn",
    "ObligorDefaulted",
    "ReceivableDefaulted",
)


def _events_query(t: dict[str, ir.Table], as_of: date) -> ir.Table:
    """One pass over the log up to D: events of the types the features read, counted and
    their faces summed per (type, party, obligor, paid with, recency). Each event's body
    is searched only for the fields its type needs (the party it counts for, its face),
    so the log is scanned once and cheaply. Small: the finish step sums it per role."""
    d = _lit(as_of)
    ev = t["events"]
    ev = ev.filter(ev.type.isin(_EVENT_TYPES))
    kind, body = ev.type, ev.body
    holder = kind.isin(
        (
            "ReceivableOverdue",
            "FinancingOfferAccepted",
            "FinancingRequested",
            "FinancingRequestWithdrawn",
        )
    )
    ev = ev.select(
        "type",
        party=ibis.cases(
            (holder, _field(body, "holder_id")),
            (kind == "ReceivableIssued", _field(body, "supplier_id")),
            (kind == "ReceivableTransferred", _field(body, "to_org_id")),
            else_=_field(body, "obligor_id"),  # the defaults
        ),
        obligor_id=ibis.cases(
            (kind == "ReceivableOverdue", _field(body, "obligor_id")), else_=ibis.null("string")
        ),
        # a piece passed on in payment (a transfer's other reason is a sale to a funder)
        paid_with=(kind == "ReceivableTransferred") & body.contains('"reason":"transfer"'),
        face_minor=ibis.cases(
            (
                kind.isin(("FinancingOfferAccepted", "ReceivableIssued", "ReceivableTransferred")),
                _number(body, "face_minor"),
            ),
            else_=ibis.null("int64"),
        ),
        ago=_days(d, ev.day),
    )
    ev = ev.mutate(within=ibis.ifelse(ev.ago < 180, 180, ibis.ifelse(ev.ago < 365, 365, 0)))
    keys = ("type", "party", "obligor_id", "paid_with", "within")
    return ev.group_by(*keys).aggregate(n=ev.count(), face_minor=ev.face_minor.sum())


def _event_features(events: pd.DataFrame) -> pd.DataFrame:
    """Per organisation, from the grouped log: the counts and sums by role."""
    e = events.copy()
    e["n"] = e.n.fillna(0).astype("int64")
    e["face_minor"] = e.face_minor.fillna(0).astype("int64")
    within = e.within.to_numpy(dtype=np.int64)
    recent = within == 180
    year = recent | (within == 365)
    parts: list[pd.Series] = []

    def add(name: str, mask: Any, party: str, value: str = "n") -> None:
        rows = e[mask & (e.type == kinds[name]).to_numpy()]
        parts.append(rows.groupby(party)[value].sum().rename(name).rename_axis("org_id"))

    kinds = {
        "overdue_held_180d": "ReceivableOverdue",
        "overdue_owed_365d": "ReceivableOverdue",
        "financed_face_180d": "FinancingOfferAccepted",
        "issued_face_180d": "ReceivableIssued",
        "transferred_face_180d": "ReceivableTransferred",
        "requests_180d": "FinancingRequested",
        "withdrawn_180d": "FinancingRequestWithdrawn",
        "obligor_defaulted": "ObligorDefaulted",
        "pieces_defaulted": "ReceivableDefaulted",
    }
    every = np.ones(len(e), dtype=bool)
    add("overdue_held_180d", recent, "party")
    add("overdue_owed_365d", year, "obligor_id")
    add("financed_face_180d", recent, "party", "face_minor")
    add("issued_face_180d", recent, "party", "face_minor")
    # pieces passed to it in payment count as received too (not those sold to a funder)
    paid_with = recent & e.paid_with.fillna(False).to_numpy(dtype=bool)
    add("transferred_face_180d", paid_with, "party", "face_minor")
    add("requests_180d", recent, "party")
    add("withdrawn_180d", recent, "party")
    add("obligor_defaulted", every, "party")
    add("pieces_defaulted", every, "party")
    return pd.concat(parts, axis=1).fillna(0).astype("int64")


def _edges_query(t: dict[str, ir.Table], as_of: date) -> ir.Table:
    """The trade graph of the last 365 days: one row per (seller, buyer) with the sales
    of the last 365 and 180 days (invoices the buyer did not reject)."""
    d = _lit(as_of)
    inv = t["invoices"]
    inv = inv.filter(inv.rejected_on.isnull()).mutate(ago=_days(d, inv.issued_on))
    inv = inv.filter(inv.ago < 365)
    return inv.group_by("seller_id", "buyer_id").aggregate(
        sales_365d=inv.amount_minor.sum(),
        sales_180d=inv.amount_minor.sum(where=inv.ago < 180),
        invoices_365d=inv.count(),
    )


def relationships(source: Source, as_of: date) -> pd.DataFrame:
    """Per trade relationship (seller, buyer) as of `as_of`: its age, its volume and how
    the buyer paid this seller (integers from the relational step, then shares)."""
    source.check_as_of(as_of)
    d = _lit(as_of)
    t = cut_to(source, as_of)
    inv = t["invoices"]
    inv = inv.mutate(
        ago=_days(d, inv.issued_on),
        due_ago=_days(d, inv.due_on),
        kept=inv.rejected_on.isnull(),
        cash=inv.rejected_on.isnull() & ~inv.confirmed & ~inv.credited_in_full,
    )
    due = (inv.due_ago >= 0) & (inv.due_ago < 180) & inv.cash
    late = inv.paid_on.notnull() & (inv.paid_on > inv.due_on)
    overdue = inv.paid_on.isnull() & inv.cash & (inv.due_on < d)
    q = inv.group_by("seller_id", "buyer_id").aggregate(
        first_invoice_ago=inv.ago.max(),
        last_invoice_ago=inv.ago.min(),
        sales_180d_minor=inv.amount_minor.sum(where=(inv.ago < 180) & inv.kept),
        invoices_180d=inv.count(where=inv.ago < 180),
        due_180d=inv.count(where=due),
        paid_late_180d=inv.count(where=due & late),
        overdue_open=inv.count(where=overdue),
        late_deliveries_180d=inv.count(where=(inv.ago < 180) & inv.late_delivery),
    )
    df = _fetch(source, q).sort_values(["seller_id", "buyer_id"], kind="stable")
    df = df.reset_index(drop=True)
    for col in df.columns[2:]:
        df[col] = df[col].fillna(0).astype("int64")
    df.insert(2, "relationship_days", df.pop("first_invoice_ago"))
    df["days_since_last_invoice"] = df.pop("last_invoice_ago")
    df["buyer_paid_late_share_180d"] = _share(df.paid_late_180d, df.due_180d)
    df["late_delivery_share_180d"] = _share(df.late_deliveries_180d, df.invoices_180d)
    df.insert(0, "as_of", as_of)
    return df


def _fetch(source: Source, expr: ir.Table) -> pd.DataFrame:
    return source.backend.execute(expr)


def _share(num: Any, den: Any) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _int(df: pd.DataFrame, col: str) -> np.ndarray:
    values: np.ndarray = df[col].fillna(0).to_numpy(dtype=np.int64)
    return values


def compute_features(source: Source, as_of: date) -> pd.DataFrame:
    """Features of every supplier as of the end of `as_of`, one row per organisation,
    sorted by `org_id`: `org_id`, `as_of` and the columns of `FEATURES` in its order."""
    source.check_as_of(as_of)
    t = cut_to(source, as_of)
    queries = _firm_queries(t, as_of)
    firms = _fetch(source, queries.pop("base")).set_index("org_id")
    for query in queries.values():
        part = _fetch(source, query)
        firms = firms.join(part.set_index("org_id"), how="left")
    firms = firms.join(_event_features(_fetch(source, _events_query(t, as_of))), how="left")
    firms = firms.sort_index(kind="stable").reset_index()
    edges = _fetch(source, _edges_query(t, as_of))
    edges = edges.sort_values(["seller_id", "buyer_id"], kind="stable").reset_index(drop=True)
    return _finish(firms, edges, as_of)


def _finish(f: pd.DataFrame, edges: pd.DataFrame, as_of: date) -> pd.DataFrame:
    out = pd.DataFrame({"org_id": f.org_id.astype(str), "as_of": as_of})
    out["tier"] = f.tier.astype("int64")
    out["industry"] = f.industry.astype(str)
    out["annual_sales_minor"] = _int(f, "annual_sales_minor")
    out["firm_age_days"] = _int(f, "firm_age_days")
    tenure = f.tenure_days
    out["tenure_days"] = tenure.fillna(0).astype("int64").to_numpy()
    out["member"] = tenure.notnull().astype("int64").to_numpy()
    for n in (30, 90, 180):
        out[f"sales_{n}d_minor"] = _int(f, f"sales_{n}d")
    out["invoices_90d"] = _int(f, "n_90d")
    out["confirmed_sales_share_180d"] = _share(_int(f, "confirmed_180d"), _int(f, "sales_180d"))
    prev = _int(f, "sales_prev_90d")
    out["sales_growth_90d"] = np.where(prev > 0, _share(_int(f, "sales_90d") - prev, prev), np.nan)
    months = np.stack([_int(f, f"m{k}") for k in range(_MONTHS)], axis=1).astype(np.float64)
    mean = months.mean(axis=1)
    out["sales_volatility_180d"] = _share(months.std(axis=1), mean)
    last = f.last_ago
    out["days_since_last_invoice"] = last.astype("float64").to_numpy()
    out["late_delivery_share_90d"] = _share(_int(f, "late_90d"), _int(f, "n_90d"))
    out["partial_delivery_share_90d"] = _share(_int(f, "partial_90d"), _int(f, "n_90d"))
    out["late_delivery_share_180d"] = _share(_int(f, "late_180d"), _int(f, "n_180d"))
    out["dispute_share_180d"] = _share(_int(f, "disputed_180d"), _int(f, "n_180d"))
    out["rejected_share_180d"] = _share(_int(f, "rejected_180d"), _int(f, "n_180d"))
    out["dilution_share_180d"] = _share(_int(f, "credit_notes_180d"), _int(f, "sales_180d"))
    out["buyer_days_late_mean_180d"] = _share(_int(f, "s_late_days_180d"), _int(f, "s_paid_180d"))
    out["buyer_days_late_p90_180d"] = f.s_late_days_p90.astype("float64").to_numpy()
    out["buyer_paid_late_share_180d"] = _share(_int(f, "s_paid_late_180d"), _int(f, "s_due_180d"))
    out["buyer_overdue_unpaid_share_180d"] = _share(
        _int(f, "s_overdue_open_180d"), _int(f, "s_due_180d")
    )
    out["buyer_max_days_overdue"] = _int(f, "s_max_overdue")
    out["own_days_late_mean_180d"] = _share(_int(f, "b_late_days_180d"), _int(f, "b_paid_180d"))
    out["own_paid_late_share_180d"] = _share(_int(f, "b_paid_late_180d"), _int(f, "b_due_180d"))
    out["own_overdue_unpaid_share_180d"] = _share(
        _int(f, "b_overdue_open_180d"), _int(f, "b_due_180d")
    )
    out["own_max_days_overdue"] = _int(f, "b_max_overdue")
    out["own_overdue_invoices_365d"] = _int(f, "b_late_365d")
    out["overdue_held_180d"] = _int(f, "overdue_held_180d")
    out["overdue_owed_365d"] = _int(f, "overdue_owed_365d")
    # a piece received before the window may be financed in it: capped at all of them
    out["financed_share_180d"] = np.minimum(
        _share(
            _int(f, "financed_face_180d"),
            _int(f, "issued_face_180d") + _int(f, "transferred_face_180d"),
        ),
        1.0,
    )
    out["financing_requests_180d"] = _int(f, "requests_180d")
    out["financing_withdrawn_share_180d"] = _share(
        _int(f, "withdrawn_180d"), _int(f, "requests_180d")
    )
    network = _network(f, edges)
    for col in network.columns:
        out[col] = network[col].to_numpy()
    supplier = (f.kind == "supplier").to_numpy()
    out = out[supplier].reset_index(drop=True)
    return out[["org_id", "as_of", *FEATURE_NAMES]]


def _network(f: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Graph features from the edge list, in numpy, in the edges' fixed order."""
    n = len(f)
    index = pd.Index(f.org_id.astype(str))
    seller = index.get_indexer(edges.seller_id.astype(str))
    buyer = index.get_indexer(edges.buyer_id.astype(str))
    keep = (seller >= 0) & (buyer >= 0)
    seller, buyer = seller[keep], buyer[keep]
    s365 = edges.sales_365d.fillna(0).to_numpy(dtype=np.int64)[keep]
    s180 = edges.sales_180d.fillna(0).to_numpy(dtype=np.int64)[keep]

    def per(idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        total = np.zeros(n, dtype=values.dtype)
        np.add.at(total, idx, values)
        return total

    ones = np.ones(len(seller), dtype=np.int64)
    sold180 = per(seller, s180)
    sold365 = per(seller, s365)
    share = _share(s180, sold180[seller])
    hhi = per(seller, np.nan_to_num(share) ** 2)
    top = np.zeros(n)
    np.maximum.at(top, seller, np.nan_to_num(share))
    kind = f.kind.astype(str).to_numpy()
    tier = f.tier.to_numpy(dtype=np.int64)
    anchor = kind[buyer] == "anchor"
    tier1 = (tier[buyer] == 1) & ~anchor
    has_sales = sold180 > 0

    # The health proxy of a firm: the share of invoices it owed (due in the last 180 days)
    # that it paid late or still owes overdue: its own observable late-payment rate.
    due = _int(f, "b_due_180d")
    late_pay = _share(_int(f, "b_paid_late_180d") + _int(f, "b_overdue_open_180d"), due)
    overdue_share = _share(_int(f, "b_overdue_open_180d"), due)
    defaulted = (_int(f, "obligor_defaulted") + _int(f, "pieces_defaulted")) > 0

    def weighted(
        of: np.ndarray, weight_idx: np.ndarray, weights: np.ndarray, values: np.ndarray
    ) -> np.ndarray:
        value = values[of]
        ok = ~np.isnan(value) & (weights > 0)
        num = per(weight_idx[ok], value[ok] * weights[ok].astype(np.float64))
        den = per(weight_idx[ok], weights[ok].astype(np.float64))
        return _share(num, den)

    def exposure(mask: np.ndarray, values: np.ndarray, total: np.ndarray) -> np.ndarray:
        return np.where(total > 0, _share(per(seller, values * mask), total), np.nan)

    counterparties = np.zeros(n, dtype=np.int64)
    live = s365 > 0
    np.add.at(counterparties, seller[live], defaulted[buyer[live]].astype(np.int64))
    np.add.at(counterparties, buyer[live], defaulted[seller[live]].astype(np.int64))
    return pd.DataFrame(
        {
            "buyers_365d": per(seller, (s365 > 0).astype(np.int64) * ones),
            "suppliers_365d": per(buyer, (s365 > 0).astype(np.int64) * ones),
            "buyer_hhi_180d": np.where(has_sales, hhi, np.nan),
            "top_buyer_share_180d": np.where(has_sales, top, np.nan),
            "anchor_sales_share_180d": exposure(anchor, s180, sold180),
            "tier1_sales_share_180d": exposure(tier1, s180, sold180),
            "pagerank": _pagerank(n, buyer, seller, s365) * n,
            "buyers_late_pay_share": weighted(buyer, seller, s180, late_pay),
            "suppliers_late_pay_share": weighted(seller, buyer, s180, late_pay),
            "buyers_overdue_unpaid_share": weighted(buyer, seller, s180, overdue_share),
            "defaulted_buyer_sales_share_365d": exposure(defaulted[buyer], s365, sold365),
            "defaulted_counterparties_365d": counterparties,
        }
    )


def _pagerank(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, damping: float = 0.85
) -> np.ndarray:
    """PageRank with value flowing from buyers to the sellers they pay (weighted by the
    amounts), dangling mass spread evenly; a fixed number of power iterations in a fixed
    order, so the result depends only on the edge list."""
    if n == 0:
        return np.zeros(0)
    w = weight.astype(np.float64)
    out_total = np.zeros(n)
    np.add.at(out_total, src, w)
    norm = np.divide(w, out_total[src], out=np.zeros_like(w), where=out_total[src] > 0)
    dangling = out_total == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        flow = np.zeros(n)
        np.add.at(flow, dst, rank[src] * norm)
        new = (1 - damping) / n + damping * (flow + rank[dangling].sum() / n)
        if np.abs(new - rank).sum() < 1e-13:
            rank = new
            break
        rank = new
    return rank


def known_days(as_of: date, days: int) -> date:
    """The first day of a window of `days` days that ends on `as_of` (inclusive)."""
    return as_of - timedelta(days=days - 1)
