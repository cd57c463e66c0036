"""Risk decisions on the log (openscf.domain.risk_log): models, decisions, fraud flags.

Every refusal leaves the log as it was; every rule is checked again by the replay."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.decide import Actor
from openscf.domain.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from openscf.domain.replay import replay
from openscf.domain.risk_log import canonical_text, features_sha256

from .conftest import OPERATOR, Network

ARTEFACT_SHA = hashlib.sha256(b"a model").hexdigest()
EVIDENCE_SHA = hashlib.sha256(b"the evidence").hexdigest()
FEATURES = ("late_delivery_bps", "tenure_days")


def _model(net: Network) -> str:
    w = net.world
    model_id = w.new("rmd")
    w.run(OPERATOR, c.RegisterRiskModel("openscf-points/1", ARTEFACT_SHA, FEATURES, model_id))
    return model_id


def _decision(net: Network, model_id: str, **overrides: object) -> c.RecordRiskDecision:
    features = canonical_text({"late_delivery_bps": 1800, "tenure_days": 400})
    cmd = c.RecordRiskDecision(
        "score",
        "organisation",
        net.s1.org_id,
        model_id,
        ARTEFACT_SHA,
        features,
        features_sha256(features),
        canonical_text({"grade": "C", "pd_bps": 420}),
        ("late deliveries: 18 % of the last 90 days, network median 4 %",),
        decision_id=net.world.new("rdc"),
    )
    return replace(cmd, **overrides)  # type: ignore[arg-type]


def _refused(net: Network, actor: Actor, cmd: c.Command, error: type[Exception], code: str) -> None:
    before = len(net.world.log)
    with pytest.raises(error) as exc:
        net.world.run(actor, cmd)
    assert exc.value.code == code  # type: ignore[attr-defined]
    assert len(net.world.log) == before


def _flag(net: Network, number: str, receivable_id: str | None = None) -> str:
    """The operator's detector flags invoice `number` of s1 (or the invoice behind a piece)."""
    flag_id = net.world.new("ffl")
    on_invoice = receivable_id is None
    net.world.run(
        OPERATOR,
        c.RaiseFraudFlag(
            "duplicates/1",
            "near-duplicate of INV-7 (amount +1, date -2 days)",
            EVIDENCE_SHA,
            program_id=net.program_id if on_invoice else None,
            supplier_id=net.s1.org_id if on_invoice else None,
            invoice_number=number if on_invoice else None,
            receivable_id=receivable_id,
            flag_id=flag_id,
        ),
    )
    return flag_id


# --- models and decisions -------------------------------------------------------------------


def test_the_operator_registers_a_model_and_records_a_decision_that_the_replay_accepts(
    net: Network,
) -> None:
    model_id = _model(net)
    [record] = net.world.run(OPERATOR, _decision(net, model_id))
    assert isinstance(record.event, ev.RiskDecisionRecorded)
    decision = net.world.state.risk_decision(record.event.decision_id)
    assert decision is not None and decision.model_sha256 == ARTEFACT_SHA
    assert replay(net.world.log).ok


def test_an_organisation_other_than_the_operator_cannot_register_models(net: Network) -> None:
    cmd = c.RegisterRiskModel("openscf-points/1", ARTEFACT_SHA, FEATURES, net.world.new("rmd"))
    _refused(net, net.anchor, cmd, PermissionDenied, "not_operator")


def test_an_organisation_other_than_the_operator_cannot_record_decisions(net: Network) -> None:
    model_id = _model(net)
    for actor in (net.anchor, net.funder, net.s1):
        _refused(net, actor, _decision(net, model_id), PermissionDenied, "not_operator")


def test_a_decision_citing_an_unregistered_model_is_refused(net: Network) -> None:
    _refused(net, OPERATOR, _decision(net, net.world.new("rmd")), NotFound, "unknown_model")


