"""A history holding a forbidden act fails the audit, even when every event in it is
correctly signed: the auditor re-decides each signed request with the domain's rules,
and those rules say who may act on which object (docs/permissions.md).

Each test plays a dishonest operator that bypasses `decide`: it appends events the rules
would have produced for the *right* actor, but signed in the name of the wrong one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from openscf.app.audit import audit, db_source
from openscf.app.service import request_text
from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import apply
from openscf.domain.decide import Actor, decide
from openscf.store.queries import log_size
from openscf.store.uow import UnitOfWork

from ..conftest import Net
from ..tagging import tag

DUE = date(2026, 5, 29)


def _other_anchor(net: Net) -> tuple[str, str]:
    org = net.svc.handle(
        net.operator,
        c.RegisterOrganisation(
            "Other Anchor AG", ("anchor",), "DE", iban="DE89370400440532013000", bic="COBADEFFXXX"
        ),
    ).created["org_id"]
    user = net.svc.handle(
        net.operator, c.AddUser(org, "other admin", ("admin", "maker", "checker"))
    ).created["user_id"]
    return org, user


def _right_events(net: Net, user_id: str, command: c.Command) -> list[ev.Event]:
    """What the rules decide when the right user issues `command` (nothing is stored)."""

    def work(uow: UnitOfWork) -> list[ev.Event]:
        user, org = uow.state.actor(user_id)
        assert user is not None and org is not None
        return decide(uow.state, Actor(org.id, user.id), command, net.clock.now().date())

    events: list[ev.Event] = net.svc.transaction(work)
    return events


def _forge(net: Net, org_id: str, user_id: str, command: c.Command, events: list[ev.Event]) -> int:
    """Append `events` as if `user_id` of `org_id` had issued `command`, signed with that
    organisation's own (custodial) key, bypassing `decide`. Returns the first event's seq."""
    svc, now = net.svc, net.clock.now()

    def work(uow: UnitOfWork) -> None:
        auth = svc._custodial_auth(uow, org_id, request_text(command, org_id, user_id, now), now)
        records = [
            ev.EventRecord(svc.ids.new("evt"), org_id, user_id, now, e, None, auth) for e in events
        ]
        for record in records:
            apply(uow.state, record)
        uow.append(records)

    with net.svc.engine.connect() as conn:
        before = log_size(conn)
    svc.transaction(work)
    return before + 1


def _assert_audit_names(net: Net, seq: int, code: str) -> None:
    report = audit(db_source(net.svc.engine))
    assert not report.ok
    first = report.findings[0]
    assert (first.seq, first.code) == (seq, "not_derivable"), first
    assert f"({code}:" in first.message, first.message


def test_the_audit_passes_the_honest_history_these_tests_start_from(net: Net) -> None:
    _other_anchor(net)
    net.confirm()
    assert audit(db_source(net.svc.engine)).ok


def test_another_anchor_marking_a_piece_overdue_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    rid = net.confirm()
    net.clock.set(datetime(2026, 6, 2, 10, tzinfo=UTC))
    command = c.MarkOverdue(rid)
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.anchor_user, command))
    _assert_audit_names(net, seq, "not_obligor")


def test_another_anchor_marking_a_piece_defaulted_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    rid = net.confirm()
    net.clock.set(datetime(2026, 6, 2, 10, tzinfo=UTC))
    net.svc.handle(net.anchor_user, c.MarkOverdue(rid))  # honest
    net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))
    command = c.MarkDefaulted(rid)
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.anchor_user, command))
    _assert_audit_names(net, seq, "not_obligor")


def test_adding_a_user_to_another_organisation_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    command = c.AddUser(
        net.anchor, "planted admin", ("admin", "checker"), tag(net.anchor, "usr_planted")
    )
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.operator, command))
    _assert_audit_names(net, seq, "wrong_organisation")


@pytest.fixture
def pending_confirmation(net: Net) -> tuple[Net, c.ApproveConfirmation, list[ev.Event]]:
    """Anchor A's maker confirms above the program's threshold; A's checker may approve."""
    prg = net.svc.handle(
        net.anchor_user,
        c.CreateProgram("guarded", "EUR", 180, 10**10, 10**9, 10**9, approval_threshold_minor=0),
    ).created["program_id"]
    net.svc.handle(net.anchor_user, c.OnboardSupplier(prg, net.suppliers[0]))
    out = net.svc.handle(
        net.anchor_user, c.ConfirmInvoice(prg, net.suppliers[0], "INV-G", 5_000_00, "EUR", DUE)
    )
    command = c.ApproveConfirmation(out.created["approval_id"])
    return net, command, _right_events(net, net.anchor_checker, command)


def test_an_approval_by_another_organisations_checker_fails_the_audit(
    pending_confirmation: tuple[Net, c.ApproveConfirmation, list[ev.Event]],
) -> None:
    net, command, events = pending_confirmation
    b_org, b_user = _other_anchor(net)
    issued = events[0]
    assert isinstance(issued, ev.ReceivableIssued)
    seq = _forge(net, b_org, b_user, command, [replace(issued, approved_by=b_user)])
    _assert_audit_names(net, seq, "wrong_organisation")


def test_an_approval_by_a_user_without_the_checker_permission_fails_the_audit(
    pending_confirmation: tuple[Net, c.ApproveConfirmation, list[ev.Event]],
) -> None:
    net, command, events = pending_confirmation
    issued = events[0]
    assert isinstance(issued, ev.ReceivableIssued)
    # The anchor's viewer holds only 'viewer': it may look, not approve.
    seq = _forge(net, net.anchor, net.viewer, command, [replace(issued, approved_by=net.viewer)])
    _assert_audit_names(net, seq, "permission_required")


def test_registering_an_organisation_by_a_non_operator_fails_the_audit(net: Net) -> None:
    b_org, b_user = _other_anchor(net)
    command = c.RegisterOrganisation(
        "Shell GmbH", ("supplier",), "DE", org_id="org_shell", custodial_key=False
    )
    seq = _forge(net, b_org, b_user, command, _right_events(net, net.operator, command))
    _assert_audit_names(net, seq, "not_operator")


def test_a_create_with_an_id_outside_the_actors_namespace_fails_the_audit(net: Net) -> None:
    """A dishonest operator logs A's confirmation under ids of no namespace (or another
    organisation's): the auditor's replay refuses it as the network would have."""
    honest = c.ConfirmInvoice(
        net.program_id,
        net.suppliers[0],
        "NS-1",
        1_000_00,
        "EUR",
        DUE,
        invoice_id=tag(net.anchor, "inv_ns-1"),
        receivable_id=tag(net.anchor, "rcv_ns-1"),
    )
    (issued,) = _right_events(net, net.anchor_user, honest)
    assert isinstance(issued, ev.ReceivableIssued)
    command = replace(honest, invoice_id="inv_erp-4711", receivable_id="rcv_erp-4711")
    seq = _forge(
        net,
        net.anchor,
        net.anchor_user,
        command,
        [replace(issued, invoice_id="inv_erp-4711", receivable_id="rcv_erp-4711")],
    )
    _assert_audit_names(net, seq, "invalid_id")
