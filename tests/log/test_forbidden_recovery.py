"""Forged partial payments, recoveries and defaults fail the audit, even when correctly
signed: the auditor re-decides each signed request with the domain's rules, and the
invariant replay checks that a recovery is shared pro rata to the holders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from openscf.app.audit import audit, db_source
from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.store.queries import list_organisations

from ..conftest import Net
from .test_forbidden_history import _assert_audit_names, _forge, _other_anchor, _right_events


def _operator_org(net: Net) -> str:
    with net.svc.engine.connect() as conn:
        return next(o.id for o in list_organisations(conn) if "operator" in o.roles)


def _claim(net: Net) -> tuple[str, str]:
    """Two pieces of anchor A with two holders, A declared in default by two operator
    users. Returns (claim id, the second operator user)."""
    rid = net.confirm()
    net.svc.handle(net.supplier_users[0], c.TransferReceivable(rid, net.suppliers[1], 40_000_00))
    clerk = net.svc.handle(
        net.operator, c.AddUser(_operator_org(net), "clerk", ("maker", "checker"))
    ).created["user_id"]
    out = net.svc.handle(clerk, c.RequestObligorDefault(net.anchor, "insolvency"))
    net.svc.handle(net.operator, c.ApproveObligorDefault(out.created["approval_id"]))
    return out.created["claim_id"], clerk


def test_the_honest_history_passes(net: Net) -> None:
    claim, _ = _claim(net)
    net.svc.handle(net.operator, c.RecordRecovery(claim, 10_000_00, "EUR", "administrator"))
    net.svc.handle(net.operator, c.CloseDefaultClaim(claim))
    assert audit(db_source(net.svc.engine)).ok


def test_a_partial_payment_by_another_anchor_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    rid = net.confirm()
    net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
    command = c.RecordPayment(rid, 1_00)
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.anchor_user, command))
    _assert_audit_names(net, seq, "not_obligor")


def test_a_recovery_recorded_by_a_supplier_fails_the_audit(net: Net) -> None:
    claim, _ = _claim(net)
    command = c.RecordRecovery(claim, 10_000_00, "EUR", "administrator")
    seq = _forge(
        net,
        net.suppliers[0],
        net.supplier_users[0],
        command,
        _right_events(net, net.operator, command),
    )
    _assert_audit_names(net, seq, "not_operator")


def test_a_recovery_not_shared_pro_rata_fails_the_audit(net: Net) -> None:
    claim, _ = _claim(net)
    command = c.RecordRecovery(claim, 10_000_00, "EUR", "administrator")
    [honest] = _right_events(net, net.operator, command)
    assert isinstance(honest, ev.RecoveryDistributed) and len(honest.shares_minor) == 2
    skewed = replace(honest, shares_minor=(10_000_00, 0))
    seq = _forge(net, _operator_org(net), net.operator, command, [skewed])
    report = audit(db_source(net.svc.engine))
    assert not report.ok
    assert {(f.seq, f.code) for f in report.findings} >= {(seq, "events_differ_from_request")}
    assert any("pro rata" in f.message for f in report.findings if f.seq == seq)


def test_a_recovery_on_a_closed_claim_fails_the_audit(net: Net) -> None:
    claim, _ = _claim(net)
    command = c.RecordRecovery(claim, 1_00, "EUR", "late dividend")
    events = _right_events(net, net.operator, command)
    net.svc.handle(net.operator, c.CloseDefaultClaim(claim))
    seq = _forge(net, _operator_org(net), net.operator, command, events)
    _assert_audit_names(net, seq, "claim_closed")


def test_a_default_approved_by_its_own_maker_fails_the_audit(net: Net) -> None:
    net.confirm()
    clerk = net.svc.handle(
        net.operator, c.AddUser(_operator_org(net), "clerk", ("maker", "checker"))
    ).created["user_id"]
    out = net.svc.handle(clerk, c.RequestObligorDefault(net.anchor, "insolvency"))
    command = c.ApproveObligorDefault(out.created["approval_id"])
    events = _right_events(net, net.operator, command)
    events = [
        replace(e, approved_by=clerk) if isinstance(e, ev.ObligorDefaulted) else e for e in events
    ]
    seq = _forge(net, _operator_org(net), clerk, command, events)
    _assert_audit_names(net, seq, "same_user_cannot_approve")
