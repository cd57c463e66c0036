"""The simulated economy as a data set: fraud is not given away by an artefact of the
generator, and the observable tables hold only what could be known at their rows' dates."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from openscf.sim.config import SimConfig
from openscf.sim.economy import Economy
from openscf.sim.export import (
    END,
    EXPORTS,
    GROUND_TRUTH,
    OBSERVABLE,
    ROW_DATE,
    START,
    as_of,
    export_all,
)
from openscf.sim.run import simulate
from openscf.sim.world import INDUSTRIES, build_world
from openscf.store import make_engine, migrate, sqlite_url

from .conftest import Simulated

FRAUD = ("duplicate_invoice", "phantom_invoice", "circular_trading", "volume_jump")


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """How well one feature separates two groups, either way round (0.5: not at all, 1:
    perfectly): the Mann-Whitney statistic with tied values sharing their ranks."""
    x = np.concatenate([positive, negative]).astype(float)
    order = x.argsort(kind="mergesort")
    ranks = np.empty(len(x))
    ranked = np.arange(1, len(x) + 1, dtype=float)
    _, first, counts = np.unique(x[order], return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        ranked[start : start + count] = ranked[start : start + count].mean()
    ranks[order] = ranked
    n_pos, n_neg = len(positive), len(negative)
    auc = (ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return float(max(auc, 1 - auc))


def test_the_separation_measure_sees_a_perfect_separator() -> None:
    assert _auc(np.array([5.0, 6.0]), np.array([1.0, 2.0, 3.0])) == 1.0
    assert _auc(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.5


def _fraud_invoices(simulated: Simulated) -> dict[str, str]:
    return {x["invoice_id"]: x["label"] for x in simulated.table("labels") if x["label"] in FRAUD}


# --- fraud without artefacts -------------------------------------------------------------


def test_invoice_numbers_are_each_firms_own_and_do_not_encode_the_index(
    simulated: Simulated,
) -> None:
    invoices = simulated.table("invoices")
    index = np.array([int(i["invoice_id"].rsplit(".", 1)[1]) for i in invoices])
    digits = [re.search(r"(\d+)\D*$", i["invoice_number"]) for i in invoices]
    tail = np.array([int(m.group(1)) if m else -1 for m in digits])
    # No invoice's number ends in its own index, and the numbers' order is not the index's.
    assert np.mean(tail == index) < 0.01
    rank_index, rank_tail = index.argsort().argsort(), tail.argsort().argsort()
    rho = np.corrcoef(rank_index, rank_tail)[0, 1]
    assert abs(rho) < 0.2, rho
    # Formats: prefixes, year parts, separators, several shapes across firms.
    shapes = {re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", i["invoice_number"])) for i in invoices}
    assert len(shapes) >= 6, shapes
    # Each seller numbers its own invoices in sequence.
    by_seller: dict[str, list[int]] = defaultdict(list)
    fraud = _fraud_invoices(simulated)
    for i, t in zip(invoices, tail.tolist(), strict=True):
        if i["invoice_id"] not in fraud and i["issued_on"].year == 2026:
            by_seller[i["seller_id"]].append(t)
    rising = [seq == sorted(seq) for seq in by_seller.values() if len(seq) > 5]
    assert rising and np.mean(rising) > 0.9


def test_fraud_comes_at_no_particular_place_in_the_days_invoices(simulated: Simulated) -> None:
    # Invoice ids (and the log's order) follow the order in which invoices were issued:
    # fraud presented after each day's genuine invoices would be found by its position.
    by_day: dict[Any, list[tuple[int, str]]] = defaultdict(list)
    for i in simulated.table("invoices"):
        by_day[i["issued_on"]].append((int(i["invoice_id"].rsplit(".", 1)[1]), i["invoice_id"]))
    fraud = _fraud_invoices(simulated)
    position: dict[str, float] = {}
    for rows in by_day.values():
        rows.sort()
        for k, (_, invoice) in enumerate(rows):
            position[invoice] = k / max(1, len(rows) - 1)
    genuine = np.array([p for i, p in position.items() if i not in fraud])
    for kinds in (("phantom_invoice", "duplicate_invoice"), ("circular_trading",)):
        presented = [p for i, p in position.items() if fraud.get(i) in kinds]
        assert len(presented) >= 8
        assert _auc(np.array(presented), genuine) < 0.75, kinds


def test_duplicates_carry_their_own_order_and_dates(simulated: Simulated) -> None:
    invoices = {i["invoice_id"]: i for i in simulated.table("invoices")}
    duplicates = [x for x in simulated.table("labels") if x["label"] == "duplicate_invoice"]
    assert duplicates
    other_delivery = 0
    for x in duplicates:
        dup, original = invoices[x["invoice_id"]], invoices[x["related_invoice_id"]]
        assert dup["order_id"] is not None and dup["order_id"] != original["order_id"]
        assert dup["issued_on"] > original["issued_on"]
        other_delivery += dup["delivered_on"] != original["delivered_on"]
    assert other_delivery >= len(duplicates) / 2


def _firm_features(world: Any, firm: int) -> dict[str, float]:
    """A supplier's row of the exported firms table, as numbers."""
    f = world.firms[firm]
    return {
        "tier": f.tier,
        "industry": INDUSTRIES.index(f.industry),
        "country": ["DE", "NL", "AT", "PL"].index(f.country),
        "annual_sales_minor": round(f.sales_eur) * 100,
        "ownership_group": f.group,
        "programs": len(f.programs),
    }


