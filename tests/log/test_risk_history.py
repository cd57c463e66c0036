"""Risk decisions are verifiable: the export carries the model artefacts, the audit checks
each hashes to its registered hash and recomputes every decision from its features; a
forged history (a flagged invoice confirmed, a decision the model would not make, a
decision citing an unregistered model) fails the audit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openscf.app.audit import audit, db_source, export_source
from openscf.app.export import export_log
from openscf.app.queries import Ledger
from openscf.app.risk_ledger import RiskLedger, register_model
from openscf.domain import commands as c
from openscf.domain.errors import Conflict, InvalidRequest
from openscf.risk import points, pricing_model
from openscf.risk.scoring import features_sha256, features_text
from openscf.store import tables as t
from openscf.store.uow import UnitOfWork

from ..conftest import Net
from ..tagging import tag
from .test_forbidden_history import _assert_audit_names, _forge, _right_events

SCORECARD = {
    "format": points.KIND,
    "base_points": 600,
    "features": {
        "late_delivery_bps": [[500, 40], [1500, 10], [None, -40]],
        "tenure_days": [[90, -30], [365, 0], [None, 25]],
    },
    "pd_bands": [[650, 50], [600, 150], [550, 400], [None, 1200]],
    "grades": [[100, "A"], [300, "B"], [800, "C"], [None, "D"]],
    "horizon_days": 90,
}
PRICING = {
    "format": pricing_model.KIND,
    "cost_of_funds_bps": 350,
    "margin_bps": 150,
    "capital_ratio_bps": 800,
    "cost_of_capital_bps": 1200,
    "lgd_prior_bps": 4500,
    "basis_days": 365,
}


def _bytes(model: dict[str, object]) -> bytes:
    return json.dumps(model, sort_keys=True).encode()


def _models(net: Net) -> tuple[str, str]:
    scorecard = register_model(
        net.svc,
        net.operator,
        kind=points.KIND,
        feature_names=("late_delivery_bps", "tenure_days"),
        artefact=_bytes(SCORECARD),
        content_sha256=hashlib.sha256(_bytes(SCORECARD)).hexdigest(),
    ).created["model_id"]
    pricer = register_model(
        net.svc,
        net.operator,
        kind=pricing_model.KIND,
        feature_names=pricing_model.FEATURES,
        artefact=_bytes(PRICING),
    ).created["model_id"]
    return str(scorecard), str(pricer)


def _decisions(net: Net) -> tuple[str, str, str]:
    """A score of supplier 0, a price of a piece it holds; returns (scorecard, pricer, piece)."""
    ledger = RiskLedger(net.svc)
    scorecard, pricer = _models(net)
    _, output = ledger.decide(
        net.operator,
        model_id=scorecard,
        kind="score",
        subject_kind="organisation",
        org_id=net.suppliers[0],
        features={"late_delivery_bps": 1800, "tenure_days": 40},
    )
    # 600 - 40 (late) - 30 (new) = 530 points: PD 1200 bps, grade D; late costs most.
    assert (output["points"], output["pd_bps"], output["grade"]) == (530, 1200, "D")
    assert output["reasons"][0].startswith("late_delivery_bps = 1800: 80 points")
    rid = net.confirm()
    piece = Ledger(net.svc.engine).receivable(rid)
    assert piece is not None
    _, price = ledger.price_piece(
        net.operator,
        model_id=pricer,
        piece=piece,
        pd_bps=200,
        pd_horizon_days=365,
        today=net.clock.now().date(),
    )
    # 88 days to 29 May: 0.02 x 0.45 annualised = 90 bps; capital 8 % x 12 % = 96 bps.
    assert (price["expected_loss_bps"], price["capital_charge_bps"]) == (90, 96)
    assert price["rate_bps"] == 350 + 90 + 96 + 150 and price["lgd_source"] == "prior"
    return scorecard, pricer, rid


def test_the_export_carries_the_artefacts_and_the_audit_recomputes_every_decision(
    net: Net, tmp_path: Path
) -> None:
    scorecard, _pricer, _ = _decisions(net)
    counts = export_log(net.svc.engine, tmp_path / "x")
    assert counts["models"] == 2
    assert (tmp_path / "x" / "models" / scorecard).read_bytes() == _bytes(SCORECARD)
    for source in (db_source(net.svc.engine), export_source(tmp_path / "x")):
        report = audit(source)
        assert report.ok, report.findings
        assert (report.models, report.decisions_recomputed) == (2, 2)


def test_an_exported_artefact_that_does_not_hash_to_its_record_fails_the_audit(
    net: Net, tmp_path: Path
) -> None:
    scorecard, _, _ = _decisions(net)
    export_log(net.svc.engine, tmp_path / "x")
    tampered = dict(SCORECARD, base_points=700)
    (tmp_path / "x" / "models" / scorecard).write_bytes(_bytes(tampered))
    report = audit(export_source(tmp_path / "x"))
    assert [f.code for f in report.findings] == ["model_artefact_mismatch"]
    (tmp_path / "x" / "models" / scorecard).unlink()
    report = audit(export_source(tmp_path / "x"))
    assert [f.code for f in report.findings] == ["model_artefact_missing"]


def test_an_artefact_whose_hash_does_not_match_its_record_is_refused_and_nothing_recorded(
    net: Net,
) -> None:
    with net.svc.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    with pytest.raises(InvalidRequest) as exc:
        register_model(
            net.svc,
            net.operator,
            kind=points.KIND,
            feature_names=("late_delivery_bps", "tenure_days"),
            artefact=_bytes(SCORECARD),
            content_sha256=hashlib.sha256(b"another artefact").hexdigest(),
        )
    assert exc.value.code == "artefact_hash_mismatch"
    with net.svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.events)).scalar_one() == before
        assert (
            conn.execute(select(func.count()).select_from(t.risk_model_artefacts)).scalar_one() == 0
        )


def test_a_decision_the_model_would_not_make_fails_the_audit(net: Net) -> None:
    """The operator signs what it likes; the audit recomputes what the model says."""
    scorecard, _, _ = _decisions(net)
    features = features_text({"late_delivery_bps": 100, "tenure_days": 1000})
    lie = json.dumps({"grade": "D", "pd_bps": 1200}, separators=(",", ":"), sort_keys=True)
    net.svc.handle(
        net.operator,
        c.RecordRiskDecision(
            "score",
            "organisation",
            net.suppliers[1],
            scorecard,
            hashlib.sha256(_bytes(SCORECARD)).hexdigest(),
            features,
            features_sha256(features),
            lie,
            ("made up",),
        ),
    )
    report = audit(db_source(net.svc.engine))
    assert [f.code for f in report.findings] == ["decision_not_reproduced"]
    assert "A" in report.findings[0].message  # the model's own grade is shown


def _operator_org(net: Net) -> str:
    def work(uow: UnitOfWork) -> str:
        _, org = uow.state.actor(net.operator)
        assert org is not None
        return org.id

    return net.svc.transaction(work)


def test_a_decision_citing_an_unregistered_model_fails_the_audit(net: Net) -> None:
    scorecard, _, _ = _decisions(net)
    features = features_text({"late_delivery_bps": 100, "tenure_days": 1000})
    honest = c.RecordRiskDecision(
        "score",
        "organisation",
        net.suppliers[1],
        scorecard,
        hashlib.sha256(_bytes(SCORECARD)).hexdigest(),
        features,
        features_sha256(features),
        json.dumps({"grade": "A", "pd_bps": 50}, separators=(",", ":"), sort_keys=True),
        (),
        decision_id=tag(_operator_org(net), "rdc_forged"),
    )
    events = _right_events(net, net.operator, honest)
    stranger = tag(_operator_org(net), "rmd_stranger")
    forged_cmd = replace(honest, model_id=stranger)
    forged = [replace(events[0], model_id=stranger)]  # type: ignore[type-var]
    operator_org = _operator_org(net)
    seq = _forge(net, operator_org, net.operator, forged_cmd, forged)  # type: ignore[arg-type]
    _assert_audit_names(net, seq, "unknown_model")


def test_the_audit_rejects_a_log_in_which_a_flagged_invoice_was_confirmed(net: Net) -> None:
    confirm = c.ConfirmInvoice(
        net.program_id,
        net.suppliers[0],
        "INV-FLAGGED",
        10_000_00,
        "EUR",
        date(2026, 5, 29),
        invoice_id=tag(net.anchor, "inv_flagged"),
        receivable_id=tag(net.anchor, "rcv_flagged"),
        approval_id=tag(net.anchor, "apr_flagged"),
    )
    events = _right_events(net, net.anchor_user, confirm)
    flag = net.svc.handle(
        net.operator,
        c.RaiseFraudFlag(
            "duplicates/1",
            "altered duplicate of INV-1",
            "ab" * 32,
            net.program_id,
            net.suppliers[0],
            "INV-FLAGGED",
        ),
    ).created["flag_id"]
    with pytest.raises(Conflict) as exc:
        net.svc.handle(net.anchor_user, confirm)
    assert exc.value.code == "invoice_flagged" and flag in exc.value.message
    seq = _forge(net, net.anchor, net.anchor_user, confirm, events)
    _assert_audit_names(net, seq, "invoice_flagged")
    report = audit(db_source(net.svc.engine))
    assert any("held by fraud flag" in f.message for f in report.findings)


def test_the_anchors_checker_clears_a_flag_and_the_piece_can_then_be_financed(net: Net) -> None:
    rid = net.confirm()
    flag = net.svc.handle(
        net.operator,
        c.RaiseFraudFlag("phantom/1", "no order, no delivery", "ab" * 32, receivable_id=rid),
    ).created["flag_id"]
    supplier = net.supplier_users[0]
    with pytest.raises(Conflict) as exc:
        net.svc.handle(supplier, c.RequestFinancing(rid))
    assert exc.value.code == "receivable_flagged" and flag in exc.value.message
    net.svc.handle(net.anchor_checker, c.ClearFraudFlag(flag, "goods received, order found"))
    net.svc.handle(supplier, c.RequestFinancing(rid))
    assert audit(db_source(net.svc.engine)).ok


def test_a_price_uses_the_programs_realised_lgd_once_a_claim_is_closed(net: Net) -> None:
    from .test_forbidden_recovery import _claim

    ledger = RiskLedger(net.svc)
    _, pricer = _models(net)
    assert ledger.realised_lgd(net.program_id) is None
    claim, clerk = _claim(net)
    net.svc.handle(net.operator, c.RecordRecovery(claim, 10_000_00, "EUR", "administrator"))
    net.svc.handle(net.operator, c.CloseDefaultClaim(claim))
    # 100,000.00 exposed, 10,000.00 recovered: loss 90 %, 9000 bps.
    assert ledger.realised_lgd(net.program_id) == 9000
    piece = next(p for p in Ledger(net.svc.engine).receivables() if p.holder_id == net.suppliers[1])
    _, price = ledger.price_piece(
        net.operator,
        model_id=pricer,
        piece=piece,
        pd_bps=200,
        pd_horizon_days=365,
        today=net.clock.now().date(),
    )
    # 2 % a year x 90 % = 180 bps of expected loss a year.
    assert (price["lgd_bps"], price["lgd_source"], price["expected_loss_bps"]) == (
        9000,
        "realised",
        180,
    )
    # The operator's other checker (not the raiser) clears a flag too.
    flag = net.svc.handle(
        net.operator,
        c.RaiseFraudFlag("dup/1", "dup", "ab" * 32, net.program_id, net.suppliers[0], "INV-Z"),
    ).created["flag_id"]
    net.svc.handle(clerk, c.ClearFraudFlag(flag, "a legitimate re-issue"))
    report = audit(db_source(net.svc.engine))
    assert report.ok and report.decisions_recomputed == 1
