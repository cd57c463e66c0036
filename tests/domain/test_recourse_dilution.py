"""When trade goes wrong: recourse on a defaulted financed piece, dilution after
confirmation (credits netted against the next confirmations) and disputes that hold an
invoice back from confirmation. Every rule and every refusal, in the pure domain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.errors import Conflict, InvalidRequest, NotFound, OpenSCFError, PermissionDenied
from openscf.domain.model import exposure_key
from openscf.domain.replay import replay

from ..tagging import tag
from .conftest import OPERATOR, Network, build_network

DUE = date(2026, 5, 29)


def _program(net: Network, recourse: bool) -> str:
    w = net.world
    prg = w.new("prg")
    w.run(
        net.anchor,
        c.CreateProgram(
            "R",
            "EUR",
            180,
            10**10,
            10**9,
            10**9,
            approval_threshold_minor=10**12,
            program_id=prg,
            recourse=recourse,
            recourse_days=30,
        ),
    )
    w.run(net.anchor, c.AddFunder(prg, net.funder.org_id))
    for s in (net.s1, net.s2):
        w.run(net.anchor, c.OnboardSupplier(prg, s.org_id))
    return prg


def _confirm(
    net: Network,
    prg: str,
    amount: int = 100_000_00,
    number: str | None = None,
    supplier: str | None = None,
) -> str:
    w = net.world
    rid = w.new("rcv")
    w.run(
        net.anchor,
        c.ConfirmInvoice(
            prg,
            supplier or net.s1.org_id,
            number or w.new("INV"),
            amount,
            "EUR",
            DUE,
            w.new("inv"),
            rid,
            w.new("apr"),
        ),
    )
    return rid


def _financed_default(net: Network, recourse: bool = True) -> tuple[str, str]:
    """(program, the funder's defaulted piece) after s1 sold its receivable to the funder."""
    w = net.world
    prg = _program(net, recourse)
    rid = _confirm(net, prg)
    fin, ofr, bought = w.new("fin"), w.new("ofr"), w.new("rcv")
    w.run(net.s1, c.RequestFinancing(rid, fin))
    w.run(net.funder, c.OfferFinancing(fin, "0.05", w.today, 0, ofr))
    w.run(net.s1, c.AcceptFinancingOffer(ofr, bought))
    w.today = DUE + timedelta(days=31)
    w.run(net.anchor, c.MarkOverdue(bought))
    w.run(net.anchor, c.MarkDefaulted(bought))
    return prg, bought


@pytest.fixture
def net() -> Network:
    return build_network()


# --- recourse -----------------------------------------------------------------------------


def test_a_program_without_recourse_reads_as_before(net: Network) -> None:
    prg = _program(net, recourse=False)
    program = net.world.state.programs[prg]
    assert (program.recourse, program.recourse_days) == (False, 0)
    created = [r.event for r in net.world.log if getattr(r.event, "program_id", None) == prg]
    assert not any(isinstance(e, ev.ProgramRecourseSet) for e in created)


def test_the_funder_puts_a_defaulted_piece_back_to_the_seller(net: Network) -> None:
    w = net.world
    prg, bought = _financed_default(net)
    funder_key = exposure_key("funder", prg, net.funder.org_id)
    program_before = w.state.exposure(exposure_key("program", prg))
    [record] = w.run(
        net.funder,
        c.PutBackReceivable(bought, tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")),
    )
    assert isinstance(record.event, ev.ReceivablePutBack)
    assert record.event.seller_id == net.s1.org_id
    old, back, owed = (
        w.state.receivables[i]
        for i in (bought, tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed"))
    )
    assert old.status == "put_back"
    # The claim on the anchor returns to the seller, still defaulted, still owed.
    assert (back.holder_id, back.obligor_id, back.status, back.face_minor, back.parent_id) == (
        net.s1.org_id,
        net.anchor.org_id,
        "defaulted",
        old.face_minor,
        bought,
    )
    # The seller owes the funder the face, by a due date 30 days on (a business day).
    assert (owed.obligor_id, owed.holder_id, owed.status, owed.face_minor, owed.parent_id) == (
        net.s1.org_id,
        net.funder.org_id,
        "recourse_due",
        old.face_minor,
        bought,
    )
    assert owed.due_on == date(2026, 7, 29)
    assert w.state.exposure(funder_key) == 0
    assert w.state.exposure(exposure_key("program", prg)) == program_before
    assert replay(w.log).ok


def test_the_seller_pays_its_recourse_obligation_by_the_settlement_path(net: Network) -> None:
    w = net.world
    _, bought = _financed_default(net)
    w.run(
        net.funder,
        c.PutBackReceivable(bought, tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")),
    )
    [settled] = w.run(net.s1, c.PayRecourse(tag(net.funder, "rcv_owed")))
    assert isinstance(settled.event, ev.ReceivableSettled)
    assert (settled.event.obligor_id, settled.event.payee_id, settled.event.amount_minor) == (
        net.s1.org_id,
        net.funder.org_id,
        100_000_00,
    )
    assert w.state.receivables[tag(net.funder, "rcv_owed")].status == "settled"
    # The anchor still owes the returned piece to the seller.
    w.run(net.anchor, c.SettleReceivable(tag(net.funder, "rcv_back")))
    assert replay(w.log).ok


REFUSALS: dict[
    str, tuple[Callable[[Network], tuple[object, c.Command]], type[OpenSCFError], str]
] = {
    "without recourse the funder keeps the loss": (
        lambda n: (
            n.funder,
            c.PutBackReceivable(
                _financed_default(n, False)[1], tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")
            ),
        ),
        Conflict,
        "without_recourse",
    ),
    "only a defaulted piece": (
        lambda n: (
            n.funder,
            c.PutBackReceivable(_live_financed(n), tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")),
        ),
        Conflict,
        "receivable_not_defaulted",
    ),
    "only the holder": (
        lambda n: (
            n.s2,
            c.PutBackReceivable(
                _financed_default(n)[1], tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")
            ),
        ),
        PermissionDenied,
        "not_holder",
    ),
    "only a program funder": (
        lambda n: (
            n.s1,
            c.PutBackReceivable(_returned(n), tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")),
        ),
        PermissionDenied,
        "not_program_funder",
    ),
    "a put-back piece is not put back twice": (
        lambda n: (
            n.funder,
            c.PutBackReceivable(_put_back(n), tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")),
        ),
        Conflict,
        "receivable_not_defaulted",
    ),
    "the two new ids differ": (
        lambda n: (
            n.funder,
            c.PutBackReceivable(
                _financed_default(n)[1], tag(n.funder, "rcv_a"), tag(n.funder, "rcv_a")
            ),
        ),
        InvalidRequest,
        "duplicate_ids",
    ),
    "the seller pays only a recourse obligation": (
        lambda n: (n.anchor, c.PayRecourse(n.receivable_id)),
        Conflict,
        "not_recourse_due",
    ),
    "a recourse obligation is paid once": (
        lambda n: (n.s1, c.PayRecourse(_paid_recourse(n))),
        Conflict,
        "not_recourse_due",
    ),
    "only the seller pays its recourse obligation": (
        lambda n: (n.s2, c.PayRecourse(_owed(n))),
        PermissionDenied,
        "not_obligor",
    ),
    "the anchor does not settle a recourse obligation": (
        lambda n: (n.anchor, c.SettleReceivable(_owed(n))),
        PermissionDenied,
        "not_obligor",
    ),
    "an unknown piece": (
        lambda n: (
            n.funder,
            c.PutBackReceivable("rcv_none", tag(n.funder, "rcv_a"), tag(n.funder, "rcv_b")),
        ),
        NotFound,
        "unknown_receivable",
    ),
    "recourse days in range": (
        lambda n: (
            n.anchor,
            c.CreateProgram(
                "X",
                "EUR",
                90,
                1,
                1,
                1,
                program_id=tag(n.anchor, "prg_x"),
                recourse=True,
                recourse_days=0,
            ),
        ),
        InvalidRequest,
        "invalid_recourse_days",
    ),
    "a credit note on an unknown invoice": (
        lambda n: (n.anchor, c.RecordCreditNote("inv_none", "CN", 1, tag(n.anchor, "crd_x"))),
        NotFound,
        "unknown_invoice",
    ),
    "a credit note never exceeds the invoice": (
        lambda n: (
            n.anchor,
            c.RecordCreditNote(_invoice(n), "CN", 100_000_01, tag(n.anchor, "crd_x")),
        ),
        Conflict,
        "credit_exceeds_invoice",
    ),
    "credit notes together never exceed the invoice": (
        lambda n: (
            n.anchor,
            c.RecordCreditNote(_credited_invoice(n), "CN2", 60_000_00, tag(n.anchor, "crd_y")),
        ),
        Conflict,
        "credit_exceeds_invoice",
    ),
    "a credit note has a number": (
        lambda n: (n.anchor, c.RecordCreditNote(_invoice(n), " ", 1, tag(n.anchor, "crd_x"))),
        InvalidRequest,
        "invalid_credit_note_number",
    ),
    "a credit note on a cancelled receivable": (
        lambda n: (
            n.anchor,
            c.RecordCreditNote(_cancelled_invoice(n), "CN", 1, tag(n.anchor, "crd_x")),
        ),
        Conflict,
        "invoice_cancelled",
    ),
    "a dispute needs a reason": (
        lambda n: (
            n.anchor,
            c.RaiseDispute(n.program_id, n.s1.org_id, "INV-D", 1, " ", tag(n.anchor, "dsp_x")),
        ),
        InvalidRequest,
        "invalid_reason",
    ),
    "a dispute on a supplier outside the program": (
        lambda n: (
            n.anchor,
            c.RaiseDispute(
                _program(n, False), n.s3.org_id, "INV-D", 1, "why", tag(n.anchor, "dsp_x")
            ),
        ),
        Conflict,
        "supplier_not_onboarded",
    ),
    "one open dispute per invoice": (
        lambda n: (
            n.anchor,
            c.RaiseDispute(
                n.program_id, n.s1.org_id, _disputed(n), 1, "again", tag(n.anchor, "dsp_y")
            ),
        ),
        Conflict,
        "dispute_open",
    ),
    "a disputed invoice is not confirmed": (
        lambda n: (
            n.anchor,
            c.ConfirmInvoice(
                n.program_id,
                n.s1.org_id,
                _disputed(n),
                5_00,
                "EUR",
                DUE,
                tag(n.anchor, "inv_d"),
                tag(n.anchor, "rcv_d"),
                tag(n.anchor, "apr_d"),
            ),
        ),
        Conflict,
        "invoice_disputed",
    ),
    "the supplier agrees, not the anchor": (
        lambda n: (n.anchor, c.ResolveDispute(_dispute(n), "agreed")),
        PermissionDenied,
        "not_dispute_supplier",
    ),
    "the anchor withdraws, not the supplier": (
        lambda n: (n.s1, c.ResolveDispute(_dispute(n), "withdrawn")),
        PermissionDenied,
        "not_dispute_anchor",
    ),
    "another supplier resolves nothing": (
        lambda n: (n.s2, c.ResolveDispute(_dispute(n), "agreed")),
        PermissionDenied,
        "not_dispute_party",
    ),
    "an outcome is agreed or withdrawn": (
        lambda n: (n.s1, c.ResolveDispute(_dispute(n), "maybe")),
        InvalidRequest,
        "invalid_outcome",
    ),
    "agreement at most the disputed amount": (
        lambda n: (n.s1, c.ResolveDispute(_dispute(n), "agreed", 1_000_01)),
        InvalidRequest,
        "agreed_exceeds_dispute",
    ),
    "a dispute resolves once": (
        lambda n: (n.anchor, c.ResolveDispute(_withdrawn(n), "withdrawn")),
        Conflict,
        "dispute_not_open",
    ),
    "an unknown dispute": (
        lambda n: (n.s1, c.ResolveDispute("dsp_none", "agreed")),
        NotFound,
        "unknown_dispute",
    ),
    "a dispute on a confirmed invoice never exceeds it": (
        lambda n: (
            n.anchor,
            c.RaiseDispute(
                n.program_id,
                n.s1.org_id,
                _number(n),
                100_000_01,
                "all wrong",
                tag(n.anchor, "dsp_x"),
            ),
        ),
        Conflict,
        "credit_exceeds_invoice",
    ),
    "a piece the funder did not buy": (lambda n: _own_default(n), Conflict, "not_financed"),
    "recourse is true or false": (
        lambda n: (
            n.anchor,
            c.CreateProgram(
                "X", "EUR", 90, 1, 1, 1, program_id=tag(n.anchor, "prg_x"), recourse="yes"
            ),
        ),  # type: ignore[arg-type]
        InvalidRequest,
        "invalid_recourse",
    ),
    "a disputed invoice has a number": (
        lambda n: (
            n.anchor,
            c.RaiseDispute(n.program_id, n.s1.org_id, " ", 1, "why", tag(n.anchor, "dsp_x")),
        ),
        InvalidRequest,
        "invalid_invoice_number",
    ),
    "an agreed dispute never credits beyond the invoice": (
        lambda n: (
            n.s1,
            c.ResolveDispute(_over_disputed(n), "agreed", credit_id=tag(n.s1, "crd_x")),
        ),
        Conflict,
        "credit_exceeds_invoice",
    ),
}


def _own_default(n: Network) -> tuple[object, c.Command]:
    """A funder that is also a supplier holds its own confirmed piece when it defaults."""
    w = n.world
    both = w.org("Bank and Trader", ("funder", "supplier"))
    prg = _program(n, True)
    w.run(n.anchor, c.AddFunder(prg, both.org_id))
    w.run(n.anchor, c.OnboardSupplier(prg, both.org_id))
    rid = _confirm(n, prg, supplier=both.org_id)
    w.today = DUE + timedelta(days=31)
    w.run(n.anchor, c.MarkOverdue(rid))
    w.run(n.anchor, c.MarkDefaulted(rid))
    return both, c.PutBackReceivable(rid, tag(both, "rcv_a"), tag(both, "rcv_b"))


def _over_disputed(n: Network) -> str:
    """A dispute of 60 000.00, then a credit note of 50 000.00 on the 100 000.00 invoice."""
    n.world.run(
        n.anchor,
        c.RaiseDispute(
            n.program_id, n.s1.org_id, _number(n), 60_000_00, "price", tag(n.anchor, "dsp_o")
        ),
    )
    n.world.run(n.anchor, c.RecordCreditNote(_invoice(n), "CN", 50_000_00, tag(n.anchor, "crd_o")))
    return tag(n.anchor, "dsp_o")


def _live_financed(n: Network) -> str:
    w = n.world
    rid = _confirm(n, _program(n, True))
    fin, ofr, bought = w.new("fin"), w.new("ofr"), w.new("rcv")
    w.run(n.s1, c.RequestFinancing(rid, fin))
    w.run(n.funder, c.OfferFinancing(fin, "0.05", w.today, 0, ofr))
    w.run(n.s1, c.AcceptFinancingOffer(ofr, bought))
    return bought


def _put_back(n: Network) -> str:
    _, bought = _financed_default(n)
    n.world.run(
        n.funder, c.PutBackReceivable(bought, tag(n.funder, "rcv_back"), tag(n.funder, "rcv_owed"))
    )
    return bought


def _owed(n: Network) -> str:
    _put_back(n)
    return tag(n.funder, "rcv_owed")


def _paid_recourse(n: Network) -> str:
    n.world.run(n.s1, c.PayRecourse(_owed(n)))
    return tag(n.funder, "rcv_owed")


def _returned(n: Network) -> str:
    _put_back(n)
    return tag(n.funder, "rcv_back")


def _invoice(n: Network) -> str:
    return n.world.state.receivables[n.receivable_id].invoice_id


def _number(n: Network) -> str:
    return n.world.state.invoices[_invoice(n)].number


def _credited_invoice(n: Network) -> str:
    n.world.run(n.anchor, c.RecordCreditNote(_invoice(n), "CN1", 50_000_00, tag(n.anchor, "crd_1")))
    return _invoice(n)


def _cancelled_invoice(n: Network) -> str:
    n.world.run(n.anchor, c.CancelReceivable(n.receivable_id))
    return _invoice(n)


def _dispute(n: Network) -> str:
    n.world.run(
        n.anchor,
        c.RaiseDispute(
            n.program_id, n.s1.org_id, "INV-D", 1_000_00, "short delivery", tag(n.anchor, "dsp_1")
        ),
    )
    return tag(n.anchor, "dsp_1")


def _disputed(n: Network) -> str:
    _dispute(n)
    return "INV-D"


def _withdrawn(n: Network) -> str:
    _dispute(n)
    n.world.run(n.anchor, c.ResolveDispute(tag(n.anchor, "dsp_1"), "withdrawn"))
    return tag(n.anchor, "dsp_1")


@pytest.mark.parametrize("what", sorted(REFUSALS))
def test_the_network_refuses(what: str, net: Network) -> None:
    build, error, code = REFUSALS[what]
    actor, command = build(net)
    log = list(net.world.log)
    with pytest.raises(error) as info:
        net.world.run(actor, command)  # type: ignore[arg-type]
    assert info.value.code == code, info.value
    assert net.world.log == log


# --- recourse after partial payment and obligor default ------------------------------


def test_a_partly_paid_piece_is_put_back_for_what_the_funder_still_lacks(net: Network) -> None:
    w = net.world
    _, bought = _financed_default(net)
    w.run(net.anchor, c.RecordPayment(bought, 30_000_00))  # to the funder, its holder
    back, owed = tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")
    [record] = w.run(net.funder, c.PutBackReceivable(bought, back, owed))
    assert isinstance(record.event, ev.ReceivablePutBack)
    assert (record.event.face_minor, record.event.owed_minor) == (100_000_00, 70_000_00)
    assert w.state.receivables[owed].face_minor == 70_000_00
    # The returned piece remembers what its obligor paid: the anchor owes the seller the rest.
    assert w.state.receivables[back].paid_minor == 30_000_00
    [settled] = w.run(net.anchor, c.SettleReceivable(back))
    assert isinstance(settled.event, ev.ReceivableSettled)
    assert (settled.event.payee_id, settled.event.amount_minor) == (net.s1.org_id, 70_000_00)
    [paid] = w.run(net.s1, c.PayRecourse(owed))
    assert isinstance(paid.event, ev.ReceivableSettled) and paid.event.amount_minor == 70_000_00
    assert replay(w.log).ok


def _anchor_in_default(net: Network) -> tuple[str, str]:
    """(claim, the funder's piece in it) after the operator declared the anchor in default."""
    _, bought = _financed_default(net)
    maker = net.world.second_user(OPERATOR)
    net.world.run(
        maker,
        c.RequestObligorDefault(
            net.anchor.org_id, "insolvency", "filing", "apr_op.dfl", "dfl_op.1"
        ),
    )
    net.world.run(OPERATOR, c.ApproveObligorDefault("apr_op.dfl"))
    assert net.world.state.receivables[bought].claim_id == "dfl_op.1"
    return "dfl_op.1", bought


def test_a_piece_in_a_default_claim_is_put_back_and_its_seller_takes_its_place(
    net: Network,
) -> None:
    w = net.world
    claim, bought = _anchor_in_default(net)
    # 20 000.00 recovered over two pieces of 100 000.00 each: 10 000.00 to the funder.
    w.run(OPERATOR, c.RecordRecovery(claim, 20_000_00, "EUR", "administrator"))
    assert w.state.receivables[bought].recovered_minor == 10_000_00
    back, owed = tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")
    w.run(net.funder, c.PutBackReceivable(bought, back, owed))
    # The seller owes the funder what the funder still lacked, not the face.
    assert w.state.receivables[owed].face_minor == 90_000_00
    returned = w.state.receivables[back]
    assert (returned.holder_id, returned.claim_id, returned.recovered_minor) == (
        net.s1.org_id,
        claim,
        10_000_00,
    )
    assert w.state.receivables[bought].claim_id is None
    assert bought not in w.state.default_claims[claim].piece_ids
    assert back in w.state.default_claims[claim].piece_ids
    # A later recovery reaches the seller, and closing makes the rest the seller's loss.
    [recovery] = w.run(OPERATOR, c.RecordRecovery(claim, 20_000_00, "EUR", "administrator"))
    shares = dict(
        zip(
            recovery.event.piece_ids,
            zip(
                recovery.event.holder_ids,  # type: ignore[attr-defined]
                recovery.event.shares_minor,  # type: ignore[attr-defined]
                strict=True,
            ),
            strict=True,
        )
    )
    assert shares[back] == (net.s1.org_id, 10_000_00)
    [closed] = w.run(OPERATOR, c.CloseDefaultClaim(claim))
    assert isinstance(closed.event, ev.DefaultClaimClosed)
    losses = dict(
        zip(
            closed.event.piece_ids,
            zip(closed.event.holder_ids, closed.event.losses_minor, strict=True),
            strict=True,
        )
    )
    assert losses[back] == (net.s1.org_id, 80_000_00)
    assert w.state.receivables[back].status == "written_off"
    # The recourse obligation is the seller's own debt, outside the anchor's claim.
    w.run(net.s1, c.PayRecourse(owed))
    assert replay(w.log).ok


def test_a_piece_its_claim_paid_in_full_has_nothing_to_put_back(net: Network) -> None:
    w = net.world
    claim, bought = _anchor_in_default(net)
    w.run(OPERATOR, c.RecordRecovery(claim, 200_000_00, "EUR", "guarantor"))
    log = list(w.log)
    with pytest.raises(Conflict) as info:
        w.run(
            net.funder,
            c.PutBackReceivable(bought, tag(net.funder, "rcv_a"), tag(net.funder, "rcv_b")),
        )
    assert info.value.code == "nothing_owed" and w.log == log


def test_a_written_off_piece_is_not_put_back(net: Network) -> None:
    w = net.world
    claim, bought = _anchor_in_default(net)
    w.run(OPERATOR, c.CloseDefaultClaim(claim))
    with pytest.raises(Conflict) as info:
        w.run(
            net.funder,
            c.PutBackReceivable(bought, tag(net.funder, "rcv_a"), tag(net.funder, "rcv_b")),
        )
    assert info.value.code == "receivable_not_defaulted"


def test_the_replay_rejects_a_put_back_that_owes_more_than_was_lacking(net: Network) -> None:
    w = net.world
    claim, bought = _anchor_in_default(net)
    w.run(OPERATOR, c.RecordRecovery(claim, 20_000_00, "EUR", "administrator"))
    [record] = w.run(
        net.funder,
        c.PutBackReceivable(bought, tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")),
    )
    forged = _forge(net, record, owed_minor=100_000_00)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]


# --- dilution -----------------------------------------------------------------------------


def test_a_credit_note_leaves_the_confirmed_piece_whole_and_is_netted_next_time(
    net: Network,
) -> None:
    w = net.world
    invoice = _invoice(net)
    w.run(net.anchor, c.RecordCreditNote(invoice, "CN-7", 30_000_00, tag(net.anchor, "crd_a")))
    assert w.state.receivables[net.receivable_id].face_minor == 100_000_00
    assert w.state.credits[tag(net.anchor, "crd_a")].open_minor == 30_000_00
    # The next confirmation to s1 (20 000.00) is issued net, and the rest stays open.
    rid = net.confirm(20_000_00)
    assert w.state.receivables[rid].face_minor == 1
    assert w.state.invoices[w.state.receivables[rid].invoice_id].amount_minor == 20_000_00
    assert w.state.credits[tag(net.anchor, "crd_a")].open_minor == 30_000_00 - (20_000_00 - 1)
    rid2 = net.confirm(50_000_00)
    left = 30_000_00 - (20_000_00 - 1)
    assert w.state.receivables[rid2].face_minor == 50_000_00 - left
    assert w.state.credits[tag(net.anchor, "crd_a")].status == "netted"
    # Another supplier's confirmation is not netted.
    assert w.state.receivables[net.confirm(5_00, supplier=net.s2)].face_minor == 5_00
    assert replay(w.log).ok


def test_credits_are_netted_oldest_first(net: Network) -> None:
    w = net.world
    invoice = _invoice(net)
    w.run(net.anchor, c.RecordCreditNote(invoice, "CN-1", 1_00, tag(net.anchor, "crd_z")))
    w.today += timedelta(days=1)
    w.run(net.anchor, c.RecordCreditNote(invoice, "CN-2", 2_00, tag(net.anchor, "crd_a")))
    records = w.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "INV-N",
            10_00,
            "EUR",
            DUE,
            tag(net.anchor, "inv_n"),
            tag(net.anchor, "rcv_n"),
            tag(net.anchor, "apr_n"),
        ),
    )
    netted = [r.event for r in records if isinstance(r.event, ev.CreditNetted)]
    assert [(e.credit_id, e.amount_minor) for e in netted] == [
        (tag(net.anchor, "crd_z"), 1_00),
        (tag(net.anchor, "crd_a"), 2_00),
    ]
    assert w.state.receivables[tag(net.anchor, "rcv_n")].face_minor == 7_00


def test_an_approved_confirmation_is_netted_when_approved() -> None:
    net = build_network(threshold=0)
    w = net.world
    checker = w.second_user(net.anchor)
    approval = w.new("apr")
    first = next(iter(w.state.approvals))  # the network's first confirmation is pending too
    w.run(checker, c.ApproveConfirmation(first))
    w.run(net.anchor, c.RecordCreditNote(_invoice(net), "CN", 10_00, tag(net.anchor, "crd_p")))
    w.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "INV-P",
            50_00,
            "EUR",
            DUE,
            tag(net.anchor, "inv_p"),
            tag(net.anchor, "rcv_p"),
            approval,
        ),
    )
    w.run(checker, c.ApproveConfirmation(approval))
    assert w.state.receivables[tag(net.anchor, "rcv_p")].face_minor == 40_00
    assert replay(w.log).ok


def test_a_dispute_holds_an_invoice_back_until_resolved(net: Network) -> None:
    w = net.world
    w.run(
        net.anchor,
        c.RaiseDispute(
            net.program_id, net.s1.org_id, "INV-H", 40_00, "damaged goods", tag(net.anchor, "dsp_h")
        ),
    )
    with pytest.raises(Conflict):
        net.confirm(100_00, number="inv-h")  # the same number, however written
    w.run(net.s1, c.ResolveDispute(tag(net.anchor, "dsp_h"), "agreed", 30_00))
    dispute = w.state.disputes[tag(net.anchor, "dsp_h")]
    assert (dispute.status, dispute.agreed_minor, dispute.credit_id) == ("agreed", 30_00, None)
    net.confirm(70_00, number="INV-H")  # the anchor confirms the agreed amount
    assert not w.state.credits
    assert replay(w.log).ok


def test_an_agreed_dispute_on_a_confirmed_invoice_becomes_a_credit(net: Network) -> None:
    w = net.world
    w.run(
        net.anchor,
        c.RaiseDispute(
            net.program_id,
            net.s1.org_id,
            _number(net),
            10_000_00,
            "short delivery",
            tag(net.anchor, "dsp_c"),
        ),
    )
    w.run(
        net.s1, c.ResolveDispute(tag(net.anchor, "dsp_c"), "agreed", credit_id=tag(net.s1, "crd_c"))
    )
    credit = w.state.credits[tag(net.s1, "crd_c")]
    assert (credit.source, credit.reference, credit.amount_minor, credit.invoice_id) == (
        "dispute",
        tag(net.anchor, "dsp_c"),
        10_000_00,
        _invoice(net),
    )
    assert w.state.receivables[net.receivable_id].face_minor == 100_000_00
    assert replay(w.log).ok


def test_a_withdrawn_dispute_opens_no_credit(net: Network) -> None:
    w = net.world
    w.run(
        net.anchor,
        c.RaiseDispute(
            net.program_id, net.s1.org_id, _number(net), 10_00, "wrong", tag(net.anchor, "dsp_w")
        ),
    )
    w.run(net.anchor, c.ResolveDispute(tag(net.anchor, "dsp_w"), "withdrawn"))
    assert w.state.disputes[tag(net.anchor, "dsp_w")].status == "withdrawn" and not w.state.credits


# --- the replay: money conserved, only the right party acts ------------------------------


def _forge(net: Network, record: ev.EventRecord, **event_changes: object) -> ev.EventRecord:
    return replace(record, event=replace(record.event, **event_changes))


def test_the_replay_rejects_a_put_back_without_recourse(net: Network) -> None:
    w = net.world
    _, bought = _financed_default(net, recourse=False)
    honest_log = list(w.log)
    piece = w.state.receivables[bought]
    forged = ev.EventRecord(
        "evt_forged",
        net.funder.org_id,
        net.funder.user_id,
        honest_log[-1].occurred_at,
        ev.ReceivablePutBack(
            bought,
            "rcv_f1",
            "rcv_f2",
            piece.program_id,
            net.funder.org_id,
            net.s1.org_id,
            net.anchor.org_id,
            piece.face_minor,
            piece.face_minor,
            "EUR",
            DUE,
        ),
        len(honest_log) + 1,
    )
    result = replay([*honest_log, forged])
    assert [v.event_id for v in result.violations] == ["evt_forged"]
    assert "without recourse" in result.violations[0].message


def test_the_replay_rejects_a_put_back_to_someone_who_did_not_sell(net: Network) -> None:
    w = net.world
    _, bought = _financed_default(net)
    [record] = w.run(
        net.funder,
        c.PutBackReceivable(bought, tag(net.funder, "rcv_back"), tag(net.funder, "rcv_owed")),
    )
    forged = _forge(net, record, seller_id=net.s2.org_id)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]


def test_the_replay_rejects_netting_beyond_the_open_credit(net: Network) -> None:
    w = net.world
    w.run(net.anchor, c.RecordCreditNote(_invoice(net), "CN", 5_00, tag(net.anchor, "crd_f")))
    records = w.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "INV-F",
            50_00,
            "EUR",
            DUE,
            tag(net.anchor, "inv_f"),
            tag(net.anchor, "rcv_f"),
            tag(net.anchor, "apr_f"),
        ),
    )
    issued, netted = records
    assert isinstance(netted.event, ev.CreditNetted)
    forged_issue = _forge(net, issued, face_minor=40_00)
    forged_net = _forge(net, netted, amount_minor=10_00)
    result = replay([*w.log[:-2], forged_issue, forged_net])
    assert forged_net.id in [v.event_id for v in result.violations]


