"""The synthetic economy: it drives the platform correctly, its labels tell the truth, its
exports are typed and its history is a function of the seed."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openscf.domain.events import record_from_data
from openscf.domain.replay import replay
from openscf.sim.config import SimConfig
from openscf.sim.export import EXPORTS
from openscf.sim.health import HealthProcess
from openscf.sim.run import simulate
from openscf.store import make_engine, sqlite_url
from openscf.store.queries import iter_events, load_exposures, stored_receivables
from openscf.trust.canonical import decode_canonical

from .conftest import Simulated


def _event(row: dict) -> Any:  # type: ignore[type-arg]
    """The domain event in an exported log row, decoded as an auditor would."""
    return record_from_data(decode_canonical(row["body"].encode()), row["seq"]).event


def _digest(out: Path) -> dict[str, str]:
    """A content hash per exported table (rows and schema, not file bytes)."""
    digests = {}
    for name in EXPORTS:
        table = pq.read_table(out / f"{name}.parquet")
        h = hashlib.sha256(str(table.schema).encode())
        for batch in table.to_batches(max_chunksize=50_000):
            for column in batch.columns:
                h.update(repr(column.to_pylist()).encode())
        digests[name] = h.hexdigest()
    return digests


def test_two_runs_with_the_same_seed_write_identical_exports(tmp_path: Path) -> None:
    config = SimConfig(firms=80, months=2, seed=5)
    first = simulate(config, tmp_path / "a", verify=False)
    second = simulate(config, tmp_path / "b", verify=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert first.analysis == second.analysis
    other = simulate(SimConfig(firms=80, months=2, seed=6), tmp_path / "c", verify=False)
    assert _digest(tmp_path / "c")["invoices"] != _digest(tmp_path / "a")["invoices"]
    assert other.analysis != first.analysis


# A regression pin, not a statement of truth: the digests of the shared small run's exports
# (and of its analysis) as the simulator wrote them once fraud stopped being given away by
# artefacts, outcomes moved out of the observable tables, ids moved into each firm's
# namespace, funders priced from what they could observe (the pricing functions of
# `pricing.py`, a moving base rate) and trade went wrong in it (partial payments, anchor
# default and recoveries, recourse, contagion, shocks, late joiners). A refactoring of the
# simulator must leave every one unchanged; a change that is meant to alter the simulated
# history (a new mechanism, a new draw) updates them in the same commit and says so.
GOLDEN_DIGESTS = {
    "firms": "8efb91e627fd1edf371d62882ebbddaae5b83e47923c475a152788c96e55d69e",
    "orders": "bf8b8778a22d4983ddc84db4dd4a4e04ce94b08f9c9b47f57778033c8ca3be7f",
    "invoices": "38463fd8d010e78442eba6d4fdbfbcf7c6d2a73d46c4d0d9763b40db3fd0ec1a",
    "receivables": "39f3c6328888a92c37ffa77e8d6fe2c62cc026eb23c5d92d58522328968b5ed6",
    "payments": "c698866de1cd68865c6284523bad2188b2e068c6510bddab107cec1bd94b322f",
    "events": "7db87b1bb84ff0ad125d64414065a3db3e69eb4435bc99bc6bf99c13eea609d9",
    "labels": "d25226d94cae3f2d00ef644577d1aa01acf2b351c5802623c83efd0fc4414804",
    "health": "fd492569a560c87bfa3424193bc3a8d8a62ceaa4734beb6779f33761e0d125b1",
    "outcomes": "916121bb3a86fd1276fb99e85345fb56a39240bf88f661745e9a8fe6766c033d",
    "analysis": "9e18557a25899d47b808bd5c6394a2d697d6ae3b1f02c7b080247c3ca9481c6f",
}


def test_the_small_run_writes_exactly_the_pinned_history(simulated: Simulated) -> None:
    digests = _digest(simulated.out)
    digests["analysis"] = hashlib.sha256(
        json.dumps(simulated.result.analysis, sort_keys=True).encode()
    ).hexdigest()
    changed = sorted(k for k in GOLDEN_DIGESTS if digests.get(k) != GOLDEN_DIGESTS[k])
    assert not changed, f"the simulated history changed in: {changed}"


def test_the_log_replays_with_every_invariant_and_equals_the_stored_state(
    simulated: Simulated,
) -> None:
    assert simulated.result.replay_ok is True, simulated.result.violations
    engine = make_engine(sqlite_url(simulated.out / "openscf.db"))
    with engine.connect() as conn:
        check = replay(iter_events(conn))
        stored = {r.id: r for r in stored_receivables(conn)}
        exposures = {k: v for k, v in load_exposures(conn).items() if v}
    engine.dispose()
    assert check.ok
    assert stored == check.state.receivables
    assert exposures == {k: v for k, v in check.state.exposures.items() if v}


def test_the_economy_uses_every_operation_of_the_platform(simulated: Simulated) -> None:
    accepted = simulated.result.analysis["platform"]["accepted"]
    for op in (
        "RegisterOrganisation",
        "AddUser",
        "CreateProgram",
        "AddFunder",
        "OnboardSupplier",
        "ConfirmInvoice",
        "ApproveConfirmation",
        "TransferReceivable",
        "RequestFinancing",
        "OfferFinancing",
        "AcceptFinancingOffer",
        "OfferEarlyPayment",
        "AcceptEarlyPayment",
        "SettleReceivable",
        "RecordPayment",
        "MarkOverdue",
        "RequestBankAccountChange",
        "ApproveBankAccountChange",
    ):
        assert accepted.get(op, 0) >= 1, op


def test_receivables_flow_down_the_tiers(simulated: Simulated) -> None:
    firms = {f["org_id"]: f for f in simulated.table("firms")}
    events = simulated.table("events")
    transfers = [_event(e) for e in events if e["type"] == "ReceivableTransferred"]
    tiers_received = Counter(firms[e.to_org_id]["tier"] for e in transfers)
    # Tier-2 and tier-3 suppliers receive pieces of anchor receivables as payment.
    assert tiers_received[2] > 0 and tiers_received[3] > 0
    tier = {i["invoice_id"]: i["seller_tier"] for i in simulated.table("invoices")}
    paid = [
        i for i in simulated.table("outcomes") if i["settlement_channel"] == "paid_with_receivable"
    ]
    assert {tier[i["invoice_id"]] for i in paid} >= {2, 3}


def test_every_export_keeps_money_as_integers_and_dates_as_dates(simulated: Simulated) -> None:
    for name in EXPORTS:
        schema = pq.read_schema(simulated.out / f"{name}.parquet")
        for field in schema:
            if field.name.endswith("_minor"):
                assert field.type == pa.int64(), (name, field.name)
            if field.name.endswith("_on") and name != "events":
                assert field.type == pa.date32(), (name, field.name)
    rows = simulated.result.rows
    assert rows["invoices"] > 1000 and rows["events"] > 1000 and rows["receivables"] > 100


def test_invoices_carry_terms_of_30_to_120_days_and_real_trade_features(
    simulated: Simulated,
) -> None:
    invoices = simulated.table("invoices")
    terms = Counter((i["due_on"] - i["issued_on"]).days for i in invoices)
    assert min(terms) >= 30 and max(terms) <= 127  # 120 days, plus a late approval's push
    assert {30, 45, 60} <= set(terms)
    assert any(i["partial_delivery"] for i in invoices)
    assert any(i["late_delivery"] for i in invoices)
    credit = {i["invoice_id"]: i["credit_note_minor"] for i in simulated.table("outcomes")}
    assert any(i["disputed"] and credit[i["invoice_id"]] > 0 for i in invoices)


def test_every_fraud_label_refers_to_invoices_that_exist(simulated: Simulated) -> None:
    invoices = {i["invoice_id"] for i in simulated.table("invoices")}
    labels = simulated.table("labels")
    kinds = Counter(x["label"] for x in labels)
    for kind in ("duplicate_invoice", "phantom_invoice", "circular_trading", "volume_jump"):
        assert kinds[kind] > 0, kind
    for x in labels:
        if x["label"] in (
            "duplicate_invoice",
            "phantom_invoice",
            "circular_trading",
            "volume_jump",
        ):
            assert x["invoice_id"] in invoices, x
        if x["related_invoice_id"] is not None:
            assert x["related_invoice_id"] in invoices, x


def test_exact_duplicates_are_refused_and_altered_ones_get_through_to_be_flagged(
    simulated: Simulated,
) -> None:
    invoices = {i["invoice_id"]: i for i in simulated.table("invoices")}
    receivables = {r["invoice_id"] for r in simulated.table("receivables")}
    duplicates = [
        x
        for x in simulated.table("labels")
        if x["label"] == "duplicate_invoice" and x["platform_outcome"] != "off_platform"
    ]
    assert duplicates
    seen = Counter()
    for x in duplicates:
        dup, original = invoices[x["invoice_id"]], invoices[x["related_invoice_id"]]
        # The same claim: same parties, same amount (on a date and an order of its own).
        assert (dup["seller_id"], dup["buyer_id"], dup["amount_minor"]) == (
            original["seller_id"],
            original["buyer_id"],
            original["amount_minor"],
        )
        assert original["invoice_id"] in receivables
        if x["variant"] in ("exact", "case"):
            assert dup["invoice_number"].strip().upper() == original["invoice_number"]
            assert x["platform_outcome"] == "refused:invoice_already_confirmed"
            assert x["invoice_id"] not in receivables
        elif x["platform_outcome"] == "confirmed":
            assert dup["invoice_number"] != original["invoice_number"]
            assert x["invoice_id"] in receivables  # a second receivable: to be flagged
        seen[x["platform_outcome"]] += 1
    assert seen["refused:invoice_already_confirmed"] > 0 and seen["confirmed"] > 0


def test_phantom_invoices_have_no_real_order_behind_them(simulated: Simulated) -> None:
    invoices = {i["invoice_id"]: i for i in simulated.table("invoices")}
    orders = {o["order_id"]: o for o in simulated.table("orders")}
    phantoms = [x for x in simulated.table("labels") if x["label"] == "phantom_invoice"]
    assert phantoms
    for x in phantoms:
        inv = invoices[x["invoice_id"]]
        # It quotes a fake order, entered by the fraudster before the invoice.
        fake = json.loads(x["detail"])["fabricated_order"]
        assert inv["order_id"] == fake and orders[fake]["ordered_on"] <= inv["issued_on"]
        quoting = [i for i in invoices.values() if i["order_id"] == fake]
        assert quoting == [inv]  # no genuine invoice, no delivery behind it
    outcomes = {x["platform_outcome"] for x in phantoms}
    assert "rejected_by_buyer" in outcomes  # the anchor's three-way match caught some


def test_circular_trading_passes_receivables_around_related_firms(simulated: Simulated) -> None:
    labels = simulated.table("labels")
    ring = next(x for x in labels if x["label"] == "circular_trading_ring")
    members = json.loads(ring["detail"])["members"]
    assert len(members) >= 3
    hops = [
        x
        for x in labels
        if x["label"] == "circular_trading"
        and x["platform_outcome"] == "transferred"
        and x["ring"] == ring["ring"]
    ]
    assert hops
    transferred = {}
    for row in simulated.table("events"):
        if row["type"] == "ReceivableTransferred":
            e = _event(row)
            transferred[e.new_receivable_id] = (e.from_org_id, e.to_org_id)
    for hop in hops:
        sender, receiver = transferred[hop["receivable_id"]]
        assert sender in members and receiver in members and receiver == hop["org_id"]


def test_volume_jumps_bill_more_than_was_ordered(simulated: Simulated) -> None:
    invoices = {i["invoice_id"]: i for i in simulated.table("invoices")}
    jumps = [x for x in simulated.table("labels") if x["label"] == "volume_jump"]
    assert jumps
    for x in jumps:
        inv = invoices[x["invoice_id"]]
        assert inv["amount_minor"] > 1.4 * inv["ordered_minor"] > 0


def test_a_defaulted_firm_stops_trading(simulated: Simulated) -> None:
    defaults = {x["org_id"]: x["on"] for x in simulated.table("labels") if x["label"] == "default"}
    for inv in simulated.table("invoices"):
        on = defaults.get(inv["seller_id"])
        if on is not None and inv["delivered_on"] is not None:
            assert inv["delivered_on"] <= on
    health = simulated.table("health")
    for row in health:
        if row["org_id"] in defaults and row["on"] > defaults[row["org_id"]]:
            assert row["defaulted"]


def test_the_hidden_health_process_drives_defaults() -> None:
    rng = np.random.default_rng(3)
    n = 6000
    mean = rng.uniform(0.8, 3.5, n)
    process = HealthProcess(rng, mean, np.full(n, 0.85), rng.integers(0, 5, n), 5)
    start = process.h.copy()
    defaulted = np.zeros(n, dtype=bool)
    for _ in range(52):
        defaulted[process.step()] = True
    order = np.argsort(start)
    weakest, strongest = order[: n // 5], order[-n // 5 :]
    assert defaulted[weakest].mean() > 5 * max(defaulted[strongest].mean(), 0.002)
    assert start[defaulted].mean() < start[~defaulted].mean() - 0.5


def test_stressed_suppliers_deliver_late_more_often(simulated: Simulated) -> None:
    # Month-start stress of each seller, joined to the invoices it issued that month.
    stress = {(h["org_id"], h["on"]): h["stress"] for h in simulated.table("health")}
    starts = sorted({h["on"] for h in simulated.table("health")})
    late = {"calm": [0, 0], "stressed": [0, 0]}
    for inv in simulated.table("invoices"):
        if inv["order_id"] is None:
            continue
        month = max(d for d in starts if d <= inv["issued_on"])
        s = stress[(inv["seller_id"], month)]
        bucket = "stressed" if s > 0.25 else "calm" if s < 0.05 else None
        if bucket:
            late[bucket][0] += inv["late_delivery"]
            late[bucket][1] += 1
    assert late["stressed"][1] > 20 and late["calm"][1] > 200
    assert late["stressed"][0] / late["stressed"][1] > 1.5 * late["calm"][0] / late["calm"][1]


def test_the_network_gets_deep_tier_suppliers_paid_sooner_and_cheaper(simulated: Simulated) -> None:
    a = simulated.result.analysis
    with_net = a["days_to_cash"]["members_with_network"]
    without = a["days_to_cash"]["members_without_network"]
    for tier in (1, 2):  # the third tier is small in a 150-firm economy
        assert with_net[tier] < without[tier]
    for network, own in zip(a["rates"]["network"], a["rates"]["own_name"], strict=True):
        if network is not None:
            assert network < own


def test_configs_that_make_no_economy_are_refused() -> None:
    for bad in (
        {"firms": 5},
        {"months": 0},
        {"tiers": 7},
        {"adoption": 1.5},
        {"fraud": -1},
        {"batch_size": 0},
    ):
        with pytest.raises(ValueError):
            SimConfig(**bad)  # type: ignore[arg-type]
