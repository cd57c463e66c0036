"""When trade goes wrong in the simulated economy: partial payments, an anchor's default
declared on the platform, recoveries and the closed claim's loss given default."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from openscf.sim.config import SimConfig
from openscf.sim.run import SimulationResult, simulate

from .conftest import Simulated

# 1,000 firms: one anchor fails half-way through the two trading months; the clock runs
# on until its administrator has paid and the claim is closed.
THOUSAND = SimConfig(firms=1000, months=2, seed=3, run_off=True)


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationResult]:
    out = tmp_path_factory.mktemp("thousand") / "out"
    return out, simulate(THOUSAND, out)


def _types(out: Path) -> Counter[str]:
    return Counter(r["type"] for r in pq.read_table(out / "events.parquet").to_pylist())


def test_an_anchor_of_a_thousand_firm_economy_defaults_and_its_claim_closes(
    thousand: tuple[Path, SimulationResult],
) -> None:
    out, result = thousand
    assert result.replay_ok is True, result.violations
    accepted = result.analysis["platform"]["accepted"]
    for op in (
        "RequestObligorDefault",
        "ApproveObligorDefault",
        "RecordRecovery",
        "CloseDefaultClaim",
    ):
        assert accepted.get(op, 0) >= 1, op
    types = _types(out)
    assert types["ObligorDefaulted"] >= 1
    assert types["RecoveryDistributed"] >= 1
    assert types["DefaultClaimClosed"] >= 1
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    declared = [x for x in labels if x["label"] == "default_declared"]
    assert declared and all(x["variant"] == "insolvency" for x in declared)
    closed = [x for x in labels if x["label"] == "default_claim_closed"]
    assert closed
    for x in closed:
        lgd = json.loads(x["detail"])["loss_given_default"]
        assert 0 < lgd < 1


def test_the_claims_losses_in_the_books_equal_exposure_less_recoveries(
    thousand: tuple[Path, SimulationResult],
) -> None:
    out, _ = thousand
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    payments = pq.read_table(out / "payments.parquet").to_pylist()
    declared = sum(x["amount_minor"] for x in labels if x["label"] == "default_declared")
    recovered = sum(x["amount_minor"] for x in labels if x["label"] == "recovery")
    paid_back = sum(p["amount_minor"] for p in payments if p["kind"] == "recovery")
    lost = sum(
        x["amount_minor"]
        for x in labels
        if x["label"] == "loss" and x["variant"] == "anchor_defaulted"
    )
    assert recovered == paid_back > 0
    assert declared == recovered + lost


def test_stressed_anchors_pay_part_at_maturity_and_the_rest_later(simulated: Simulated) -> None:
    accepted = simulated.result.analysis["platform"]["accepted"]
    assert accepted.get("RecordPayment", 0) >= 1
    payments = simulated.table("payments")
    partial = {p["receivable_id"] for p in payments if p["kind"] == "partial_payment"}
    assert partial
    completed = {p["receivable_id"] for p in payments if p["kind"] == "late_settlement"}
    assert partial & completed, "a piece paid in part is settled late for the rest"


def test_the_books_losses_equal_what_the_platform_wrote_off(
    thousand: tuple[Path, SimulationResult],
) -> None:
    out, _ = thousand
    closed = [
        json.loads(r["body"])["data"]
        for r in pq.read_table(out / "events.parquet").to_pylist()
        if r["type"] == "DefaultClaimClosed"
    ]
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    booked = sum(x["amount_minor"] for x in labels if x["label"] == "default_claim_closed")
    assert closed
    assert sum(sum(d["losses_minor"]) for d in closed) == booked
    assert sum(sum(d["exposures_minor"]) for d in closed) == sum(
        x["amount_minor"] for x in labels if x["label"] == "default_declared"
    )


def test_a_defaulted_anchor_hurts_its_suppliers_health_and_defaults_spread(
    thousand: tuple[Path, SimulationResult],
) -> None:
    """Its suppliers (tier 1, in its program) lose health over the month of its default
    more than the other tier-1 suppliers do; some defaults are labelled contagion."""
    out, _ = thousand
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    firms = pq.read_table(out / "firms.parquet").to_pylist()
    health = pq.read_table(out / "health.parquet").to_pylist()
    declared = next(x for x in labels if x["label"] == "default_declared")
    program = f"prg_{declared['org_id'][4:]}.scf"
    causes = Counter(x["variant"] for x in labels if x["label"] == "default")
    assert causes["contagion"] >= 1 and causes["own_health"] >= 1
    before = max(r["on"] for r in health if r["on"] <= declared["on"])
    after = min(r["on"] for r in health if r["on"] > declared["on"])
    h = {(r["org_id"], r["on"]): r["health"] for r in health}
    tier1 = [f for f in firms if f["kind"] == "supplier" and f["tier"] == 1]
    exposed = [f["org_id"] for f in tier1 if program in (f["programs"] or [])]
    others = [f["org_id"] for f in tier1 if program not in (f["programs"] or [])]
    assert len(exposed) >= 20 and len(others) >= 20

    def mean_change(group: list[str]) -> float:
        return sum(h[o, after] - h[o, before] for o in group) / len(group)

    assert mean_change(exposed) < mean_change(others) - 0.1


def test_funders_put_back_pieces_in_recourse_programs_only_and_sellers_pay_or_default(
    thousand: tuple[Path, SimulationResult],
) -> None:
    out, result = thousand
    events = pq.read_table(out / "events.parquet").to_pylist()
    data = [(r["type"], json.loads(r["body"])["data"]) for r in events]
    created = {d["program_id"] for t, d in data if t == "ProgramCreated"}
    with_recourse = {d["program_id"] for t, d in data if t == "ProgramRecourseSet"}
    assert with_recourse and created - with_recourse, "both kinds of program exist"
    put_back = [d for t, d in data if t == "ReceivablePutBack"]
    assert put_back
    assert all(d["program_id"] in with_recourse for d in put_back)
    accepted = result.analysis["platform"]["accepted"]
    labels = pq.read_table(out / "labels.parquet").to_pylist()
    unpaid = sum(1 for x in labels if x["label"] == "loss" and x["variant"] == "recourse_unpaid")
    assert accepted.get("PayRecourse", 0) + unpaid == len(put_back)


def test_every_firm_has_a_founding_date_before_the_start_and_anchors_are_older(
    simulated: Simulated,
) -> None:
    firms = simulated.table("firms")
    start = min(r["on"] for r in simulated.table("health"))
    assert all(f["founded_on"] is not None and f["founded_on"] < start for f in firms)
    suppliers = sorted((f for f in firms if f["kind"] == "supplier"), key=lambda f: f["founded_on"])
    anchors = [f for f in firms if f["kind"] == "anchor"]
    assert min(a["founded_on"] for a in anchors) < suppliers[len(suppliers) // 2]["founded_on"]


def test_the_report_shows_defaults_by_cause_claims_with_lgd_and_fraud_by_type(
    thousand: tuple[Path, SimulationResult],
) -> None:
    out, result = thousand
    a = result.analysis
    assert sum(a["defaults"]["by_cause"].values()) == len(a["defaults"]["anchors"]) + sum(
        a["defaults"]["by_tier"]
    )
    assert any(k.startswith("anchor:") for k in a["defaults"]["by_tier_and_cause"])
    claim = a["claims"]["claims"][0]
    assert claim["closed_day"] >= 0 and 0 < claim["loss_given_default"] < 1
    assert a["fraud_by_type"] and "default" not in a["fraud_by_type"]
    html = (out / "report.html").read_text()
    for text in ("defaults (tier: cause)", "fraud by type", "loss given default", claim["obligor"]):
        assert text in html, text


def test_some_suppliers_join_the_network_later_and_trade_through_it_only_from_then(
    simulated: Simulated,
) -> None:
    firms = simulated.table("firms")
    start = min(r["on"] for r in simulated.table("health"))
    late = {
        f["org_id"]: f["joined_network_on"]
        for f in firms
        if f["joined_network_on"] is not None and f["joined_network_on"] > start
    }
    assert late
    assert all(f["joined_network_on"] is None for f in firms if not f["programs"])
    onboarded = [
        json.loads(r["body"]) for r in simulated.table("events") if r["type"] == "SupplierOnboarded"
    ]
    when = {d["data"]["supplier_id"]: d["at"][:10] for d in onboarded}
    assert all(when[org] == str(day) for org, day in late.items())
    # Before it joined, nothing reached it through the network.
    for r in simulated.table("receivables"):
        if r["supplier_id"] in late:
            assert str(r["issued_at"])[:10] >= str(late[r["supplier_id"]])
    for pay in simulated.table("payments"):
        if pay["kind"] == "receivable_transfer" and pay["payee_id"] in late:
            assert pay["paid_on"] >= late[pay["payee_id"]]
