"""Who may issue each command against which object (docs/permissions.md), in the domain:
for every command, an organisation in the wrong relation to the object it names is
refused, and nothing is decided. The auditor replays these same rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from openscf.domain import commands as c
from openscf.domain.decide import USER_PERMISSION, Actor, decide
from openscf.domain.errors import PermissionDenied
from openscf.domain.replay import replay

from ..tagging import tag
from .conftest import OPERATOR, Network, build_network

DUE = date(2026, 5, 29)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
SHA = "ab" * 32


@dataclass
class Two:
    """Anchor A's program P (net) and anchor B's program Q with its funder G."""

    net: Network
    b: Actor
    g: Actor
    q_program: str


@pytest.fixture
def two() -> Two:
    net = build_network()
    w = net.world
    b, g = w.org("Other Anchor", ("anchor",)), w.org("Other Bank", ("funder",))
    q = w.new("prg")
    w.run(b, c.CreateProgram("Q", "EUR", 180, 10**10, 10**9, 10**9, program_id=q))
    w.run(b, c.AddFunder(q, g.org_id))
    return Two(net, b, g, q)


def _pending(t: Two) -> str:
    """A's maker asks for a confirmation above a threshold: an approval for A's checker."""
    n, w = t.net, t.net.world
    prg = w.new("prg")
    w.run(
        n.anchor,
        c.CreateProgram(
            "guarded", "EUR", 180, 10**10, 10**9, 10**9, approval_threshold_minor=0, program_id=prg
        ),
    )
    w.run(n.anchor, c.OnboardSupplier(prg, n.s1.org_id))
    approval = w.new("apr")
    w.run(
        n.anchor,
        c.ConfirmInvoice(
            prg, n.s1.org_id, "INV-P", 1_000_00, "EUR", DUE, w.new("inv"), w.new("rcv"), approval
        ),
    )
    return approval


def _request(t: Two) -> str:
    request = t.net.world.new("fin")
    t.net.world.run(t.net.s1, c.RequestFinancing(t.net.receivable_id, request))
    return request


def _offer(t: Two) -> str:
    request, offer = _request(t), t.net.world.new("ofr")
    t.net.world.run(
        t.net.funder, c.OfferFinancing(request, "0.05", t.net.world.today, offer_id=offer)
    )
    return offer


def _early_offer(t: Two) -> str:
    offer = t.net.world.new("epo")
    t.net.world.run(
        t.net.anchor, c.OfferEarlyPayment(t.net.receivable_id, "0.05", t.net.world.today, offer)
    )
    return offer


def _bank_change(t: Two) -> str:
    approval = t.net.world.new("apr")
    t.net.world.run(
        t.net.anchor,
        c.RequestBankAccountChange(
            t.net.anchor.org_id, "DE89370400440532013000", "COBADEFFXXX", approval
        ),
    )
    return approval


def _match_override(t: Two) -> str:
    approval = t.net.world.new("apr")
    t.net.world.run(
        t.net.anchor,
        c.RequestMatchOverride(
            t.net.program_id, "doc_x", SHA, ("match:price_mismatch",), approval_id=approval
        ),
    )
    return approval


def _grant(t: Two) -> str:
    """The anchor's admin asks that a clerk of the anchor become a checker."""
    clerk, approval = t.net.world.new("usr"), t.net.world.new("apr")
    t.net.world.run(t.net.anchor, c.AddUser(t.net.anchor.org_id, "clerk", ("maker",), clerk))
    t.net.world.run(t.net.anchor, c.GrantPermission(clerk, "checker", approval))
    return approval


def _dispute(t: Two) -> str:
    dispute = t.net.world.new("dsp")
    t.net.world.run(
        t.net.anchor,
        c.RaiseDispute(t.net.program_id, t.net.s1.org_id, "INV-D", 1_00, "short delivery", dispute),
    )
    return dispute


def _anchor_key(t: Two) -> str:
    return t.net.world.state.org_keys(t.net.anchor.org_id)[0].id