def test_a_decision_citing_another_hash_of_a_registered_model_is_refused(net: Network) -> None:
    model_id = _model(net)
    other = hashlib.sha256(b"another artefact").hexdigest()
    cmd = _decision(net, model_id, model_sha256=other)
    _refused(net, OPERATOR, cmd, Conflict, "model_hash_mismatch")


def test_a_feature_set_from_another_model_version_is_refused(net: Network) -> None:
    model_id = _model(net)
    features = canonical_text({"late_delivery_bps": 1800, "buyer_concentration_bps": 9000})
    cmd = _decision(net, model_id, features=features, features_sha256=features_sha256(features))
    _refused(net, OPERATOR, cmd, InvalidRequest, "features_mismatch")


def test_a_feature_vector_that_does_not_hash_to_its_record_is_refused(net: Network) -> None:
    cmd = _decision(net, _model(net), features_sha256="0" * 64)
    _refused(net, OPERATOR, cmd, InvalidRequest, "features_hash_mismatch")


def test_a_feature_vector_that_is_not_canonical_json_is_refused(net: Network) -> None:
    text = '{"tenure_days": 400, "late_delivery_bps": 1800}'
    cmd = _decision(net, _model(net), features=text, features_sha256=features_sha256(text))
    _refused(net, OPERATOR, cmd, InvalidRequest, "invalid_features")


@pytest.mark.parametrize(
    ("kind", "output"),
    [
        ("score", {"grade": "C"}),
        ("score", {"grade": "C", "pd_bps": 10_001}),
        (
            "price",
            {
                "rate_bps": 700,
                "cost_of_funds_bps": 350,
                "expected_loss_bps": 90,
                "capital_charge_bps": 96,
                "margin_bps": 150,
            },
        ),
        ("fraud_flag", {"flagged": 1}),
    ],
)
def test_an_output_that_does_not_fit_its_kind_is_refused(
    net: Network, kind: str, output: dict[str, object]
) -> None:
    cmd = _decision(net, _model(net), kind=kind, output=canonical_text(output))
    _refused(net, OPERATOR, cmd, InvalidRequest, "invalid_output")


def test_a_decision_names_its_subject_fully_and_only_that(net: Network) -> None:
    model_id = _model(net)
    cmd = _decision(net, model_id, subject_kind="receivable")
    _refused(net, OPERATOR, cmd, InvalidRequest, "invalid_subject")
    cmd = _decision(net, model_id, subject_kind="receivable", receivable_id=net.receivable_id)
    net.world.run(OPERATOR, cmd)
    cmd = _decision(
        net,
        model_id,
        subject_kind="receivable",
        receivable_id=net.receivable_id,
        org_id=net.funder.org_id,
    )
    _refused(net, OPERATOR, cmd, InvalidRequest, "invalid_subject")


# --- fraud flags ----------------------------------------------------------------------------


def _confirm_cmd(net: Network, number: str) -> c.ConfirmInvoice:
    w = net.world
    return c.ConfirmInvoice(
        net.program_id,
        net.s1.org_id,
        number,
        50_000_00,
        "EUR",
        date(2026, 5, 29),
        invoice_id=w.new("inv"),
        receivable_id=w.new("rcv"),
        approval_id=w.new("apr"),
    )


def test_a_flagged_invoice_cannot_be_confirmed_until_a_checker_clears_the_flag(
    net: Network,
) -> None:
    flag_id = _flag(net, "INV-77")
    with pytest.raises(Conflict) as exc:
        net.world.run(net.anchor, _confirm_cmd(net, "inv-77"))  # numbers match loosely
    assert exc.value.code == "invoice_flagged" and flag_id in exc.value.message
    net.world.run(net.anchor, c.ClearFraudFlag(flag_id, "the buyer confirmed the delivery"))
    net.world.run(net.anchor, _confirm_cmd(net, "INV-77"))
    assert replay(net.world.log).ok