def test_the_replay_rejects_a_dispute_agreed_by_the_anchor(net: Network) -> None:
    w = net.world
    w.run(
        net.anchor,
        c.RaiseDispute(
            net.program_id, net.s1.org_id, "INV-X", 10_00, "why", tag(net.anchor, "dsp_x")
        ),
    )
    [record] = w.run(net.s1, c.ResolveDispute(tag(net.anchor, "dsp_x"), "agreed"))
    forged = replace(record, org_id=net.anchor.org_id, actor_id=net.anchor.user_id)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]


def test_the_replay_rejects_a_confirmation_while_disputed(net: Network) -> None:
    w = net.world
    w.run(
        net.anchor,
        c.RaiseDispute(
            net.program_id, net.s1.org_id, "INV-Y", 10_00, "why", tag(net.anchor, "dsp_y")
        ),
    )
    [record] = w.run(net.anchor, c.ResolveDispute(tag(net.anchor, "dsp_y"), "withdrawn"))
    [issued] = w.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "INV-Y",
            10_00,
            "EUR",
            DUE,
            tag(net.anchor, "inv_y"),
            tag(net.anchor, "rcv_y"),
            tag(net.anchor, "apr_y"),
        ),
    )
    # Drop the withdrawal: the confirmation happened while the dispute was open.
    result = replay([r for r in w.log if r.id != record.id])
    assert issued.id in [v.event_id for v in result.violations]


def test_the_replay_rejects_a_credit_note_by_another_anchor(net: Network) -> None:
    w = net.world
    other = w.org("Other Anchor", ("anchor",))
    [record] = w.run(
        net.anchor, c.RecordCreditNote(_invoice(net), "CN", 5_00, tag(net.anchor, "crd_o"))
    )
    forged = replace(record, org_id=other.org_id, actor_id=other.user_id)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]