def _past_due(t: Two) -> None:
    t.net.world.today = DUE + timedelta(days=40)


def _overdue(t: Two) -> None:
    _past_due(t)
    t.net.world.run(t.net.anchor, c.MarkOverdue(t.net.receivable_id))


def _trade(t: Two, program_id: str) -> c.ConfirmTradeInvoice:
    n = t.net
    return c.ConfirmTradeInvoice(
        program_id,
        "doc_x",
        n.s1.org_id,
        "INV-T",
        1_000_00,
        "EUR",
        DUE,
        SHA,
        SHA,
        "matched",
        invoice_id=tag(t.b, "inv_t"),
        receivable_id=tag(t.b, "rcv_t"),
        approval_id=tag(t.b, "apr_t"),
    )


# command type -> (who tries: the wrong organisation, how to build the command, code)
Attempt = tuple[Callable[[Two], Actor], Callable[[Two], c.Command], str]
OUTSIDERS: dict[str, Attempt] = {
    "RegisterOrganisation": (
        lambda t: t.net.anchor,
        lambda t: c.RegisterOrganisation(
            "Shell", ("supplier",), "DE", org_id="org_shell", custodial_key=False
        ),
        "not_operator",
    ),
    "RegisterKey": (
        lambda t: t.b,
        lambda t: c.RegisterKey(
            t.net.anchor.org_id, "ed25519:" + "A" * 43 + "=", key_id=tag(t.b, "key_x")
        ),
        "wrong_organisation",
    ),
    "RevokeKey": (lambda t: t.b, lambda t: c.RevokeKey(_anchor_key(t)), "wrong_organisation"),
    "AddUser": (
        lambda t: t.b,
        lambda t: c.AddUser(t.net.anchor.org_id, "planted", ("admin",), tag(t.b, "usr_x")),
        "wrong_organisation",
    ),
    "RequestBankAccountChange": (
        lambda t: t.b,
        lambda t: c.RequestBankAccountChange(
            t.net.anchor.org_id, "DE89370400440532013000", "COBADEFFXXX", tag(t.b, "apr_x")
        ),
        "wrong_organisation",
    ),
    "ApproveBankAccountChange": (
        lambda t: t.b,
        lambda t: c.ApproveBankAccountChange(_bank_change(t)),
        "wrong_organisation",
    ),
    "CreateProgram": (
        lambda t: t.net.s1,
        lambda t: c.CreateProgram("mine", "EUR", 90, 1, 1, 1, program_id=tag(t.net.s1, "prg_x")),
        "not_anchor",
    ),
    "AddFunder": (
        lambda t: t.b,
        lambda t: c.AddFunder(t.net.program_id, t.g.org_id),
        "not_program_anchor",
    ),
    "OnboardSupplier": (
        lambda t: t.b,
        lambda t: c.OnboardSupplier(t.net.program_id, t.net.s1.org_id),
        "not_program_anchor",
    ),
    "ConfirmInvoice": (
        lambda t: t.b,
        lambda t: c.ConfirmInvoice(
            t.net.program_id,
            t.net.s1.org_id,
            "INV-B",
            1_000_00,
            "EUR",
            DUE,
            tag(t.b, "inv_b"),
            tag(t.b, "rcv_b"),
            tag(t.b, "apr_b"),
        ),
        "not_obligor",
    ),
    "ApproveConfirmation": (
        lambda t: t.b,
        lambda t: c.ApproveConfirmation(_pending(t)),
        "wrong_organisation",
    ),
    "SplitReceivable": (
        lambda t: t.net.s2,
        lambda t: c.SplitReceivable(
            t.net.receivable_id,
            (1, t.net.world.state.receivables[t.net.receivable_id].face_minor - 1),
            (tag(t.net.s2, "rcv_x1"), tag(t.net.s2, "rcv_x2")),
        ),
        "not_holder",
    ),
    "TransferReceivable": (
        lambda t: t.net.s2,
        lambda t: c.TransferReceivable(
            t.net.receivable_id, t.net.s2.org_id, new_receivable_id=tag(t.net.s2, "rcv_x")
        ),
        "not_holder",
    ),
    "RequestFinancing": (
        lambda t: t.net.s2,
        lambda t: c.RequestFinancing(t.net.receivable_id, tag(t.net.s2, "fin_x")),
        "not_holder",
    ),
    "OfferFinancing": (
        lambda t: t.g,
        lambda t: c.OfferFinancing(
            _request(t), "0.05", t.net.world.today, offer_id=tag(t.g, "ofr_x")
        ),
        "not_program_funder",
    ),
    "AcceptFinancingOffer": (
        lambda t: t.net.s2,
        lambda t: c.AcceptFinancingOffer(_offer(t), tag(t.net.s2, "rcv_x")),
        "not_holder",
    ),
    "WithdrawFinancingRequest": (
        lambda t: t.net.s2,
        lambda t: c.WithdrawFinancingRequest(_request(t)),
        "not_holder",
    ),
    "OfferEarlyPayment": (
        lambda t: t.b,
        lambda t: c.OfferEarlyPayment(
            t.net.receivable_id, "0.05", t.net.world.today, tag(t.b, "epo_x")
        ),
        "not_obligor",
    ),
    "AcceptEarlyPayment": (
        lambda t: t.net.s2,
        lambda t: c.AcceptEarlyPayment(_early_offer(t)),
        "not_holder",
    ),
    "SettleReceivable": (
        lambda t: t.b,
        lambda t: (_past_due(t), c.SettleReceivable(t.net.receivable_id))[1],
        "not_obligor",
    ),
    "MarkOverdue": (
        lambda t: t.b,
        lambda t: (_past_due(t), c.MarkOverdue(t.net.receivable_id))[1],
        "not_obligor",
    ),
    "MarkDefaulted": (
        lambda t: t.b,
        lambda t: (_overdue(t), c.MarkDefaulted(t.net.receivable_id))[1],
        "not_obligor",
    ),
    "CancelReceivable": (
        lambda t: t.b,
        lambda t: c.CancelReceivable(t.net.receivable_id),
        "not_obligor",
    ),
    "RequestMatchOverride": (
        lambda t: t.b,
        lambda t: c.RequestMatchOverride(
            t.net.program_id, "doc_x", SHA, ("match:price_mismatch",), approval_id=tag(t.b, "apr_x")
        ),
        "not_program_anchor",
    ),
    "ApproveMatchOverride": (
        lambda t: t.b,
        lambda t: c.ApproveMatchOverride(_match_override(t)),
        "wrong_organisation",
    ),
    "ConfirmTradeInvoice": (lambda t: t.b, lambda t: _trade(t, t.net.program_id), "not_obligor"),
    "GrantPermission": (
        lambda t: t.b,
        lambda t: c.GrantPermission(t.net.anchor.user_id, "checker", tag(t.b, "apr_x")),
        "wrong_organisation",
    ),
    "ApprovePermissionGrant": (
        lambda t: t.b,
        lambda t: c.ApprovePermissionGrant(_grant(t)),
        "wrong_organisation",
    ),
    "DisableCustody": (
        lambda t: t.b,
        lambda t: c.DisableCustody(t.net.anchor.org_id),
        "wrong_organisation",
    ),
    # recourse and dilution
    "PutBackReceivable": (
        lambda t: t.g,
        lambda t: c.PutBackReceivable(t.net.receivable_id, "rcv_x1", "rcv_x2"),
        "not_holder",
    ),
    "PayRecourse": (
        lambda t: t.net.s2,
        lambda t: c.PayRecourse(t.net.receivable_id),
        "not_obligor",
    ),
    "RecordCreditNote": (
        lambda t: t.b,
        lambda t: c.RecordCreditNote(
            t.net.world.state.receivables[t.net.receivable_id].invoice_id, "CN-1", 1_00, "crd_x"
        ),
        "not_obligor",
    ),
    "RaiseDispute": (
        lambda t: t.b,
        lambda t: c.RaiseDispute(
            t.net.program_id, t.net.s1.org_id, "INV-D", 1_00, "short delivery", "dsp_x"
        ),
        "not_program_anchor",
    ),
    "ResolveDispute": (
        lambda t: t.b,
        lambda t: c.ResolveDispute(_dispute(t), "withdrawn"),
        "not_dispute_party",
    ),
    "ReconcilePayment": (
        lambda t: t.net.anchor,
        lambda t: c.ReconcilePayment(
            "PMT-1",
            "settlement",
            t.net.receivable_id,
            t.net.anchor.org_id,
            t.net.s1.org_id,
            1,
            "EUR",
            DUE,
            DUE,
            "REF",
            "end_to_end_id",
        ),
        "not_operator",
    ),
    # when trade goes wrong
    "RecordPayment": (
        lambda t: t.b,
        lambda t: (_past_due(t), c.RecordPayment(t.net.receivable_id, 1_00))[1],
        "not_obligor",
    ),
    "RequestObligorDefault": (
        lambda t: t.net.s1,
        lambda t: c.RequestObligorDefault(
            t.net.anchor.org_id, "insolvency", "", "apr_op.x", "dfl_op.x"
        ),
        "not_operator",
    ),
    "ApproveObligorDefault": (
        lambda t: t.b,
        lambda t: c.ApproveObligorDefault(_default_request(t)),
        "wrong_organisation",
    ),
    "RecordRecovery": (
        lambda t: t.net.s1,
        lambda t: c.RecordRecovery(_claim(t), 1_00, "EUR", "the administrator"),
        "not_operator",
    ),
    "CloseDefaultClaim": (
        lambda t: t.net.s1,
        lambda t: c.CloseDefaultClaim(_claim(t)),
        "not_operator",
    ),
    "RegisterRiskModel": (
        lambda t: t.net.anchor,
        lambda t: c.RegisterRiskModel("openscf-points/1", SHA, ("a",), "rmd_x"),
        "not_operator",
    ),
    "RecordRiskDecision": (
        lambda t: t.net.funder,
        lambda t: c.RecordRiskDecision(
            "score",
            "organisation",
            t.net.s1.org_id,
            "rmd_x",
            SHA,
            "{}",
            SHA,
            "{}",
            (),
            None,
            None,
            None,
            "rdc_x",
        ),
        "not_operator",
    ),
    "RaiseFraudFlag": (
        lambda t: t.net.anchor,
        lambda t: c.RaiseFraudFlag(
            "dup/1", "dup", SHA, t.net.program_id, t.net.s1.org_id, "INV-F", flag_id="ffl_x"
        ),
        "not_operator",
    ),
    # Another anchor than the one the invoice is addressed to.
    "ClearFraudFlag": (
        lambda t: t.b,
        lambda t: c.ClearFraudFlag(_fraud_flag(t), "looks fine"),
        "not_flag_reviewer",
    ),
}


