"""No look-ahead: a detector run as of D sees only what was known on D."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openscf.risk.fraud import detect_all, detect_duplicates, detect_rings, load_trade_data
from openscf.risk.fraud.data import COLUMNS, ROW_DATE, TradeData

from .cases import data, day, invoice, orders_on, piece_payments


def test_a_rejection_known_only_after_the_cut_does_not_excuse_a_duplicate_before_it() -> None:
    original = invoice("i1", "s", "b", 1_000_00, 0, number="INV-5", order_id="o1", rejected=20)
    again = invoice("i2", "s", "b", 1_000_00, 10, number="INV-5", order_id="o1")
    full = data([original, again])
    assert [f.invoice_id for f in detect_duplicates(full.cut(day(15)))] == ["i2"]
    assert detect_duplicates(full.cut(day(25))) == []


def test_a_circle_that_closes_after_the_cut_is_not_seen_before_it() -> None:
    hops = [
        invoice("r0", "b", "a", 1_000_000, 10, paid=12),
        invoice("r1", "c", "b", 1_020_000, 10, paid=12),
        invoice("r2", "a", "c", 1_050_000, 12, paid=12),
    ]
    payments, receivables = piece_payments(hops, "rcv_9")
    full = data(hops, orders=orders_on(hops, day(0)), payments=payments, receivables=receivables)
    assert detect_rings(full.cut(day(11))) == []
    assert {f.invoice_id for f in detect_rings(full.cut(day(12)))} == {"r0", "r1", "r2"}


def test_cutting_twice_is_cutting_once_and_a_later_cut_is_refused() -> None:
    full = data([invoice("i1", "s", "b", 100, 0, paid=30), invoice("i2", "s", "b", 100, 40)])
    once = full.cut(day(20))
    assert once.invoices[0].paid_on is None and len(once.invoices) == 1
    assert once.cut(day(20)) == once
    with pytest.raises(Exception, match="cannot say what was known"):
        once.cut(day(25))


# --- on a generated economy -------------------------------------------------------------


def _rewrite_future(src: Path, dst: Path, cut: date) -> None:
    """A copy of the observable tables whose future is another one: every row after the
    cut dropped, every later column changed, and rows of a made-up future added."""
    dst.mkdir()
    for table in COLUMNS:
        t = pq.read_table(src / f"{table}.parquet")
        rows = t.to_pylist()
        row_date = ROW_DATE[table]

        def on(value: object) -> date | None:
            if value is None or isinstance(value, date):
                return value
            return date.fromisoformat(str(value)[:10])

        kept = []
        for row in rows:
            if row_date in row and on(row[row_date]) is not None and on(row[row_date]) > cut:  # type: ignore[operator]
                continue
            for column, by in COLUMNS[table].items():
                when = on(row.get(by)) if by in row else None
                if by != row_date and when is not None and when > cut:
                    row[column] = None  # a later event that, in this future, never happens
            kept.append(row)
        if table == "invoices" and kept:
            # a future in which every invoice of the past is presented again
            for k, row in enumerate(list(kept)):
                kept.append({**row, "invoice_id": f"future{k}", "issued_on": date(2099, 1, 1)})
        pq.write_table(pa.Table.from_pylist(kept, schema=t.schema), dst / f"{table}.parquet")


def test_flags_as_of_a_day_do_not_depend_on_what_happened_after_it(
    economy: Path, tmp_path: Path
) -> None:
    full = load_trade_data(economy)
    days = sorted(i.issued_on for i in full.invoices)
    cut = days[len(days) * 2 // 3]
    other = tmp_path / "other-future"
    _rewrite_future(economy, other, cut)
    seen = detect_all(load_trade_data(economy, as_of=cut))
    assert seen, "the economy shows fraud before the cut"
    assert detect_all(load_trade_data(other, as_of=cut)) == seen
    assert all(f.flagged_on <= cut for f in seen)
    # and the made-up future is visible once the cut allows it
    assert len(detect_all(load_trade_data(other))) > len(seen)


def test_the_cut_keeps_exactly_what_the_simulators_classification_says_was_known(
    economy: Path,
) -> None:
    from openscf.sim.export import OBSERVABLE, as_of

    for table, columns in COLUMNS.items():
        assert set(columns) <= set(OBSERVABLE[table]), table
    full = load_trade_data(economy)
    days = sorted(i.issued_on for i in full.invoices)
    cut = days[len(days) // 2]
    ours: TradeData = load_trade_data(economy, as_of=cut)
    theirs = as_of("invoices", pq.read_table(economy / "invoices.parquet"), cut)
    assert {(r["invoice_id"], r["paid_on"], r["rejected_on"]) for r in theirs} == {
        (i.invoice_id, i.paid_on, i.rejected_on) for i in ours.invoices
    }
    for table, mine in (
        ("orders", set(ours.orders)),
        ("receivables", set(ours.receivables)),
    ):
        key = "order_id" if table == "orders" else "id"
        theirs_ids = {
            r[key] for r in as_of(table, pq.read_table(economy / f"{table}.parquet"), cut)
        }
        assert theirs_ids == mine, table
    payments = as_of("payments", pq.read_table(economy / "payments.parquet"), cut)
    assert len(payments) == len(ours.payments)
    members = {
        r["org_id"]: r["joined_network_on"]
        for r in as_of("firms", pq.read_table(economy / "firms.parquet"), cut)
    }
    assert members == {k: f.member_since for k, f in ours.firms.items()}
    # the full data, cut, equals the data loaded as of the day
    assert replace(full.cut(cut)) == ours