def test_no_single_firm_column_separates_ring_members_and_rings_vary_by_seed() -> None:
    common, unrelated = 0, 0
    heads = set()
    for seed in (1, 2, 3):
        config = SimConfig(firms=3000, months=12, seed=seed, fraud=3.0)
        world = build_world(config, np.random.default_rng(seed))
        assert len(world.rings) >= 5
        members = {m for ring in world.rings for m in ring}
        others = [s for s in world.suppliers if s not in members]
        features = {s: _firm_features(world, s) for s in world.suppliers}
        for column in features[others[0]]:
            auc = _auc(
                np.array([features[m][column] for m in members]),
                np.array([features[s][column] for s in others]),
            )
            assert auc < 0.8, (seed, column, auc)
        for ring in world.rings:
            groups = {world.firms[m].group for m in ring}
            if len(groups) == 1 and -1 not in groups:
                common += 1
            else:
                unrelated += 1
            heads.add(world.firms[ring[0]].group)
    assert common >= 3 and unrelated >= 3
    assert len(heads) >= 5  # no group number marks a ring


def test_genuine_invoices_go_above_their_order_and_are_rejected_too(simulated: Simulated) -> None:
    fraud = _fraud_invoices(simulated)
    genuine = [i for i in simulated.table("invoices") if i["invoice_id"] not in fraud]
    above = [i for i in genuine if i["amount_minor"] > i["ordered_minor"]]
    assert len(above) > 0.01 * len(genuine)
    assert any(i["amount_minor"] > 1.4 * i["ordered_minor"] for i in above)
    rejected = [i for i in genuine if i["rejected_on"] is not None]
    assert len(rejected) >= 2
    # ... and invoiced again, corrected, on the same order.
    by_order = Counter(i["order_id"] for i in genuine)
    assert all(
        by_order[i["order_id"]] >= 2
        for i in rejected
        if i["issued_on"] < max(x["issued_on"] for x in genuine) - timedelta(days=30)
    )
    phantoms = [
        i for i in simulated.table("invoices") if fraud.get(i["invoice_id"]) == "phantom_invoice"
    ]
    assert any(i["rejected_on"] is None for i in phantoms)


def test_legitimate_trade_has_cycles(simulated: Simulated) -> None:
    # Customers selling back to their suppliers: two-cycles of genuine invoices.
    fraud = _fraud_invoices(simulated)
    edges = {
        (i["seller_id"], i["buyer_id"])
        for i in simulated.table("invoices")
        if i["invoice_id"] not in fraud
    }
    two_cycles = {tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges}
    assert len(two_cycles) >= 3
    # Related firms supplying each other in a circle: three-cycles of trade links.
    world = build_world(SimConfig(firms=3000, seed=1), np.random.default_rng(1))
    sells_to: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(world.link_seller, world.link_buyer, strict=True):
        sells_to[a].add(b)
    ring_members = {m for ring in world.rings for m in ring}
    three = [
        (a, b, c)
        for a in list(sells_to)
        for b in sells_to[a]
        for c in sells_to.get(b, set())
        if a in sells_to.get(c, set()) and len({a, b, c}) == 3 and not {a, b, c} & ring_members
    ]
    assert three


SIX_MONTHS = SimConfig(firms=250, months=6, seed=4, fraud=3.0)