def _fraud_flag(t: Two) -> str:
    t.net.world.run(
        OPERATOR,
        c.RaiseFraudFlag(
            "dup/1", "dup", SHA, t.net.program_id, t.net.s1.org_id, "INV-F", flag_id="ffl_op.f"
        ),
    )
    return "ffl_op.f"


def _default_request(t: Two) -> str:
    """A second operator user asks for the anchor's default; the first may approve it."""
    maker = t.net.world.second_user(OPERATOR)
    t.net.world.run(
        maker,
        c.RequestObligorDefault(t.net.anchor.org_id, "insolvency", "filed", "apr_op.d", "dfl_op.d"),
    )
    return "apr_op.d"


def _claim(t: Two) -> str:
    t.net.world.run(OPERATOR, c.ApproveObligorDefault(_default_request(t)))
    return "dfl_op.d"


def test_every_command_has_an_outsider_case() -> None:
    assert set(OUTSIDERS) == set(c.COMMAND_TYPES)


@pytest.mark.parametrize("name", sorted(OUTSIDERS))
def test_an_organisation_in_the_wrong_relation_cannot_issue(name: str, two: Two) -> None:
    who, build, code = OUTSIDERS[name]
    command = build(two)
    assert type(command).__name__ == name
    log = list(two.net.world.log)
    with pytest.raises(PermissionDenied) as info:
        two.net.world.run(who(two), command)
    assert info.value.code == code, info.value
    assert two.net.world.log == log