def test_a_confirmation_waiting_for_its_checker_is_not_approved_while_flagged(
    net: Network,
) -> None:
    w = net.world
    program = w.state.programs[net.program_id]
    w.state.programs[net.program_id] = replace(program, approval_threshold_minor=1)
    cmd = _confirm_cmd(net, "INV-88")
    [requested] = w.run(net.anchor, cmd)
    assert isinstance(requested.event, ev.ConfirmationRequested)
    _flag(net, "INV-88")
    checker = w.second_user(net.anchor)
    _refused(
        net, checker, c.ApproveConfirmation(cmd.approval_id or ""), Conflict, "invoice_flagged"
    )


def test_pieces_of_a_flagged_invoice_cannot_be_financed_or_paid_early(net: Network) -> None:
    w = net.world
    request_id = w.new("fin")
    w.run(net.s1, c.RequestFinancing(net.receivable_id, request_id))
    offer_id = w.new("ofr")
    w.run(net.funder, c.OfferFinancing(request_id, "0.05", w.today, offer_id=offer_id))
    epo = w.new("epo")
    flag_id = _flag(net, "", receivable_id=net.receivable_id)
    flag = w.state.fraud_flag(flag_id)
    assert flag is not None and flag.invoice_id is not None
    _refused(
        net,
        net.funder,
        c.OfferFinancing(request_id, "0.04", w.today, offer_id=w.new("ofr")),
        Conflict,
        "receivable_flagged",
    )
    _refused(
        net, net.s1, c.AcceptFinancingOffer(offer_id, w.new("rcv")), Conflict, "receivable_flagged"
    )
    w.run(net.s1, c.WithdrawFinancingRequest(request_id))
    _refused(
        net,
        net.s1,
        c.RequestFinancing(net.receivable_id, w.new("fin")),
        Conflict,
        "receivable_flagged",
    )
    w.run(net.anchor, c.OfferEarlyPayment(net.receivable_id, "0.03", w.today, epo))
    _refused(net, net.s1, c.AcceptEarlyPayment(epo), Conflict, "receivable_flagged")
    operator_checker = w.second_user(OPERATOR)
    w.run(operator_checker, c.ClearFraudFlag(flag_id, "false positive: a legitimate re-issue"))
    w.run(net.s1, c.AcceptEarlyPayment(epo))
    assert replay(w.log).ok


def test_the_user_who_raised_a_flag_cannot_clear_it(net: Network) -> None:
    flag_id = _flag(net, "INV-9")
    _refused(
        net, OPERATOR, c.ClearFraudFlag(flag_id, "mine"), PermissionDenied, "same_user_cannot_clear"
    )


def test_no_organisation_but_the_operator_and_the_invoices_anchor_clears_a_flag(
    net: Network,
) -> None:
    flag_id = _flag(net, "INV-10")
    other_anchor = net.world.org("Other Anchor AG", ("anchor",))
    for actor in (net.s1, net.funder, other_anchor):
        _refused(
            net,
            actor,
            c.ClearFraudFlag(flag_id, "looks fine"),
            PermissionDenied,
            "not_flag_reviewer",
        )


def test_a_cleared_flag_is_not_cleared_again_and_an_open_one_is_not_raised_twice(
    net: Network,
) -> None:
    flag_id = _flag(net, "INV-11")
    _refused(
        net,
        OPERATOR,
        c.RaiseFraudFlag(
            "phantom/1",
            "no order",
            EVIDENCE_SHA,
            net.program_id,
            net.s1.org_id,
            "INV-11",
            flag_id=net.world.new("ffl"),
        ),
        Conflict,
        "fraud_flag_open",
    )
    net.world.run(net.anchor, c.ClearFraudFlag(flag_id, "delivery confirmed"))
    _refused(net, net.anchor, c.ClearFraudFlag(flag_id, "again"), Conflict, "fraud_flag_not_open")


def test_an_organisation_other_than_the_operator_cannot_raise_flags(net: Network) -> None:
    cmd = c.RaiseFraudFlag(
        "dup/1",
        "dup",
        EVIDENCE_SHA,
        net.program_id,
        net.s1.org_id,
        "INV-1",
        flag_id=net.world.new("ffl"),
    )
    for actor in (net.anchor, net.funder, net.s1):
        _refused(net, actor, cmd, PermissionDenied, "not_operator")


