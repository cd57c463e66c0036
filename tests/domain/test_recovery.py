"""When trade goes wrong: partial payment, obligor default, recovery and loss. Every rule
has a refusal here; the invariant replay rejects the forged variants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.decide import Actor
from openscf.domain.errors import OpenSCFError
from openscf.domain.recovery import recovery_shares
from openscf.domain.replay import replay

from ..tagging import tag
from .conftest import OPERATOR, Network

DUE = date(2026, 5, 29)
AFTER = DUE + timedelta(days=1)


def _refused(net: Network, actor: Actor, command: c.Command, code: str) -> None:
    log = list(net.world.log)
    with pytest.raises(OpenSCFError) as info:
        net.world.run(actor, command)
    assert info.value.code == code, info.value
    assert net.world.log == log


def _piece(net: Network, rid: str):  # type: ignore[no-untyped-def]
    return net.world.state.receivables[rid]


# --- partial payment ---------------------------------------------------------------


def test_partial_payments_go_to_the_holder_until_the_piece_is_settled(net: Network) -> None:
    w, rid = net.world, net.receivable_id
    w.today = DUE
    first = w.run(net.anchor, c.RecordPayment(rid, 30_000_00))[-1].event
    assert isinstance(first, ev.ReceivablePartlyPaid)
    assert (first.payee_id, first.paid_minor, first.outstanding_minor) == (
        net.s1.org_id,
        30_000_00,
        70_000_00,
    )
    assert (_piece(net, rid).status, _piece(net, rid).outstanding_minor) == ("live", 70_000_00)
    w.today = AFTER
    w.run(net.anchor, c.MarkOverdue(rid))  # the rest is owed and goes overdue
    w.run(net.anchor, c.RecordPayment(rid, 50_000_00))
    last = w.run(net.anchor, c.RecordPayment(rid, 20_000_00))[-1].event
    assert isinstance(last, ev.ReceivableSettled) and last.amount_minor == 20_000_00
    piece = _piece(net, rid)
    assert (piece.status, piece.paid_minor, piece.outstanding_minor) == ("settled", 100_000_00, 0)
    assert w.state.exposures[f"program:{net.program_id}"] == 0
    assert replay(w.log).ok


def test_settling_after_a_partial_payment_pays_only_the_rest(net: Network) -> None:
    w, rid = net.world, net.receivable_id
    w.today = DUE
    w.run(net.anchor, c.RecordPayment(rid, 1_00))
    settled = w.run(net.anchor, c.SettleReceivable(rid))[-1].event
    assert isinstance(settled, ev.ReceivableSettled) and settled.amount_minor == 99_999_00
    assert replay(w.log).ok


def test_a_payment_withdraws_an_open_financing_request(net: Network) -> None:
    w, rid = net.world, net.receivable_id
    w.run(net.s1, c.RequestFinancing(rid, tag(net.s1, "fin_open")))
    w.today = DUE
    types = [r.event.TYPE for r in w.run(net.anchor, c.RecordPayment(rid, 5_00))]
    assert types == ["FinancingRequestWithdrawn", "ReceivablePartlyPaid"]
    assert _piece(net, rid).encumbrance is None


@pytest.mark.parametrize(
    ("who", "amount", "when", "code"),
    [
        ("s1", 1_00, DUE, "not_obligor"),
        ("anchor", 1_00, DUE - timedelta(days=1), "not_yet_due"),
        ("anchor", 100_000_01, DUE, "payment_exceeds_outstanding"),
        ("anchor", 0, DUE, "amount_not_positive"),
        ("anchor", -5, DUE, "amount_not_positive"),
    ],
)
def test_payment_refusals(net: Network, who: str, amount: int, when: date, code: str) -> None:
    net.world.today = when
    _refused(net, getattr(net, who), c.RecordPayment(net.receivable_id, amount), code)


def test_a_settled_or_consumed_piece_takes_no_payment(net: Network) -> None:
    w, rid = net.world, net.receivable_id
    w.today = DUE
    w.run(net.anchor, c.SettleReceivable(rid))
    _refused(net, net.anchor, c.RecordPayment(rid, 1_00), "receivable_not_live")
    _refused(net, net.anchor, c.RecordPayment("rcv_nothing", 1_00), "unknown_receivable")


# --- obligor default -----------------------------------------------------------------


def _declare(net: Network, reason: str = "insolvency") -> str:
    maker = net.world.second_user(OPERATOR)
    net.world.run(
        maker,
        c.RequestObligorDefault(
            net.anchor.org_id, reason, "court filing", "apr_op.dfl", "dfl_op.1"
        ),
    )
    net.world.run(OPERATOR, c.ApproveObligorDefault("apr_op.dfl"))
    return "dfl_op.1"


def test_a_default_marks_every_outstanding_piece_across_programs(net: Network) -> None:
    w = net.world
    other = w.new("prg")
    w.run(
        net.anchor,
        c.CreateProgram(
            "USD book",
            "USD",
            180,
            10**10,
            10**9,
            10**9,
            approval_threshold_minor=10**12,
            program_id=other,
        ),
    )
    w.run(net.anchor, c.OnboardSupplier(other, net.s2.org_id))
    usd = w.new("rcv")
    w.run(
        net.anchor,
        c.ConfirmInvoice(
            other, net.s2.org_id, "U-1", 5_000_00, "USD", DUE, w.new("inv"), usd, w.new("apr")
        ),
    )
    paid = net.confirm(2_000_00, due=DUE)
    w.today = DUE
    w.run(net.anchor, c.SettleReceivable(paid))
    claim_id = _declare(net)
    claim = w.state.default_claims[claim_id]
    assert set(claim.piece_ids) == {net.receivable_id, usd}
    for rid in claim.piece_ids:
        assert (_piece(net, rid).status, _piece(net, rid).claim_id) == ("defaulted", claim_id)
    assert _piece(net, paid).status == "settled"
    assert w.state.organisations[net.anchor.org_id].default_claim_id == claim_id
    # The obligor confirms nothing more, and its pieces take money only as recoveries.
    _refused(
        net,
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "AFTER",
            1_00,
            "EUR",
            DUE + timedelta(days=30),
            tag(net.anchor, "inv_after"),
            tag(net.anchor, "rcv_after"),
            tag(net.anchor, "apr_after"),
        ),
        "obligor_in_default",
    )
    _refused(net, net.anchor, c.RecordPayment(net.receivable_id, 1_00), "in_default_claim")
    _refused(net, net.anchor, c.SettleReceivable(net.receivable_id), "in_default_claim")
    assert replay(w.log).ok


def test_default_request_refusals(net: Network) -> None:
    maker = net.world.second_user(OPERATOR)
    _refused(
        net,
        net.anchor,
        c.RequestObligorDefault(net.anchor.org_id, "insolvency", "", "apr_op.x", "dfl_op.x"),
        "not_operator",
    )
    _refused(
        net,
        maker,
        c.RequestObligorDefault(net.anchor.org_id, "bad mood", "", "apr_op.x", "dfl_op.x"),
        "invalid_default_reason",
    )
    _refused(
        net,
        maker,
        c.RequestObligorDefault(net.anchor.org_id, "past_due", "", "apr_op.x", "dfl_op.x"),
        "no_piece_past_grace",
    )
    _refused(
        net,
        maker,
        c.RequestObligorDefault(net.funder.org_id, "insolvency", "", "apr_op.x", "dfl_op.x"),
        "nothing_outstanding",
    )
    _refused(
        net,
        maker,
        c.RequestObligorDefault("org_nobody", "insolvency", "", "apr_op.x", "dfl_op.x"),
        "unknown_organisation",
    )


def test_the_program_rule_allows_a_past_due_default_after_default_after_days(net: Network) -> None:
    net.world.today = DUE + timedelta(days=30)  # the program's default_after_days
    maker = net.world.second_user(OPERATOR)
    net.world.run(
        maker, c.RequestObligorDefault(net.anchor.org_id, "past_due", "", "apr_op.p", "dfl_op.p")
    )
    net.world.run(OPERATOR, c.ApproveObligorDefault("apr_op.p"))
    assert net.world.state.default_claims["dfl_op.p"].reason == "past_due"


def test_a_default_is_approved_by_a_second_operator_user_once(net: Network) -> None:
    w = net.world
    maker = w.second_user(OPERATOR)
    w.run(
        maker, c.RequestObligorDefault(net.anchor.org_id, "insolvency", "", "apr_op.d", "dfl_op.d")
    )
    _refused(net, maker, c.ApproveObligorDefault("apr_op.d"), "same_user_cannot_approve")
    _refused(net, net.anchor, c.ApproveObligorDefault("apr_op.d"), "wrong_organisation")
    w.run(OPERATOR, c.ApproveObligorDefault("apr_op.d"))
    _refused(net, OPERATOR, c.ApproveObligorDefault("apr_op.d"), "approval_not_pending")
    _refused(
        net,
        maker,
        c.RequestObligorDefault(net.anchor.org_id, "insolvency", "", "apr_op.e", "dfl_op.e"),
        "obligor_in_default",
    )


def test_the_grounds_are_checked_again_at_approval(net: Network) -> None:
    w = net.world
    maker = w.second_user(OPERATOR)
    w.run(
        maker, c.RequestObligorDefault(net.anchor.org_id, "insolvency", "", "apr_op.d", "dfl_op.d")
    )
    w.today = DUE
    w.run(net.anchor, c.SettleReceivable(net.receivable_id))
    _refused(net, OPERATOR, c.ApproveObligorDefault("apr_op.d"), "nothing_outstanding")


# --- recovery and closing --------------------------------------------------------------


def _three_holders(net: Network) -> str:
    """The root split in three equal thirds of 100 000.00 EUR... less one cent each way,
    held by s1, s2 and s3; then the anchor defaults."""
    w = net.world
    w.run(
        net.s1,
        c.SplitReceivable(
            net.receivable_id,
            (33_333_34, 33_333_33, 33_333_33),
            (tag(net.s1, "rcv_a"), tag(net.s1, "rcv_b"), tag(net.s1, "rcv_c")),
        ),
    )
    w.run(
        net.s1,
        c.TransferReceivable(
            tag(net.s1, "rcv_b"), net.s2.org_id, new_receivable_id=tag(net.s1, "rcv_b2")
        ),
    )
    w.run(
        net.s1,
        c.TransferReceivable(
            tag(net.s1, "rcv_c"), net.s3.org_id, new_receivable_id=tag(net.s1, "rcv_c2")
        ),
    )
    return _declare(net)


def test_largest_remainder_ties_go_to_the_lower_piece_id(net: Network) -> None:
    pieces = [replace(_piece(net, net.receivable_id), id=f"rcv_{i}", face_minor=10) for i in "abc"]
    assert recovery_shares(10, pieces) == [4, 3, 3]
    assert recovery_shares(11, pieces) == [4, 4, 3]
    weighted = [
        replace(pieces[0], face_minor=1),
        replace(pieces[1], face_minor=2),
        replace(pieces[2], face_minor=4),
    ]
    assert recovery_shares(10, weighted) == [1, 3, 6]  # 1.43, 2.86, 5.71: the .86 gets it


def test_recoveries_are_shared_pro_rata_until_the_claim_closes_with_its_loss(net: Network) -> None:
    w = net.world
    claim_id = _three_holders(net)
    e = w.run(OPERATOR, c.RecordRecovery(claim_id, 10_000_00, "EUR", "the administrator"))[-1].event
    assert isinstance(e, ev.RecoveryDistributed)
    assert e.piece_ids == (tag(net.s1, "rcv_a"), tag(net.s1, "rcv_b2"), tag(net.s1, "rcv_c2"))
    assert e.holder_ids == (net.s1.org_id, net.s2.org_id, net.s3.org_id)
    assert e.shares_minor == (3_333_34, 3_333_33, 3_333_33) and sum(e.shares_minor) == 10_000_00
    w.run(OPERATOR, c.RecordRecovery(claim_id, 1, "EUR", "credit insurer"))
    closed = w.run(OPERATOR, c.CloseDefaultClaim(claim_id))[-1].event
    assert isinstance(closed, ev.DefaultClaimClosed)
    assert sum(closed.losses_minor) + sum(closed.recovered_minor) == 100_000_00
    assert closed.program_ids == (net.program_id,)
    assert closed.program_losses_minor == (89_999_99,)
    assert closed.program_lgd_bps == (8_999,)  # 89.99999 %, rounded down
    for rid in (tag(net.s1, "rcv_a"), tag(net.s1, "rcv_b2"), tag(net.s1, "rcv_c2")):
        assert _piece(net, rid).status == "written_off"
    assert w.state.exposures[f"program:{net.program_id}"] == 0
    assert w.state.default_claims[claim_id].status == "closed"
    # A closed claim takes no more money.
    _refused(net, OPERATOR, c.RecordRecovery(claim_id, 1, "EUR", "late dividend"), "claim_closed")
    _refused(net, OPERATOR, c.CloseDefaultClaim(claim_id), "claim_closed")
    assert replay(w.log).ok


def test_recovery_refusals(net: Network) -> None:
    claim_id = _declare(net)
    _refused(net, net.anchor, c.RecordRecovery(claim_id, 1, "EUR", "x"), "not_operator")
    _refused(net, net.s1, c.RecordRecovery(claim_id, 1, "EUR", "x"), "not_operator")
    _refused(net, OPERATOR, c.RecordRecovery("dfl_none", 1, "EUR", "x"), "unknown_claim")
    _refused(
        net, OPERATOR, c.RecordRecovery(claim_id, 100_000_01, "EUR", "x"), "recovery_exceeds_claim"
    )
    _refused(net, OPERATOR, c.RecordRecovery(claim_id, 1, "USD", "x"), "nothing_to_recover")
    _refused(net, OPERATOR, c.RecordRecovery(claim_id, 1, "EUR", "  "), "invalid_source")
    _refused(net, OPERATOR, c.RecordRecovery(claim_id, 0, "EUR", "x"), "amount_not_positive")
    _refused(net, OPERATOR, c.CloseDefaultClaim("dfl_none"), "unknown_claim")
    net.world.run(OPERATOR, c.RecordRecovery(claim_id, 100_000_00, "EUR", "guarantor"))
    _refused(net, OPERATOR, c.RecordRecovery(claim_id, 1, "EUR", "x"), "nothing_to_recover")


def test_a_partly_paid_piece_defaults_with_what_it_lacks(net: Network) -> None:
    w = net.world
    w.today = DUE
    w.run(net.anchor, c.RecordPayment(net.receivable_id, 40_000_00))
    claim_id = _declare(net)
    w.run(OPERATOR, c.RecordRecovery(claim_id, 60_000_00, "EUR", "administrator"))
    closed = w.run(OPERATOR, c.CloseDefaultClaim(claim_id))[-1].event
    assert isinstance(closed, ev.DefaultClaimClosed)
    assert (closed.exposures_minor, closed.losses_minor, closed.program_lgd_bps) == (
        (60_000_00,),
        (0,),
        (0,),
    )
    assert replay(w.log).ok


# --- the invariant replay ------------------------------------------------------------


def test_the_replay_rejects_a_partial_payment_by_another_organisation(net: Network) -> None:
    w = net.world
    w.today = DUE
    honest = w.run(net.anchor, c.RecordPayment(net.receivable_id, 1_00))[-1]
    forged = replace(honest, org_id=net.s2.org_id, actor_id=net.s2.user_id)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]


def test_the_replay_rejects_a_payment_beyond_what_is_owed(net: Network) -> None:
    w = net.world
    w.today = DUE
    honest = w.run(net.anchor, c.RecordPayment(net.receivable_id, 1_00))[-1]
    assert isinstance(honest.event, ev.ReceivablePartlyPaid)
    forged = replace(
        honest,
        event=replace(
            honest.event, amount_minor=100_000_01, paid_minor=100_000_01, outstanding_minor=-1
        ),
    )
    assert not replay([*w.log[:-1], forged]).ok


def test_the_replay_rejects_skewed_shares_and_money_after_closing(net: Network) -> None:
    w = net.world
    claim_id = _three_holders(net)
    honest = w.run(OPERATOR, c.RecordRecovery(claim_id, 30_00, "EUR", "insurer"))[-1]
    assert isinstance(honest.event, ev.RecoveryDistributed)
    skewed = replace(honest, event=replace(honest.event, shares_minor=(30_00, 0, 0)))
    assert [v.event_id for v in replay([*w.log[:-1], skewed]).violations] == [skewed.id]
    w.run(OPERATOR, c.CloseDefaultClaim(claim_id))
    late = replace(honest, id="evt_late", seq=len(w.log) + 1)
    assert [v.event_id for v in replay([*w.log, late]).violations] == ["evt_late"]
    assert replay(w.log).ok


def test_the_replay_rejects_a_default_approved_by_its_maker(net: Network) -> None:
    w = net.world
    _declare(net)
    record = next(r for r in w.log if isinstance(r.event, ev.ObligorDefaulted))
    forged_event = replace(record.event, approved_by=record.event.requested_by)
    forged = replace(record, event=forged_event)
    log = [forged if r is record else r for r in w.log]
    assert record.id in [v.event_id for v in replay(log).violations]