@pytest.mark.parametrize("name", ["MarkOverdue", "MarkDefaulted"])
def test_the_operator_may_mark_any_piece_overdue_and_defaulted(name: str, two: Two) -> None:
    w, rid = two.net.world, two.net.receivable_id
    w.today = DUE + timedelta(days=40)
    if name == "MarkDefaulted":
        w.run(OPERATOR, c.MarkOverdue(rid))
    w.run(OPERATOR, c.COMMAND_TYPES[name](rid))  # type: ignore[call-arg]
    assert w.state.receivables[rid].status == ("overdue" if name == "MarkOverdue" else "defaulted")


def test_the_operator_adds_users_to_any_organisation_an_admin_only_to_its_own(two: Two) -> None:
    w, anchor = two.net.world, two.net.anchor
    w.run(OPERATOR, c.AddUser(anchor.org_id, "by operator", ("viewer",), tag(anchor, "usr_byop")))
    w.run(anchor, c.AddUser(anchor.org_id, "by admin", ("viewer",), tag(anchor, "usr_byadmin")))
    assert {
        w.state.users[u].org_id for u in (tag(anchor, "usr_byop"), tag(anchor, "usr_byadmin"))
    } == {anchor.org_id}


def test_a_user_acts_only_with_its_own_permission_and_for_its_own_organisation(two: Two) -> None:
    w, n = two.net.world, two.net
    w.run(n.s1, c.AddUser(n.s1.org_id, "looker", ("viewer",), tag(n.s1, "usr_looker")))
    viewer = Actor(n.s1.org_id, tag(n.s1, "usr_looker"))
    with pytest.raises(PermissionDenied) as info:
        w.run(
            viewer,
            c.SplitReceivable(
                n.receivable_id, (1, 99_999_99), (tag(n.s1, "rcv_v1"), tag(n.s1, "rcv_v2"))
            ),
        )
    assert info.value.code == "permission_required"
    # A user of S2 cannot act in S1's name, even where S1 could.
    impostor = Actor(n.s1.org_id, n.s2.user_id)
    with pytest.raises(PermissionDenied) as info:
        w.run(
            impostor,
            c.SplitReceivable(
                n.receivable_id, (1, 99_999_99), (tag(n.s1, "rcv_i1"), tag(n.s1, "rcv_i2"))
            ),
        )
    assert info.value.code == "unknown_user"