@pytest.fixture(scope="module")
def six_months(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    out = tmp_path_factory.mktemp("six") / "out"
    return Simulated(out, simulate(SIX_MONTHS, out, verify=False))


def test_legitimate_volume_jumps_come_from_new_contracts(six_months: Simulated) -> None:
    contracts = [x for x in six_months.table("labels") if x["label"] == "new_contract"]
    assert len(contracts) >= 3
    before = after = 0.0
    orders = six_months.table("orders")
    start = SIX_MONTHS.start
    end = start + timedelta(days=181)
    for x in contracts:
        buyer = json.loads(x["detail"])["buyer"]
        days = [
            o["ordered_on"]
            for o in orders
            if o["seller_id"] == x["org_id"] and o["buyer_id"] == buyer
        ]
        span_before, span_after = (x["on"] - start).days, (end - x["on"]).days
        if span_before >= 14 and span_after >= 14:
            before += sum(d < x["on"] for d in days) / span_before
            after += sum(d >= x["on"] for d in days) / span_after
    assert after > 1.5 * before > 0


def test_bust_outs_follow_fraud_and_end_in_default(six_months: Simulated) -> None:
    labels = six_months.table("labels")
    fraud_on: dict[str, Any] = {}
    for x in labels:
        if x["label"] in ("volume_jump", "phantom_invoice"):
            fraud_on.setdefault(x["org_id"], x["on"])
    defaults = {x["org_id"]: x["on"] for x in labels if x["label"] == "default"}
    busts = [x for x in labels if x["label"] == "bust_out"]
    assert busts
    for x in busts:
        assert fraud_on[x["org_id"]] < x["on"]
        assert x["on"] <= defaults[x["org_id"]] <= x["on"] + timedelta(days=8)
    suppliers = [f["org_id"] for f in six_months.table("firms") if f["kind"] == "supplier"]
    honest = [s for s in suppliers if s not in fraud_on]
    rate_fraud = sum(s in defaults for s in fraud_on) / len(fraud_on)
    rate_honest = sum(s in defaults for s in honest) / len(honest)
    assert rate_fraud > 3 * rate_honest


# --- observable data apart from ground truth ---------------------------------------------

HIDDEN = ("settlement_channel", "cash_without_network_on", "days_to_cash", "credit_note_minor")


def test_every_exported_column_is_classified_and_outcomes_are_ground_truth(
    simulated: Simulated,
) -> None:
    assert set(OBSERVABLE) | set(GROUND_TRUTH) == set(EXPORTS)
    assert not set(OBSERVABLE) & set(GROUND_TRUTH)
    for name, known in OBSERVABLE.items():
        columns = pq.read_schema(simulated.out / f"{name}.parquet").names
        assert set(columns) == set(known), name
        for column, by in known.items():
            assert by in (START, END) or by in columns, (name, column)
        for column in HIDDEN:
            assert column not in columns, (name, column)
    outcomes = pq.read_schema(simulated.out / "outcomes.parquet").names
    assert set(HIDDEN) <= set(outcomes)
    # A column dated by a later event is never dated before its row.
    for name, known in OBSERVABLE.items():
        row_date = ROW_DATE[name]
        if row_date == START:
            continue
        for row in simulated.table(name)[:20_000]:
            for by in set(known.values()) - {START, END, row_date}:
                assert row[by] is None or row[by] >= row[row_date], (name, by, row)


def _economy(out: Path, config: SimConfig, hook: Any = None) -> None:
    out.mkdir(parents=True)
    engine = make_engine(sqlite_url(out / "openscf.db"))
    migrate(engine)
    economy = Economy(engine, config, on_day=hook)
    economy.run()
    export_all(economy, engine, out)
    engine.dispose()


def test_hidden_state_after_a_day_leaves_what_was_observable_up_to_it_unchanged(
    tmp_path: Path,
) -> None:
    """The leakage probe. Two runs of one seed; in the second, every supplier's hidden
    health collapses at the end of day D (most default within a week). Nothing observable
    on or before D may differ: a column computed from hidden state or from what happened
    later (a final channel, a final credit note, a default) would. The same cut of the
    ground truth does differ, which shows the probe can see a leak."""
    config = SimConfig(firms=120, months=3, seed=4, fraud=3.0)
    cut_day = 40

    def collapse(e: Economy, day: int) -> None:
        if day == cut_day:
            for s in e.world.suppliers:
                e.health.shock(s, 2.5)

    _economy(tmp_path / "base", config)
    _economy(tmp_path / "shocked", config, collapse)
    cut = config.start + timedelta(days=cut_day)
    for name in OBSERVABLE:
        base = as_of(name, pq.read_table(tmp_path / "base" / f"{name}.parquet"), cut)
        shocked = as_of(name, pq.read_table(tmp_path / "shocked" / f"{name}.parquet"), cut)
        assert base, name
        assert base == shocked, name

    def truth(run: str) -> list[Any]:
        issued = {
            i["invoice_id"]
            for i in pq.read_table(tmp_path / run / "invoices.parquet").to_pylist()
            if i["issued_on"] <= cut
        }
        return [
            (o["settlement_channel"], o["credit_note_minor"])
            for o in pq.read_table(tmp_path / run / "outcomes.parquet").to_pylist()
            if o["invoice_id"] in issued
        ]

    assert truth("base") != truth("shocked")


def test_the_gap_between_delivery_and_invoice_does_not_give_fraud_away(
    simulated: Simulated,
) -> None:
    # Genuine invoices are issued up to three days after their delivery, as fraud's stated
    # deliveries are: a detector cannot find phantoms or ring hops by that gap alone.
    fraud = _fraud_invoices(simulated)
    gap = {
        i["invoice_id"]: (i["issued_on"] - i["delivered_on"]).days
        for i in simulated.table("invoices")
    }
    genuine = np.array([g for i, g in gap.items() if i not in fraud])
    assert set(np.unique(genuine)) >= {0, 1, 2, 3}
    for kinds in (("phantom_invoice", "duplicate_invoice"), ("circular_trading",)):
        presented = np.array([g for i, g in gap.items() if fraud.get(i) in kinds])
        assert len(presented) >= 8, kinds
        assert _auc(presented, genuine) < 0.75, kinds  # before: about 0.85 (gap 0 if genuine)
