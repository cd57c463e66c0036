"""Every rule of the receivable life cycle, read as a ledger: what happens, what is refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.decide import Actor
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    OpenSCFError,
    PermissionDenied,
)
from openscf.domain.replay import replay

from ..tagging import tag
from .conftest import OPERATOR, Network, build_network

DUE = date(2026, 5, 29)


def piece(net: Network, rid: str):
    found = net.world.state.receivable(rid)
    assert found is not None
    return found


# --- what happens -------------------------------------------------------------------


def test_confirming_an_invoice_issues_a_receivable_to_the_supplier(net: Network) -> None:
    r = piece(net, net.receivable_id)
    assert (r.holder_id, r.obligor_id, r.face_minor, r.status) == (
        net.s1.org_id,
        net.anchor.org_id,
        100_000_00,
        "live",
    )
    assert r.due_on == DUE  # 2026-05-29 is a Friday, a TARGET business day


def test_a_due_date_on_a_weekend_rolls_modified_following() -> None:
    net = build_network()
    # Saturday 2026-05-30 would roll to Monday 1 June, the next month: so back to Friday.
    rid = net.confirm(due=date(2026, 5, 30))
    assert piece(net, rid).due_on == date(2026, 5, 29)
    # Saturday 2026-04-04 (Easter weekend, TARGET closed Good Friday and Easter Monday).
    rid = net.confirm(due=date(2026, 4, 4))
    assert piece(net, rid).due_on == date(2026, 4, 7)


def test_a_split_retires_the_piece_and_creates_pieces_summing_to_its_face(net: Network) -> None:
    w = net.world
    (rec,) = w.run(
        net.s1,
        c.SplitReceivable(
            net.receivable_id, (60_000_00, 40_000_00), (tag(net.s1, "rcv_a"), tag(net.s1, "rcv_b"))
        ),
    )
    assert isinstance(rec.event, ev.ReceivableSplit)
    assert piece(net, net.receivable_id).status == "split"
    assert (
        piece(net, tag(net.s1, "rcv_a")).face_minor + piece(net, tag(net.s1, "rcv_b")).face_minor
        == 100_000_00
    )
    assert piece(net, tag(net.s1, "rcv_a")).parent_id == net.receivable_id
    assert piece(net, tag(net.s1, "rcv_a")).root_id == net.receivable_id


def test_a_partial_transfer_is_a_split_and_a_transfer_atomically(net: Network) -> None:
    records = net.world.run(
        net.s1,
        c.TransferReceivable(
            net.receivable_id,
            net.s2.org_id,
            25_000_00,
            tag(net.s1, "rcv_new"),
            tag(net.s1, "rcv_part"),
            tag(net.s1, "rcv_rest"),
        ),
    )
    assert [type(r.event) for r in records] == [ev.ReceivableSplit, ev.ReceivableTransferred]
    assert piece(net, tag(net.s1, "rcv_new")).holder_id == net.s2.org_id
    assert piece(net, tag(net.s1, "rcv_new")).face_minor == 25_000_00
    assert piece(net, tag(net.s1, "rcv_rest")).holder_id == net.s1.org_id
    assert piece(net, tag(net.s1, "rcv_rest")).face_minor == 75_000_00
    assert piece(net, tag(net.s1, "rcv_part")).status == "transferred"


def test_a_whole_transfer_changes_the_holder_of_a_new_piece(net: Network) -> None:
    net.world.run(
        net.s1,
        c.TransferReceivable(
            net.receivable_id, net.s2.org_id, new_receivable_id=tag(net.s1, "rcv_w")
        ),
    )
    assert piece(net, tag(net.s1, "rcv_w")).holder_id == net.s2.org_id
    assert piece(net, net.receivable_id).status == "transferred"


def test_financing_gives_the_funder_the_piece_and_the_seller_face_less_discount_and_fees(
    net: Network,
) -> None:
    w = net.world
    w.run(net.s1, c.RequestFinancing(net.receivable_id, tag(net.s1, "fin_1")))
    (offer,) = w.run(
        net.funder,
        c.OfferFinancing(tag(net.s1, "fin_1"), "0.05", w.today, 25_00, tag(net.funder, "ofr_1")),
    )
    assert isinstance(offer.event, ev.FinancingOffered)
    days = (DUE - w.today).days  # 88
    # 100000.00 x 0.05 x 88 / 360 = 1222.2222... -> 1222.22 (half-even)
    assert offer.event.days == days == 88
    assert offer.event.discount_minor == 1222_22
    assert offer.event.proceeds_minor == 100_000_00 - 1222_22 - 25_00
    w.run(net.s1, c.AcceptFinancingOffer(tag(net.funder, "ofr_1"), tag(net.s1, "rcv_f")))
    assert piece(net, tag(net.s1, "rcv_f")).holder_id == net.funder.org_id
    assert (
        w.state.financing_request(  # type: ignore[union-attr]
            tag(net.s1, "fin_1")
        ).status
        == "accepted"
    )
    assert w.state.exposure(f"funder:{net.program_id}:{net.funder.org_id}") == 100_000_00


def test_discounts_round_half_to_even_at_the_minor_unit() -> None:
    from decimal import Decimal

    from openscf.domain.pricing import discount_minor

    # 1 x 0.5 x 360/360 = 0.5 -> 0 (even); 3 x 0.5 = 1.5 -> 2 (even)
    assert discount_minor(1, Decimal("0.5"), 360, 360) == 0
    assert discount_minor(3, Decimal("0.5"), 360, 360) == 2
    assert discount_minor(5, Decimal("0.5"), 360, 360) == 2


def test_early_payment_pays_the_holder_face_less_the_anchors_discount(net: Network) -> None:
    w = net.world
    (offer,) = w.run(
        net.anchor,
        c.OfferEarlyPayment(net.receivable_id, "0.03", w.today, tag(net.anchor, "epo_1")),
    )
    assert isinstance(offer.event, ev.EarlyPaymentOffered)
    (paid,) = w.run(net.s1, c.AcceptEarlyPayment(tag(net.anchor, "epo_1")))
    assert isinstance(paid.event, ev.ReceivablePaidEarly)
    assert paid.event.amount_minor == 100_000_00 - paid.event.discount_minor
    assert paid.event.discount_minor == 733_33  # 100000 x 0.03 x 88/360 = 733.333
    assert piece(net, net.receivable_id).status == "paid_early"
    assert w.state.exposure(f"program:{net.program_id}") == 0


def test_settlement_at_maturity_pays_face_to_every_live_piece_holder(net: Network) -> None:
    w = net.world
    w.run(
        net.s1,
        c.TransferReceivable(
            net.receivable_id,
            net.s2.org_id,
            30_000_00,
            tag(net.s1, "rcv_n"),
            tag(net.s1, "rcv_p"),
            tag(net.s1, "rcv_r"),
        ),
    )
    w.today = DUE
    paid = [
        w.run(net.anchor, c.SettleReceivable(rid))[0].event
        for rid in (tag(net.s1, "rcv_n"), tag(net.s1, "rcv_r"))
    ]
    assert [(p.payee_id, p.amount_minor) for p in paid] == [  # type: ignore[attr-defined]
        (net.s2.org_id, 30_000_00),
        (net.s1.org_id, 70_000_00),
    ]
    assert replay(w.log).ok


def test_an_unpaid_piece_becomes_overdue_then_defaulted_after_the_grace_period(
    net: Network,
) -> None:
    w = net.world
    w.today = DUE + timedelta(days=1)
    w.run(net.anchor, c.MarkOverdue(net.receivable_id))
    assert piece(net, net.receivable_id).status == "overdue"
    w.today = DUE + timedelta(days=30)
    w.run(net.anchor, c.MarkDefaulted(net.receivable_id))
    assert piece(net, net.receivable_id).status == "defaulted"
    w.run(net.anchor, c.SettleReceivable(net.receivable_id))  # late payment still settles
    assert piece(net, net.receivable_id).status == "settled"


def test_the_anchor_cancels_while_the_supplier_holds_the_whole(net: Network) -> None:
    net.world.run(net.anchor, c.CancelReceivable(net.receivable_id))
    assert piece(net, net.receivable_id).status == "cancelled"
    assert net.world.state.exposure(f"program:{net.program_id}") == 0


def test_a_large_confirmation_waits_for_a_second_user() -> None:
    net = build_network(threshold=50_000_00)
    w = net.world
    (req,) = w.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "BIG-1",
            80_000_00,
            "EUR",
            DUE,
            tag(net.anchor, "inv_b"),
            tag(net.anchor, "rcv_b"),
            tag(net.anchor, "apr_b"),
        ),
    )
    assert isinstance(req.event, ev.ConfirmationRequested)
    assert w.state.receivable(tag(net.anchor, "rcv_b")) is None
    checker = w.second_user(net.anchor)
    (issued,) = w.run(checker, c.ApproveConfirmation(tag(net.anchor, "apr_b")))
    assert isinstance(issued.event, ev.ReceivableIssued)
    assert issued.event.approved_by == checker.user_id
    assert issued.event.confirmed_by == net.anchor.user_id


def test_a_bank_account_change_waits_for_a_second_user(net: Network) -> None:
    w = net.world
    w.run(
        net.s1,
        c.RequestBankAccountChange(
            net.s1.org_id, "GB82 WEST 1234 5698 7654 32", "NWBKGB2L", tag(net.s1, "apr_k")
        ),
    )
    assert w.state.organisation(net.s1.org_id).iban == "DE89370400440532013000"  # type: ignore
    w.run(w.second_user(net.s1), c.ApproveBankAccountChange(tag(net.s1, "apr_k")))
    assert w.state.organisation(net.s1.org_id).iban == "GB82WEST12345698765432"  # type: ignore


def test_state_rebuilt_from_events_alone_equals_the_live_state(net: Network) -> None:
    w = net.world
    w.run(
        net.s1,
        c.SplitReceivable(
            net.receivable_id, (1, 100_000_00 - 1), (tag(net.s1, "rcv_x"), tag(net.s1, "rcv_y"))
        ),
    )
    w.run(
        net.s1,
        c.TransferReceivable(
            tag(net.s1, "rcv_y"), net.s3.org_id, new_receivable_id=tag(net.s1, "rcv_z")
        ),
    )
    result = replay(w.log)
    assert result.ok, result.violations
    assert result.state.receivables == w.state.receivables
    assert result.state.exposures == w.state.exposures


# --- what is refused ------------------------------------------------------------------


def _consumed(net: Network) -> None:
    net.world.run(
        net.s1,
        c.SplitReceivable(
            net.receivable_id,
            (50_000_00, 50_000_00),
            (tag(net.s1, "rcv_c1"), tag(net.s1, "rcv_c2")),
        ),
    )
    net.world.run(
        net.s1,
        c.TransferReceivable(
            net.receivable_id, net.s2.org_id, new_receivable_id=tag(net.s1, "rcv_again")
        ),
    )


def _financed_request(net: Network) -> None:
    net.world.run(net.s1, c.RequestFinancing(net.receivable_id, tag(net.s1, "fin_r")))


def _confirm(net: Network, **overrides: object) -> None:
    args: dict[str, object] = {
        "program_id": net.program_id,
        "supplier_id": net.s1.org_id,
        "invoice_number": "INV-X",
        "amount_minor": 1_000_00,
        "currency": "EUR",
        "due_on": DUE,
        "invoice_id": tag(net.anchor, "inv_x"),
        "receivable_id": tag(net.anchor, "rcv_x"),
        "approval_id": tag(net.anchor, "apr_x"),
    }
    args.update(overrides)
    net.world.run(net.anchor, c.ConfirmInvoice(**args))  # type: ignore[arg-type]


def _offer(net: Network, **overrides: object) -> None:
    _financed_request(net)
    args: dict[str, object] = {
        "request_id": tag(net.s1, "fin_r"),
        "annual_rate": "0.04",
        "value_date": net.world.today,
        "fees_minor": 0,
        "offer_id": tag(net.funder, "ofr_x"),
    }
    args.update(overrides)
    net.world.run(net.funder, c.OfferFinancing(**args))  # type: ignore[arg-type]


def _at_maturity(net: Network, actor_name: str = "anchor") -> None:
    net.world.today = DUE
    net.world.run(getattr(net, actor_name), c.SettleReceivable(net.receivable_id))


REFUSALS: list[tuple[str, Callable[[Network], None], type[OpenSCFError], str]] = [
    ("a zero amount", lambda n: _confirm(n, amount_minor=0), InvalidRequest, "amount_not_positive"),
    (
        "a negative amount",
        lambda n: _confirm(n, amount_minor=-5),
        InvalidRequest,
        "amount_not_positive",
    ),
    (
        "an amount past 2^63-1",
        lambda n: _confirm(n, amount_minor=2**63),
        InvalidRequest,
        "amount_too_large",
    ),
    (
        "a fractional amount",
        lambda n: _confirm(n, amount_minor=1.5),
        InvalidRequest,
        "invalid_amount",
    ),
    (
        "a currency other than the program's",
        lambda n: _confirm(n, currency="USD"),
        InvalidRequest,
        "currency_mismatch",
    ),
    (
        "an unknown currency",
        lambda n: _confirm(n, currency="XXY"),
        InvalidRequest,
        "unknown_currency",
    ),
    (
        "a maturity past the maximum tenor",
        lambda n: _confirm(n, due_on=date(2026, 12, 1)),
        InvalidRequest,
        "tenor_exceeded",
    ),
    (
        "a due date in the past",
        lambda n: _confirm(n, due_on=date(2026, 3, 1)),
        InvalidRequest,
        "due_date_not_future",
    ),
    (
        "the same invoice twice",
        lambda n: (
            _confirm(n),
            _confirm(
                n,
                invoice_id=tag(n.anchor, "inv_y"),
                receivable_id=tag(n.anchor, "rcv_y"),
                invoice_number=" inv-x ",
            ),
        ),
        Conflict,
        "invoice_already_confirmed",
    ),
    (
        "the same invoice twice, once in full-width letters",
        lambda n: (
            _confirm(n),
            _confirm(
                n,
                invoice_id=tag(n.anchor, "inv_y"),
                receivable_id=tag(n.anchor, "rcv_y"),
                invoice_number="\uff49\uff4e\uff56\uff0d\uff58",
            ),
        ),
        Conflict,
        "invoice_already_confirmed",
    ),
    (
        "a reused receivable id",
        lambda n: _confirm(n, receivable_id=n.receivable_id),
        Conflict,
        "id_in_use",
    ),
    (
        "a malformed id",
        lambda n: _confirm(n, receivable_id="inv_wrongprefix"),
        InvalidRequest,
        "invalid_id",
    ),
    (
        "an unknown program",
        lambda n: _confirm(n, program_id="prg_nope"),
        NotFound,
        "unknown_program",
    ),
    (
        "a supplier not onboarded",
        lambda n: _confirm(n, supplier_id=n.funder.org_id),
        Conflict,
        "supplier_not_onboarded",
    ),
    (
        "confirmation by someone other than the anchor",
        lambda n: n.world.run(
            n.s1,
            c.ConfirmInvoice(
                n.program_id,
                n.s1.org_id,
                "I",
                1,
                "EUR",
                DUE,
                tag(n.s1, "inv_q"),
                tag(n.s1, "rcv_q"),
                tag(n.s1, "apr_q"),
            ),
        ),
        PermissionDenied,
        "not_obligor",
    ),
    (
        "pieces that do not sum",
        lambda n: n.world.run(
            n.s1,
            c.SplitReceivable(n.receivable_id, (1, 2), (tag(n.s1, "rcv_1"), tag(n.s1, "rcv_2"))),
        ),
        InvalidRequest,
        "pieces_do_not_sum",
    ),
    (
        "a split into one piece",
        lambda n: n.world.run(
            n.s1, c.SplitReceivable(n.receivable_id, (100_000_00,), (tag(n.s1, "rcv_1"),))
        ),
        InvalidRequest,
        "too_few_pieces",
    ),
    (
        "a split with a zero piece",
        lambda n: n.world.run(
            n.s1,
            c.SplitReceivable(
                n.receivable_id, (0, 100_000_00), (tag(n.s1, "rcv_1"), tag(n.s1, "rcv_2"))
            ),
        ),
        InvalidRequest,
        "amount_not_positive",
    ),
    (
        "a split reusing a piece id",
        lambda n: n.world.run(
            n.s1,
            c.SplitReceivable(
                n.receivable_id, (1, 100_000_00 - 1), (tag(n.s1, "rcv_1"), tag(n.s1, "rcv_1"))
            ),
        ),
        InvalidRequest,
        "invalid_piece_ids",
    ),
    (
        "a move by someone who does not hold the piece",
        lambda n: n.world.run(
            n.s2,
            c.TransferReceivable(
                n.receivable_id, n.s3.org_id, new_receivable_id=tag(n.s2, "rcv_s")
            ),
        ),
        PermissionDenied,
        "not_holder",
    ),
    ("a second move of a consumed piece", _consumed, Conflict, "receivable_consumed"),
    (
        "a transfer to a firm outside the program",
        lambda n: n.world.run(
            n.s1,
            c.TransferReceivable(
                n.receivable_id, n.anchor.org_id, new_receivable_id=tag(n.s1, "rcv_o")
            ),
        ),
        Conflict,
        "recipient_not_onboarded",
    ),
    (
        "a transfer to oneself",
        lambda n: n.world.run(
            n.s1,
            c.TransferReceivable(
                n.receivable_id, n.s1.org_id, new_receivable_id=tag(n.s1, "rcv_o")
            ),
        ),
        InvalidRequest,
        "transfer_to_self",
    ),
    (
        "a partial transfer above the face",
        lambda n: n.world.run(
            n.s1,
            c.TransferReceivable(
                n.receivable_id,
                n.s2.org_id,
                100_000_01,
                tag(n.s1, "rcv_a"),
                tag(n.s1, "rcv_b"),
                tag(n.s1, "rcv_c"),
            ),
        ),
        InvalidRequest,
        "amount_exceeds_face",
    ),
    (
        "a move of an encumbered piece",
        lambda n: (
            _financed_request(n),
            n.world.run(
                n.s1,
                c.SplitReceivable(
                    n.receivable_id, (1, 100_000_00 - 1), (tag(n.s1, "rcv_1"), tag(n.s1, "rcv_2"))
                ),
            ),
        ),
        Conflict,
        "receivable_encumbered",
    ),
    (
        "a move after maturity",
        lambda n: (
            setattr(n.world, "today", DUE),
            n.world.run(
                n.s1,
                c.TransferReceivable(
                    n.receivable_id, n.s2.org_id, new_receivable_id=tag(n.s1, "rcv_m")
                ),
            ),
        ),
        Conflict,
        "receivable_matured",
    ),
    (
        "an unknown receivable",
        lambda n: n.world.run(
            n.s1, c.SplitReceivable("rcv_none", (1, 1), (tag(n.s1, "rcv_1"), tag(n.s1, "rcv_2")))
        ),
        NotFound,
        "unknown_receivable",
    ),
    (
        "an offer by a firm that does not fund the program",
        lambda n: (
            _financed_request(n),
            n.world.run(
                n.s2,
                c.OfferFinancing(tag(n.s1, "fin_r"), "0.04", n.world.today, 0, tag(n.s2, "ofr_y")),
            ),
        ),
        PermissionDenied,
        "not_program_funder",
    ),
    ("a zero rate", lambda n: _offer(n, annual_rate="0"), InvalidRequest, "invalid_rate"),
    (
        "a rate that is not a number",
        lambda n: _offer(n, annual_rate="4%"),
        InvalidRequest,
        "invalid_rate",
    ),
    ("negative fees", lambda n: _offer(n, fees_minor=-1), InvalidRequest, "invalid_fees"),
    (
        "fees that eat the whole face",
        lambda n: _offer(n, fees_minor=100_000_00),
        InvalidRequest,
        "proceeds_not_positive",
    ),
    (
        "a value date after maturity",
        lambda n: _offer(n, value_date=DUE),
        InvalidRequest,
        "invalid_value_date",
    ),
    (
        "an offer on an unknown request",
        lambda n: n.world.run(
            n.funder, c.OfferFinancing("fin_none", "0.04", n.world.today, 0, tag(n.funder, "ofr_z"))
        ),
        NotFound,
        "unknown_financing_request",
    ),
    (
        "financing past the funder's limit",
        lambda n: _offer(n) if False else (_funder_limited()),
        LimitExceeded,
        "funder_limit_exceeded",
    ),
    (
        "accepting an offer on a request already accepted",
        lambda n: (
            _offer(n),
            n.world.run(n.s1, c.AcceptFinancingOffer(tag(n.funder, "ofr_x"), tag(n.s1, "rcv_f1"))),
            n.world.run(n.s1, c.AcceptFinancingOffer(tag(n.funder, "ofr_x"), tag(n.s1, "rcv_f2"))),
        ),
        Conflict,
        "request_not_open",
    ),
    (
        "acceptance by someone other than the holder",
        lambda n: (
            _offer(n),
            n.world.run(n.s2, c.AcceptFinancingOffer(tag(n.funder, "ofr_x"), tag(n.s2, "rcv_f1"))),
        ),
        PermissionDenied,
        "not_holder",
    ),
    (
        "accepting an unknown offer",
        lambda n: n.world.run(n.s1, c.AcceptFinancingOffer("ofr_none", tag(n.s1, "rcv_f1"))),
        NotFound,
        "unknown_offer",
    ),
    ("financing with no funders in the program", lambda n: _no_funders(), Conflict, "no_funders"),
    (
        "settlement by anyone but the obligor",
        lambda n: _at_maturity(n, "s1"),
        PermissionDenied,
        "not_obligor",
    ),
    (
        "settlement before maturity",
        lambda n: n.world.run(n.anchor, c.SettleReceivable(n.receivable_id)),
        Conflict,
        "not_yet_due",
    ),
    (
        "settling twice",
        lambda n: (_at_maturity(n), _at_maturity(n)),
        Conflict,
        "receivable_not_live",
    ),
    (
        "an early payment offered by someone other than the obligor",
        lambda n: n.world.run(
            n.s1, c.OfferEarlyPayment(n.receivable_id, "0.03", n.world.today, tag(n.s1, "epo_x"))
        ),
        PermissionDenied,
        "not_obligor",
    ),
    (
        "accepting an early payment twice",
        lambda n: (
            n.world.run(
                n.anchor,
                c.OfferEarlyPayment(n.receivable_id, "0.03", n.world.today, tag(n.anchor, "epo_x")),
            ),
            n.world.run(n.s1, c.AcceptEarlyPayment(tag(n.anchor, "epo_x"))),
            n.world.run(n.s1, c.AcceptEarlyPayment(tag(n.anchor, "epo_x"))),
        ),
        Conflict,
        "offer_not_open",
    ),
    (
        "marking overdue before maturity has passed",
        lambda n: n.world.run(n.anchor, c.MarkOverdue(n.receivable_id)),
        Conflict,
        "not_yet_overdue",
    ),
    (
        "marking defaulted before it is overdue",
        lambda n: n.world.run(n.anchor, c.MarkDefaulted(n.receivable_id)),
        Conflict,
        "receivable_not_overdue",
    ),
    (
        "marking defaulted inside the grace period",
        lambda n: (
            setattr(n.world, "today", DUE + timedelta(days=1)),
            n.world.run(n.anchor, c.MarkOverdue(n.receivable_id)),
            n.world.run(n.anchor, c.MarkDefaulted(n.receivable_id)),
        ),
        Conflict,
        "grace_period_running",
    ),
    (
        "cancelling after the supplier passed part on",
        lambda n: (
            n.world.run(
                n.s1,
                c.TransferReceivable(
                    n.receivable_id,
                    n.s2.org_id,
                    1,
                    tag(n.s1, "rcv_a"),
                    tag(n.s1, "rcv_b"),
                    tag(n.s1, "rcv_c"),
                ),
            ),
            n.world.run(n.anchor, c.CancelReceivable(tag(n.s1, "rcv_b"))),
        ),
        Conflict,
        "cannot_cancel",
    ),
    (
        "cancellation by the supplier",
        lambda n: n.world.run(n.s1, c.CancelReceivable(n.receivable_id)),
        PermissionDenied,
        "not_obligor",
    ),
    (
        "approval by the maker",
        lambda n: _self_approval(n),
        PermissionDenied,
        "same_user_cannot_approve",
    ),
    (
        "approving an unknown approval",
        lambda n: n.world.run(n.anchor, c.ApproveConfirmation("apr_none")),
        NotFound,
        "unknown_approval",
    ),
    (
        "an invalid IBAN",
        lambda n: n.world.run(
            n.s1,
            c.RequestBankAccountChange(
                n.s1.org_id, "DE00370400440532013000", "COBADEFFXXX", tag(n.s1, "apr_i")
            ),
        ),
        InvalidRequest,
        "invalid_iban",
    ),
    (
        "an invalid BIC",
        lambda n: n.world.run(
            n.s1,
            c.RequestBankAccountChange(
                n.s1.org_id, "DE89370400440532013000", "COBA", tag(n.s1, "apr_i")
            ),
        ),
        InvalidRequest,
        "invalid_bic",
    ),
    (
        "changing another firm's account",
        lambda n: n.world.run(
            n.s1,
            c.RequestBankAccountChange(
                n.s2.org_id, "DE89370400440532013000", "COBADEFFXXX", tag(n.s1, "apr_i")
            ),
        ),
        PermissionDenied,
        "wrong_organisation",
    ),
    (
        "onboarding a supplier without a bank account",
        lambda n: _unbanked(n),
        InvalidRequest,
        "bank_account_missing",
    ),
    (
        "onboarding twice",
        lambda n: n.world.run(n.anchor, c.OnboardSupplier(n.program_id, n.s1.org_id)),
        Conflict,
        "already_onboarded",
    ),
    (
        "a program by a firm that is not an anchor",
        lambda n: n.world.run(
            n.s1, c.CreateProgram("P", "EUR", 90, 1, 1, 1, program_id=tag(n.s1, "prg_s"))
        ),
        PermissionDenied,
        "not_anchor",
    ),
    (
        "a program with an unknown calendar",
        lambda n: n.world.run(
            n.anchor,
            c.CreateProgram(
                "P", "EUR", 90, 1, 1, 1, calendar="ZZ", program_id=tag(n.anchor, "prg_s")
            ),
        ),
        InvalidRequest,
        "unknown_calendar",
    ),
    (
        "a program with another day count",
        lambda n: n.world.run(
            n.anchor,
            c.CreateProgram(
                "P", "EUR", 90, 1, 1, 1, day_count="30/360", program_id=tag(n.anchor, "prg_s")
            ),
        ),
        InvalidRequest,
        "invalid_day_count",
    ),
    (
        "a program with a zero tenor",
        lambda n: n.world.run(
            n.anchor, c.CreateProgram("P", "EUR", 0, 1, 1, 1, program_id=tag(n.anchor, "prg_s"))
        ),
        InvalidRequest,
        "invalid_tenor",
    ),
    (
        "a funder that is not a funder",
        lambda n: n.world.run(n.anchor, c.AddFunder(n.program_id, n.s1.org_id)),
        InvalidRequest,
        "not_a_funder",
    ),
    (
        "a funder added twice",
        lambda n: n.world.run(n.anchor, c.AddFunder(n.program_id, n.funder.org_id)),
        Conflict,
        "already_a_funder",
    ),
    (
        "an organisation with an unknown role",
        lambda n: n.world.run(
            OPERATOR, c.RegisterOrganisation("X", ("king",), "DE", org_id="org_k")
        ),
        InvalidRequest,
        "invalid_role",
    ),
    (
        "a user with an unknown permission",
        lambda n: n.world.run(
            n.anchor, c.AddUser(n.anchor.org_id, "U", ("root",), tag(n.anchor, "usr_r"))
        ),
        InvalidRequest,
        "invalid_permission",
    ),
]


def _funder_limited() -> None:
    net = build_network(funder_limit=50_000_00)
    _offer(net)


def _no_funders() -> None:
    w = build_network().world
    anchor = w.org("Other anchor", ("anchor",))
    s = w.org("Other supplier", ("supplier",))
    w.run(
        anchor,
        c.CreateProgram(
            "Q",
            "EUR",
            90,
            10**9,
            10**9,
            10**9,
            approval_threshold_minor=10**9,
            program_id=tag(anchor, "prg_q"),
        ),
    )
    w.run(anchor, c.OnboardSupplier(tag(anchor, "prg_q"), s.org_id))
    w.run(
        anchor,
        c.ConfirmInvoice(
            tag(anchor, "prg_q"),
            s.org_id,
            "Q1",
            100,
            "EUR",
            DUE,
            tag(anchor, "inv_q1"),
            tag(anchor, "rcv_q1"),
            tag(anchor, "apr_q1"),
        ),
    )
    w.run(s, c.RequestFinancing(tag(anchor, "rcv_q1"), tag(s, "fin_q1")))


def _self_approval(n: Network) -> None:
    net = build_network(threshold=1)
    net.world.run(
        net.anchor,
        c.ConfirmInvoice(
            net.program_id,
            net.s1.org_id,
            "S",
            10,
            "EUR",
            DUE,
            tag(net.anchor, "inv_s"),
            tag(net.anchor, "rcv_s"),
            tag(net.anchor, "apr_s"),
        ),
    )
    net.world.run(net.anchor, c.ApproveConfirmation(tag(net.anchor, "apr_s")))


def _unbanked(n: Network) -> None:
    s = n.world.org("No bank GmbH", ("supplier",), bank=False)
    n.world.run(n.anchor, c.OnboardSupplier(n.program_id, s.org_id))


@pytest.mark.parametrize(
    ("what", "attempt", "error", "code"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_the_network_refuses(
    what: str,
    attempt: Callable[[Network], None],
    error: type[OpenSCFError],
    code: str,
    net: Network,
) -> None:
    with pytest.raises(error) as info:
        attempt(net)
    assert info.value.code == code
    assert info.value.message  # a person can act on it


@pytest.mark.parametrize(
    ("what", "attempt", "error", "code"), REFUSALS[:20], ids=[r[0] for r in REFUSALS[:20]]
)
def test_a_refused_command_changes_nothing(
    what: str,
    attempt: Callable[[Network], None],
    error: type[OpenSCFError],
    code: str,
    net: Network,
) -> None:
    before = copy.deepcopy(net.world.state)
    log_before = len(net.world.log)
    with pytest.raises(OpenSCFError):
        attempt(net)
    # Only the setup steps of the attempt (which succeed) may have written anything: the
    # refused command itself decided before writing, so the last step left no trace.
    if len(net.world.log) == log_before:
        assert net.world.state == before


def test_program_limit_is_enforced_on_confirmation() -> None:
    net = build_network(program_limit=150_000_00)
    with pytest.raises(LimitExceeded) as info:
        net.confirm(60_000_00)
    assert info.value.code == "program_limit_exceeded"


def test_supplier_limit_is_enforced_on_confirmation() -> None:
    net = build_network(supplier_limit=120_000_00)
    net.confirm(20_000_00)
    with pytest.raises(LimitExceeded) as info:
        net.confirm(1)
    assert info.value.code == "supplier_limit_exceeded"
    net.confirm(1, supplier=net.s2)  # another supplier has its own limit


def test_settling_frees_the_limit_for_new_confirmations() -> None:
    net = build_network(program_limit=100_000_00)
    net.world.today = DUE
    net.world.run(net.anchor, c.SettleReceivable(net.receivable_id))
    net.confirm(100_000_00, due=DUE + timedelta(days=30))


def test_an_actor_is_who_the_event_records() -> None:
    net = build_network()
    assert all(isinstance(r.org_id, str) for r in net.world.log)
    assert Actor("org_a", "usr_b").org_id == "org_a"