def test_every_command_names_the_user_permission_it_needs() -> None:
    assert set(USER_PERMISSION) == set(c.COMMAND_TYPES.values())


def test_the_replay_flags_an_overdue_mark_by_another_anchor(two: Two) -> None:
    """Even without signatures: the invariant replay rejects the forbidden mark."""
    w, rid = two.net.world, two.net.receivable_id
    w.today = DUE + timedelta(days=1)
    honest = w.run(two.net.anchor, c.MarkOverdue(rid))[0]
    forged = replace(honest, org_id=two.b.org_id, actor_id=two.b.user_id)
    result = replay([*w.log[:-1], forged])
    assert [v.event_id for v in result.violations] == [forged.id]
    assert "neither its obligor nor the operator" in result.violations[0].message
    assert replay(w.log).ok


def test_the_permission_table_in_the_docs_names_every_command() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in c.COMMAND_TYPES if f"`{name}`" not in text]
    assert not missing, f"docs/permissions.md does not list {missing}"


def test_decide_refuses_before_anything_when_the_user_is_unknown(two: Two) -> None:
    with pytest.raises(PermissionDenied) as info:
        decide(
            two.net.world.state,
            Actor(two.net.anchor.org_id, "usr_nobody"),
            c.MarkOverdue(two.net.receivable_id),
            DUE + timedelta(days=1),
        )
    assert info.value.code == "unknown_user"
