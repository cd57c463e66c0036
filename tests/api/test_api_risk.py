"""The fraud review queue and risk decisions over HTTP: the operator's risk service flags
an invoice, the anchor's confirmation and the supplier's financing request are refused
naming the flag, the anchor's checker clears it from its queue; lists are Stripe-like,
refusals have the one error shape, and other organisations see and do none of it."""

from __future__ import annotations

import hashlib
import json

from openscf.app.audit import audit, db_source
from openscf.app.risk_ledger import register_model
from openscf.risk import points
from openscf.risk.scoring import features_sha256, features_text

from .conftest import World, assert_error

EVIDENCE = hashlib.sha256(b"evidence").hexdigest()


def _flag(w: World, **subject: str) -> dict[str, object]:
    r = w.post(
        "OP",
        "/v1/fraud_flags",
        {
            "detector_id": "duplicates/1",
            "evidence": "altered duplicate of INV-1: amount +1.00, date -2 days",
            "evidence_sha256": EVIDENCE,
            **subject,
        },
        headers={"Idempotency-Key": "flag-" + "-".join(sorted(subject.values()))},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_flagged_invoice_waits_in_the_anchors_queue_until_its_checker_clears_it(
    world: World,
) -> None:
    w = world
    flag = _flag(w, program_id=w.programs["P"], supplier_id=w.orgs["S0"], invoice_number="INV-F1")
    assert flag["object"] == "fraud_flag" and flag["status"] == "open"
    rows = w.rows()
    r = w.post(
        "A",
        "/v1/confirmations",
        {
            "program_id": w.programs["P"],
            "supplier_id": w.orgs["S0"],
            "invoice_number": "INV-F1",
            "amount_minor": 10_000_00,
            "currency": "EUR",
            "due_on": "2026-05-29",
        },
    )
    error = assert_error(r, 409, "invoice_flagged")
    assert flag["id"] in error["message"]
    assert w.rows() == rows
    queue = w.get("A", "/v1/fraud_flags", params={"status": "open"}).json()
    assert queue["object"] == "list" and queue["has_more"] is False
    assert [f["id"] for f in queue["data"]] == [flag["id"]]
    # The maker cannot clear (checker needed); the anchor's checker can.
    assert_error(w.post("A", f"/v1/fraud_flags/{flag['id']}/clear", {"reason": "ok"}), 403)
    r = w.post("A_checker", f"/v1/fraud_flags/{flag['id']}/clear", {"reason": "goods received"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["clear_reason"]) == ("cleared", "goods received")
    w.confirm(10_000_00, number="INV-F1")
    assert audit(db_source(w.engine)).ok


def test_pieces_of_a_flagged_invoice_cannot_be_put_up_for_financing(world: World) -> None:
    w = world
    rid = w.confirm(10_000_00)["receivable_id"]
    flag = _flag(w, receivable_id=rid)
    error = assert_error(
        w.post("S0", "/v1/financing_requests", {"receivable_id": rid}), 409, "receivable_flagged"
    )
    assert flag["id"] in error["message"]
    supplier_view = w.get("S0", f"/v1/fraud_flags/{flag['id']}").json()
    assert supplier_view["id"] == flag["id"]


def test_other_organisations_neither_see_nor_clear_a_flag(world: World) -> None:
    w = world
    flag = _flag(w, program_id=w.programs["P"], supplier_id=w.orgs["S1"], invoice_number="X-1")
    for who in ("B", "G", "T", "F", "S0"):
        assert w.get(who, "/v1/fraud_flags").json()["data"] == []
        assert_error(w.get(who, f"/v1/fraud_flags/{flag['id']}"), 404, "unknown_fraud_flag")
        r = w.post(who, f"/v1/fraud_flags/{flag['id']}/clear", {"reason": "fine"})
        assert_error(r, 404, "unknown_fraud_flag")
    # The supplier it concerns sees it, but may not clear it.
    assert w.get("S1", f"/v1/fraud_flags/{flag['id']}").status_code == 200
    assert_error(w.post("S1", f"/v1/fraud_flags/{flag['id']}/clear", {"reason": "mine"}), 403)
    assert w.get("U", f"/v1/fraud_flags/{flag['id']}").status_code == 200


def test_only_the_operator_raises_flags_and_records_decisions(world: World) -> None:
    w = world
    body = {
        "detector_id": "dup/1",
        "evidence": "dup",
        "evidence_sha256": EVIDENCE,
        "program_id": w.programs["P"],
        "supplier_id": w.orgs["S0"],
        "invoice_number": "INV-9",
    }
    for who in ("A", "S0", "F", "U"):
        assert_error(w.post(who, "/v1/fraud_flags", body), 403)


def test_the_operator_records_a_decision_the_subject_sees_and_others_do_not(world: World) -> None:
    w = world
    artefact = json.dumps(
        {
            "format": points.KIND,
            "base_points": 600,
            "features": {"late_delivery_bps": [[500, 40], [None, -40]]},
            "pd_bands": [[600, 100], [None, 900]],
            "grades": [[100, "A"], [None, "C"]],
        }
    ).encode()
    model = register_model(
        w.net.svc,
        w.users["OP"],
        kind=points.KIND,
        feature_names=("late_delivery_bps",),
        artefact=artefact,
    ).created["model_id"]
    features = features_text({"late_delivery_bps": 200})
    body = {
        "kind": "score",
        "subject_kind": "organisation",
        "org_id": w.orgs["S0"],
        "model_id": model,
        "model_sha256": hashlib.sha256(artefact).hexdigest(),
        "features": features,
        "features_sha256": features_sha256(features),
        "output": '{"grade":"A","horizon_days":90,"pd_bps":100,"points":640,"reasons":[]}',
    }
    rows = w.rows()
    wrong = dict(body, model_sha256=hashlib.sha256(b"other").hexdigest())
    assert_error(w.post("OP", "/v1/risk_decisions", wrong), 409, "model_hash_mismatch")
    assert w.rows() == rows
    assert_error(w.post("A", "/v1/risk_decisions", body), 403)
    r = w.post("OP", "/v1/risk_decisions", body)
    assert r.status_code == 201, r.text
    decision = r.json()
    assert decision["output"]["pd_bps"] == 100 and decision["features"] == {
        "late_delivery_bps": 200
    }
    assert [d["id"] for d in w.get("S0", "/v1/risk_decisions").json()["data"]] == [decision["id"]]
    assert w.get("S1", "/v1/risk_decisions").json()["data"] == []
    assert_error(w.get("S1", f"/v1/risk_decisions/{decision['id']}"), 404, "unknown_decision")
    models = w.get("F", "/v1/risk_models").json()
    assert [m["id"] for m in models["data"]] == [model]
    report = audit(db_source(w.engine))
    assert report.ok and report.decisions_recomputed == 1
