"""The separation-of-duties rules as pure domain rules (docs/security.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.decide import Actor
from openscf.domain.errors import PermissionDenied
from openscf.domain.replay import replay

from .conftest import BIC, World

NEW_IBAN = "NL91ABNA0417164300"


def _denied(world: World, actor: Actor, command: c.Command, code: str) -> None:
    size = len(world.log)
    with pytest.raises(PermissionDenied) as err:
        world.run(actor, command)
    assert err.value.code == code, err.value
    assert len(world.log) == size


def test_a_grant_waits_for_a_second_checker_and_records_who_sponsored_it() -> None:
    w = World()
    admin = w.org("Anchor AG", ("anchor",))  # admin, maker and checker, seeded
    second = w.second_user(admin)
    _denied(
        w,
        admin,
        c.AddUser(admin.org_id, "puppet", ("checker",), w.new("usr")),
        "approval_permission_needs_grant",
    )
    puppet = Actor(admin.org_id, w.new("usr"))
    w.run(admin, c.AddUser(admin.org_id, "puppet", ("maker",), puppet.user_id))
    grant = w.new("apr")
    [asked] = w.run(admin, c.GrantPermission(puppet.user_id, "checker", grant))
    assert isinstance(asked.event, ev.PermissionGrantRequested)
    user = w.state.user(puppet.user_id)
    assert user is not None and "checker" not in user.permissions
    _denied(w, admin, c.ApprovePermissionGrant(grant), "same_user_cannot_approve")
    _denied(w, puppet, c.ApprovePermissionGrant(grant), "permission_required")
    [granted] = w.run(second, c.ApprovePermissionGrant(grant))
    assert granted.event == ev.PermissionGranted(
        admin.org_id, puppet.user_id, "checker", grant, admin.user_id, second.user_id
    )
    user = w.state.user(puppet.user_id)
    assert user is not None and "checker" in user.permissions
    assert user.created_by == admin.user_id
    assert set(user.approver_sponsors) == {admin.user_id, second.user_id}
    assert replay(w.log).ok


def test_a_sponsored_checker_approves_neither_its_sponsors_nor_older_requests() -> None:
    w = World()
    admin = w.org("Anchor AG", ("anchor",))
    second = w.second_user(admin)
    clerk = Actor(admin.org_id, w.new("usr"))
    w.run(Actor("org_op", "usr_op"), c.AddUser(admin.org_id, "clerk", ("admin",), clerk.user_id))
    early = w.new("apr")
    w.run(clerk, c.RequestBankAccountChange(admin.org_id, NEW_IBAN, BIC, early))
    w.today += timedelta(days=1)
    puppet = Actor(admin.org_id, w.new("usr"))
    w.run(admin, c.AddUser(admin.org_id, "puppet", ("maker",), puppet.user_id))
    grant = w.new("apr")
    w.run(admin, c.GrantPermission(puppet.user_id, "checker", grant))
    w.run(second, c.ApprovePermissionGrant(grant))
    # The admin's own request: the puppet was made a checker at the admin's request.
    late = w.new("apr")
    w.run(admin, c.RequestBankAccountChange(admin.org_id, NEW_IBAN, BIC, late))
    _denied(w, puppet, c.ApproveBankAccountChange(late), "approver_sponsored_by_maker")
    # The clerk's request predates the puppet's permission.
    _denied(w, puppet, c.ApproveBankAccountChange(early), "approver_newer_than_request")
    w.run(second, c.ApproveBankAccountChange(late))
    org = w.state.organisation(admin.org_id)
    assert org is not None and org.iban == NEW_IBAN


def test_non_approval_permissions_are_granted_at_once() -> None:
    w = World()
    admin = w.org("Supplier GmbH", ("supplier",))
    clerk = w.new("usr")
    w.run(admin, c.AddUser(admin.org_id, "clerk", ("viewer",), clerk))
    [granted] = w.run(admin, c.GrantPermission(clerk, "maker"))
    assert isinstance(granted.event, ev.PermissionGranted) and granted.event.approval_id is None
    user = w.state.user(clerk)
    assert user is not None and user.permissions == ("maker", "viewer")