def test_a_flag_names_an_invoice_or_a_piece_and_its_evidence(net: Network) -> None:
    w = net.world
    base = c.RaiseFraudFlag(
        "dup/1", "dup", EVIDENCE_SHA, net.program_id, net.s1.org_id, "INV-1", flag_id=w.new("ffl")
    )
    _refused(
        net,
        OPERATOR,
        replace(base, receivable_id=net.receivable_id),
        InvalidRequest,
        "invalid_subject",
    )
    _refused(net, OPERATOR, replace(base, invoice_number=None), InvalidRequest, "invalid_subject")
    _refused(net, OPERATOR, replace(base, evidence_sha256="xyz"), InvalidRequest, "invalid_digest")
    _refused(net, OPERATOR, replace(base, evidence=" "), InvalidRequest, "invalid_evidence")
    _refused(net, OPERATOR, replace(base, decision_id=w.new("rdc")), NotFound, "unknown_decision")
    _refused(
        net,
        OPERATOR,
        replace(base, supplier_id=net.funder.org_id),
        Conflict,
        "supplier_not_onboarded",
    )


# --- the replay's own reading -----------------------------------------------------------------


def _forged(net: Network, actor: Actor, event: ev.Event) -> list[str]:
    from datetime import UTC, datetime

    record = ev.EventRecord(
        net.world.new("evt"),
        actor.org_id,
        actor.user_id,
        datetime(2026, 3, 2, 13, tzinfo=UTC),
        event,
        len(net.world.log) + 1,
    )
    result = replay([*net.world.log, record])
    return [v.message for v in result.violations]


def test_the_replay_rejects_a_history_that_confirms_a_flagged_invoice(net: Network) -> None:
    _flag(net, "INV-66")
    w = net.world
    forged = ev.ReceivableIssued(
        w.new("rcv"),
        net.program_id,
        net.anchor.org_id,
        net.s1.org_id,
        w.new("inv"),
        "INV-66",
        50_000_00,
        "EUR",
        date(2026, 5, 29),
        date(2026, 5, 29),
        net.anchor.user_id,
        None,
        None,
    )
    assert any("held by fraud flag" in m for m in _forged(net, net.anchor, forged))


def test_the_replay_rejects_a_flag_cleared_by_its_raiser_or_by_another_anchor(
    net: Network,
) -> None:
    flag_id = _flag(net, "INV-67")
    cleared = ev.FraudFlagCleared(
        flag_id, net.program_id, net.anchor.org_id, net.s1.org_id, "INV-67", "fine", net.world.today
    )
    assert any("cleared the flag it raised" in m for m in _forged(net, OPERATOR, cleared))
    assert any("only the operator or" in m for m in _forged(net, net.funder, cleared))


def test_the_replay_rejects_a_decision_citing_an_unregistered_model(net: Network) -> None:
    model_id = _model(net)
    [record] = net.world.run(OPERATOR, _decision(net, model_id))
    assert isinstance(record.event, ev.RiskDecisionRecorded)
    net.world.log.pop()
    stranger = replace(record.event, model_id=net.world.new("rmd"))
    assert any("unregistered model" in m for m in _forged(net, OPERATOR, stranger))
    other_hash = replace(record.event, model_sha256="1" * 64)
    assert any("another content hash" in m for m in _forged(net, OPERATOR, other_hash))
    by_anchor = replace(record.event, decision_id=net.world.new("rdc"))
    assert any("only the operator" in m for m in _forged(net, net.anchor, by_anchor))


def test_the_replay_rejects_financing_a_piece_of_a_flagged_invoice(net: Network) -> None:
    _flag(net, "", receivable_id=net.receivable_id)
    forged = ev.FinancingRequested(
        net.world.new("fin"), net.program_id, net.receivable_id, net.s1.org_id
    )
    assert any("held by fraud flag" in m for m in _forged(net, net.s1, forged))
