"""The default models' decisions on the log: a trained champion (and challenger) is
registered through the app with its artefact, a score decision records PD, grade and
reasons from the decision's own feature vector, the audit recomputes it byte for byte, and
a tampered feature vector fails the audit."""

from __future__ import annotations

import json

import pytest

from openscf.app.audit import audit, db_source
from openscf.app.risk_ledger import RiskLedger, register_model
from openscf.domain import commands as c
from openscf.risk import model_scorer
from openscf.risk.models import Model
from openscf.risk.scoring import ScorerError, features_sha256, features_text, score, scorer_kinds
from openscf.risk.training import train_model
from openscf.trust.canonical import decode_canonical

from ..conftest import Net
from .modeldata import constructed


@pytest.fixture(scope="module", params=["scorecard", "lightgbm"])
def model(request: pytest.FixtureRequest) -> Model:
    frame, y, fs = constructed()
    return train_model(request.param, frame, y, fs, target="default_90d", seed=3)


RISKY = {"late_share": 0.4, "sector": "textile", "noise": 0.1}


def _register(net: Net, model: Model) -> str:
    out = register_model(
        net.svc,
        net.operator,
        kind=model_scorer.KIND,
        feature_names=tuple(model.feature_set.names),
        artefact=model.artefact_bytes(),
        content_sha256=model.sha256,
    )
    return str(out.created["model_id"])


def test_importing_the_risk_package_registers_the_default_models_scorer() -> None:
    assert model_scorer.KIND in scorer_kinds()


def test_the_scorer_gives_the_models_own_pd_grade_and_reasons_without_floats(model: Model) -> None:
    out = score(model_scorer.KIND, model.artefact_bytes(), RISKY)
    import pandas as pd

    expected = model.score(pd.DataFrame({k: [v] for k, v in RISKY.items()}))[0]
    assert out["pd_bps"] == round(expected.pd * 10_000)
    assert out["grade"] == expected.grade
    assert out["reasons"] == [r.text for r in expected.reasons]
    assert out["reasons"][0].startswith("late deliveries: 40 %")
    assert not any(isinstance(v, float) for v in out.values())
    # The same bytes and features give the same bytes out.
    again = score(model_scorer.KIND, model.artefact_bytes(), dict(RISKY))
    assert json.dumps(again, sort_keys=True) == json.dumps(out, sort_keys=True)


def test_a_vector_missing_a_feature_or_holding_text_for_a_number_is_refused(model: Model) -> None:
    with pytest.raises(ScorerError, match="exactly"):
        score(model_scorer.KIND, model.artefact_bytes(), {"late_share": "0.4"})
    with pytest.raises(ScorerError, match="not a number"):
        score(model_scorer.KIND, model.artefact_bytes(), {**RISKY, "late_share": "high"})


def test_a_recorded_score_decision_is_recomputed_by_the_audit(net: Net, model: Model) -> None:
    model_id = _register(net, model)
    ledger = RiskLedger(net.svc)
    for i, late in enumerate((0.4, 0.02, None)):
        _, output = ledger.decide(
            net.operator,
            model_id=model_id,
            kind="score",
            subject_kind="organisation",
            org_id=net.suppliers[i],
            features={**RISKY, "late_share": late},
        )
        assert isinstance(output["pd_bps"], int) and output["grade"] in "ABCDEFG"
    report = audit(db_source(net.svc.engine))
    assert report.ok, report.findings
    assert report.decisions_recomputed == 3


def test_a_tampered_feature_vector_fails_the_audit(net: Net, model: Model) -> None:
    """The operator records the output of a safe firm against a risky firm's features."""
    model_id = _register(net, model)
    safe = features_text({**RISKY, "late_share": 0.01})
    output = score(model_scorer.KIND, model.artefact_bytes(), decode_canonical(safe.encode()))
    risky = features_text(RISKY)
    net.svc.handle(
        net.operator,
        c.RecordRiskDecision(
            "score",
            "organisation",
            net.suppliers[0],
            model_id,
            model.sha256,
            risky,
            features_sha256(risky),
            json.dumps(output, separators=(",", ":"), sort_keys=True),
            tuple(output["reasons"]),
        ),
    )
    report = audit(db_source(net.svc.engine))
    assert [f.code for f in report.findings] == ["decision_not_reproduced"]
