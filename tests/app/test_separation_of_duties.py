"""Separation of duties survives one compromised admin.

The attack: an anchor's admin creates a second user, makes it a checker, and with it
approves its own bank-account change and a confirmation above the approval threshold.
The rule (docs/security.md, "Separation of duties"): a 'checker' grant needs a second,
existing checker; no one approves a request of the user who created them or made them a
checker, nor a request made before they held the permission.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from openscf.app.audit import audit, db_source
from openscf.domain import commands as c
from openscf.domain.errors import PermissionDenied
from openscf.store.uow import unit_of_work

from ..conftest import Net, build_net

NEW_IBAN = "NL91ABNA0417164300"
NEW_BIC = "ABNANL2AXXX"
THRESHOLD = 50_000_00


@pytest.fixture
def strict_net(engine: Engine) -> Net:
    """The usual network with confirmations above 50,000.00 EUR needing a checker."""
    return build_net(engine, threshold=THRESHOLD)


def _iban(net: Net) -> str | None:
    with unit_of_work(net.svc.engine) as uow:
        org = uow.state.organisation(net.anchor)
        assert org is not None
        return org.iban


def _denied(code: str, work: object) -> None:
    with pytest.raises(PermissionDenied) as err:
        work()  # type: ignore[operator]
    assert err.value.code == code, err.value


def test_an_admin_cannot_make_a_user_a_checker_on_its_own(strict_net: Net) -> None:
    net, admin = strict_net, strict_net.anchor_user
    _denied(
        "approval_permission_needs_grant",
        lambda: net.svc.handle(admin, c.AddUser(net.anchor, "puppet", ("checker",))),
    )
    puppet = net.svc.handle(admin, c.AddUser(net.anchor, "puppet", ("maker",))).created["user_id"]
    grant = net.svc.handle(admin, c.GrantPermission(puppet, "checker")).created["approval_id"]
    change = net.svc.handle(
        admin, c.RequestBankAccountChange(net.anchor, NEW_IBAN, NEW_BIC)
    ).created["approval_id"]
    # Until a second, existing checker approves the grant, the puppet is no checker.
    _denied(
        "permission_required", lambda: net.svc.handle(puppet, c.ApproveBankAccountChange(change))
    )
    _denied("permission_required", lambda: net.svc.handle(puppet, c.ApprovePermissionGrant(grant)))
    assert _iban(net) == "DE89370400440532013000"
    assert audit(db_source(net.svc.engine)).ok


def test_a_checker_the_admin_sponsored_cannot_approve_the_admins_requests(strict_net: Net) -> None:
    """Even once an honest checker approved the grant, the admin's own bank-account change
    and its confirmation above the threshold stay out of the puppet's reach."""
    net, admin, honest = strict_net, strict_net.anchor_user, strict_net.anchor_checker
    puppet = net.svc.handle(admin, c.AddUser(net.anchor, "puppet", ("maker",))).created["user_id"]
    grant = net.svc.handle(admin, c.GrantPermission(puppet, "checker")).created["approval_id"]
    net.svc.handle(honest, c.ApprovePermissionGrant(grant))
    net.clock.advance(minutes=1)
    change = net.svc.handle(
        admin, c.RequestBankAccountChange(net.anchor, NEW_IBAN, NEW_BIC)
    ).created["approval_id"]
    confirmation = net.svc.handle(
        admin,
        c.ConfirmInvoice(
            net.program_id, net.suppliers[0], "INV-BIG", THRESHOLD + 1, "EUR", date(2026, 5, 29)
        ),
    ).created["approval_id"]

    _denied(
        "approver_sponsored_by_maker",
        lambda: net.svc.handle(puppet, c.ApproveBankAccountChange(change)),
    )
    _denied(
        "approver_sponsored_by_maker",
        lambda: net.svc.handle(puppet, c.ApproveConfirmation(confirmation)),
    )
    assert _iban(net) == "DE89370400440532013000"
    # The honest checker still can: the rule stops the attack, not the work.
    net.svc.handle(honest, c.ApproveBankAccountChange(change))
    assert _iban(net) == NEW_IBAN
    assert audit(db_source(net.svc.engine)).ok


def test_a_new_checker_cannot_approve_a_request_made_before_it_held_the_permission(
    strict_net: Net,
) -> None:
    net = strict_net
    confirmation = net.svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(
            net.program_id, net.suppliers[0], "INV-OLD", THRESHOLD + 1, "EUR", date(2026, 5, 29)
        ),
    ).created["approval_id"]
    net.clock.advance(minutes=1)
    # The operator seeds the anchor's second checker; it did not exist for the request.
    late = net.svc.handle(
        net.operator, c.AddUser(net.anchor, "late controller", ("checker",))
    ).created["user_id"]
    _denied(
        "approver_newer_than_request",
        lambda: net.svc.handle(late, c.ApproveConfirmation(confirmation)),
    )
    net.svc.handle(net.anchor_checker, c.ApproveConfirmation(confirmation))


def test_the_operator_seeds_at_most_two_checkers_then_the_organisation_grants(
    strict_net: Net,
) -> None:
    net = strict_net
    net.svc.handle(net.operator, c.AddUser(net.anchor, "second controller", ("checker",)))
    _denied(
        "approval_permission_needs_grant",
        lambda: net.svc.handle(
            net.operator, c.AddUser(net.anchor, "third controller", ("checker",))
        ),
    )


def test_the_maker_of_a_grant_cannot_approve_it_and_the_grant_takes_effect_once_approved(
    strict_net: Net,
) -> None:
    net = strict_net
    second = net.svc.handle(
        net.operator, c.AddUser(net.anchor, "second controller", ("checker", "admin"))
    ).created["user_id"]
    newcomer = net.svc.handle(second, c.AddUser(net.anchor, "newcomer", ("viewer",))).created[
        "user_id"
    ]
    grant = net.svc.handle(second, c.GrantPermission(newcomer, "checker")).created["approval_id"]
    _denied(
        "same_user_cannot_approve", lambda: net.svc.handle(second, c.ApprovePermissionGrant(grant))
    )
    net.svc.handle(net.anchor_checker, c.ApprovePermissionGrant(grant))
    with unit_of_work(net.svc.engine) as uow:
        user = uow.state.user(newcomer)
        assert user is not None
        assert "checker" in user.permissions
        assert set(user.approver_sponsors) == {second, net.anchor_checker}
    assert audit(db_source(net.svc.engine)).ok


def test_another_organisation_cannot_grant_or_approve_a_grant(strict_net: Net) -> None:
    net = strict_net
    newcomer = net.svc.handle(
        net.anchor_user, c.AddUser(net.anchor, "newcomer", ("maker",))
    ).created["user_id"]
    _denied(
        "wrong_organisation",
        lambda: net.svc.handle(net.funder_user, c.GrantPermission(newcomer, "checker")),
    )
    grant = net.svc.handle(net.anchor_user, c.GrantPermission(newcomer, "checker")).created[
        "approval_id"
    ]
    funder_checker = net.svc.handle(
        net.operator, c.AddUser(net.funder, "bank controller", ("checker",))
    ).created["user_id"]
    _denied(
        "wrong_organisation",
        lambda: net.svc.handle(funder_checker, c.ApprovePermissionGrant(grant)),
    )
