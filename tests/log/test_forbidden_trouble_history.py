"""Forged histories of recourse and dilution fail the audit, even correctly signed: a
put-back by someone other than the funder holding the piece, a put-back in a program
without recourse, a netting beyond the open credit, a credit note on another anchor's
invoice, and a dispute agreed by the anchor in the supplier's place."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from openscf.app.audit import audit, db_source
from openscf.app.queries import Ledger, ReadModel
from openscf.app.recovery import ClaimReads
from openscf.domain import commands as c
from openscf.domain import events as ev

from ..conftest import Net
from ..tagging import tag
from .test_forbidden_history import _assert_audit_names, _forge, _other_anchor, _right_events

DUE = date(2026, 5, 29)


def _program(net: Net, recourse: bool) -> str:
    prg = str(
        net.svc.handle(
            net.anchor_user,
            c.CreateProgram(
                "R",
                "EUR",
                180,
                10**10,
                10**9,
                10**9,
                approval_threshold_minor=10**12,
                recourse=recourse,
            ),
        ).created["program_id"]
    )
    net.svc.handle(net.anchor_user, c.AddFunder(prg, net.funder))
    net.svc.handle(net.anchor_user, c.OnboardSupplier(prg, net.suppliers[0]))
    return prg


def _defaulted_financed(net: Net, recourse: bool) -> str:
    svc = net.svc
    rid = svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(_program(net, recourse), net.suppliers[0], "INV-R", 50_000_00, "EUR", DUE),
    ).created["receivable_id"]
    supplier = net.supplier_users[0]
    fin = svc.handle(supplier, c.RequestFinancing(rid)).created["request_id"]
    ofr = svc.handle(net.funder_user, c.OfferFinancing(fin, "0.05", date(2026, 3, 2))).created[
        "offer_id"
    ]
    bought = str(svc.handle(supplier, c.AcceptFinancingOffer(ofr)).created["new_receivable_id"])
    net.clock.set(datetime(2026, 6, 2, 10, tzinfo=UTC))
    svc.handle(net.anchor_user, c.MarkOverdue(bought))
    net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))
    svc.handle(net.anchor_user, c.MarkDefaulted(bought))
    return bought


def _other_funder(net: Net) -> tuple[str, str]:
    org = net.svc.handle(
        net.operator, c.RegisterOrganisation("Other Bank AG", ("funder",), "DE")
    ).created["org_id"]
    user = net.svc.handle(net.operator, c.AddUser(org, "other", ("admin", "maker"))).created[
        "user_id"
    ]
    return org, user


def test_the_honest_recourse_history_passes_the_audit(net: Net) -> None:
    bought = _defaulted_financed(net, recourse=True)
    out = net.svc.handle(net.funder_user, c.PutBackReceivable(bought))
    net.svc.handle(net.supplier_users[0], c.PayRecourse(out.created["recourse_id"]))
    assert audit(db_source(net.svc.engine)).ok


def test_a_put_back_by_another_funder_fails_the_audit(net: Net) -> None:
    bought = _defaulted_financed(net, recourse=True)
    g_org, g_user = _other_funder(net)
    command = c.PutBackReceivable(
        bought, tag(net.funder, "rcv_forged1"), tag(net.funder, "rcv_forged2")
    )
    events = _right_events(net, net.funder_user, command)
    put_back = events[0]
    assert isinstance(put_back, ev.ReceivablePutBack)
    seq = _forge(net, g_org, g_user, command, [replace(put_back, funder_id=g_org)])
    _assert_audit_names(net, seq, "not_holder")


def test_a_put_back_without_recourse_fails_the_audit(net: Net) -> None:
    bought = _defaulted_financed(net, recourse=False)
    command = c.PutBackReceivable(
        bought, tag(net.funder, "rcv_forged1"), tag(net.funder, "rcv_forged2")
    )
    forged = ev.ReceivablePutBack(
        bought,
        "rcv_forged1",
        "rcv_forged2",
        "prg_x",
        net.funder,
        net.suppliers[0],
        net.anchor,
        50_000_00,
        50_000_00,
        "EUR",
        date(2026, 8, 14),
    )
    seq = _forge(net, net.funder, net.funder_user, command, [forged])
    _assert_audit_names(net, seq, "without_recourse")


def test_netting_another_suppliers_credit_fails_the_audit(net: Net) -> None:
    svc = net.svc
    invoice = svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(net.program_id, net.suppliers[1], "INV-X", 1_000_00, "EUR", DUE),
    ).created["invoice_id"]
    crd = tag(net.anchor, "crd_s1")
    svc.handle(net.anchor_user, c.RecordCreditNote(invoice, "CN-1", 100_00, crd))
    inv_y, rcv_y = tag(net.anchor, "inv_y"), tag(net.anchor, "rcv_y")
    command = c.ConfirmInvoice(
        net.program_id,
        net.suppliers[0],
        "INV-Y",
        5_000_00,
        "EUR",
        DUE,
        inv_y,
        rcv_y,
        tag(net.anchor, "apr_y"),
    )
    [issued] = _right_events(net, net.anchor_user, command)
    assert isinstance(issued, ev.ReceivableIssued)
    # The operator pays S0 less, against a credit the anchor holds on S1.
    netted = ev.CreditNetted(
        crd, net.program_id, net.anchor, net.suppliers[0], inv_y, rcv_y, 100_00, "EUR"
    )
    seq = _forge(
        net, net.anchor, net.anchor_user, command, [replace(issued, face_minor=4_900_00), netted]
    )
    report = audit(db_source(svc.engine))
    assert not report.ok
    assert (report.findings[0].seq, report.findings[0].code) == (seq, "events_differ_from_request")
    assert any(
        f.code == "invalid_event" and "another supplier" in f.message for f in report.findings
    ), report.findings


def test_a_credit_note_by_another_anchor_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    net.confirm()
    invoice = net.svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(net.program_id, net.suppliers[0], "INV-C", 1_000_00, "EUR", DUE),
    ).created["invoice_id"]
    command = c.RecordCreditNote(invoice, "CN-9", 100_00, tag(net.anchor, "crd_forged"))
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.anchor_user, command))
    _assert_audit_names(net, seq, "not_obligor")


def test_a_dispute_agreed_by_the_anchor_fails_the_audit(net: Net) -> None:
    dispute = net.svc.handle(
        net.anchor_user,
        c.RaiseDispute(net.program_id, net.suppliers[0], "INV-D", 100_00, "short delivery"),
    ).created["dispute_id"]
    command = c.ResolveDispute(dispute, "agreed")
    seq = _forge(
        net,
        net.anchor,
        net.anchor_user,
        command,
        _right_events(net, net.supplier_users[0], command),
    )
    _assert_audit_names(net, seq, "not_dispute_supplier")


def test_a_put_back_inside_a_default_claim_passes_the_audit(net: Net) -> None:
    """The anchor is declared in default after the funder's piece defaulted: the funder
    puts the piece back for what it still lacks, the returned piece takes its place in the
    claim (stored), later recoveries reach the seller, and the history audits clean."""
    svc = net.svc
    bought = _defaulted_financed(net, recourse=True)
    operator_org = next(o.id for o in Ledger(svc.engine).organisations() if "operator" in o.roles)
    clerk = svc.handle(
        net.operator, c.AddUser(operator_org, "clerk", ("maker", "checker"))
    ).created["user_id"]
    out = svc.handle(clerk, c.RequestObligorDefault(net.anchor, "insolvency"))
    svc.handle(net.operator, c.ApproveObligorDefault(out.created["approval_id"]))
    claim = out.created["claim_id"]
    svc.handle(net.operator, c.RecordRecovery(claim, 10_000_00, "EUR", "administrator"))
    lacking = Ledger(svc.engine).receivable(bought)
    assert lacking is not None and lacking.recovered_minor > 0
    put = svc.handle(net.funder_user, c.PutBackReceivable(bought))
    ledger = Ledger(svc.engine)
    owed = ledger.receivable(put.created["recourse_id"])
    returned = ledger.receivable(put.created["returned_receivable_id"])
    assert owed is not None and returned is not None
    assert owed.face_minor == lacking.outstanding_minor
    assert (returned.holder_id, returned.claim_id) == (net.suppliers[0], claim)
    svc.handle(net.operator, c.RecordRecovery(claim, 1_000_00, "EUR", "administrator"))
    after = ledger.receivable(returned.id)
    assert after is not None and after.recovered_minor > returned.recovered_minor
    svc.handle(net.operator, c.CloseDefaultClaim(claim))
    svc.handle(net.supplier_users[0], c.PayRecourse(owed.id))
    assert audit(db_source(svc.engine)).ok
    # The operator's view of the claim: the returned piece is the seller's loss, and the
    # first recovery still shows the share the funder took before the put-back.
    reads = ClaimReads(ReadModel(svc.engine))
    view = reads.claim(_Caller(operator_org, ("operator",)), claim).to_dict()
    assert [
        (p["receivable_id"], p["holder_id"])
        for p in view["pieces"]
        if p["receivable_id"] == returned.id
    ] == [(returned.id, net.suppliers[0])]
    first = view["recoveries"][0]
    assert sum(s["amount_minor"] for s in first["shares"]) == first["amount_minor"]
    assert (bought, net.funder) in [(s["receivable_id"], s["holder_id"]) for s in first["shares"]]


@dataclass(frozen=True)
class _Caller:
    org_id: str
    roles: tuple[str, ...]
