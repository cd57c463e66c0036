"""Separation of duties and custody over the API."""

from __future__ import annotations

from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.trust.keys import SigningKey, encode_public_key

from ..tagging import tag
from .conftest import DUE, World, assert_error

NEW_IBAN = "NL91ABNA0417164300"
NEW_BIC = "ABNANL2AXXX"


def _key_for(world: World, admin: str, user_id: str) -> str:
    r = world.post(admin, "/v1/api_keys", {"user_id": user_id, "name": "handed over"})
    assert r.status_code == 201, r.text
    return str(r.json()["secret"])


def test_one_admin_cannot_approve_its_own_bank_account_change_or_large_confirmation(
    world: World,
) -> None:
    """The attack: admin A adds a checker, mints it a key, and approves its own requests."""
    a = world.orgs["A"]
    assert_error(
        world.post("A", "/v1/users", {"org_id": a, "name": "puppet", "permissions": ["checker"]}),
        403,
        "approval_permission_needs_grant",
    )
    puppet = world.post(
        "A", "/v1/users", {"org_id": a, "name": "puppet", "permissions": ["maker"]}
    ).json()["id"]
    world.keys["P"] = _key_for(world, "A", puppet)
    grant = world.post("A", f"/v1/users/{puppet}/permission_grants", {"permission": "checker"})
    assert grant.status_code == 201, grant.text
    assert grant.json()["status"] == "pending"
    grant_id = grant.json()["approval_id"]
    change = world.post(
        "A", f"/v1/organisations/{a}/bank_account_changes", {"iban": NEW_IBAN, "bic": NEW_BIC}
    ).json()["id"]
    # Not a checker yet: it can approve neither its grant nor the change.
    assert_error(world.post("P", f"/v1/approvals/{grant_id}/approve"), 403, "permission_required")
    assert_error(world.post("P", f"/v1/approvals/{change}/approve"), 403, "permission_required")
    # An honest checker approves the grant; the admin's requests stay out of reach.
    approved = world.post("A_checker", f"/v1/approvals/{grant_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert "checker" in world.get("A", f"/v1/users/{puppet}").json()["permissions"]
    assert_error(
        world.post("P", f"/v1/approvals/{change}/approve"), 403, "approver_sponsored_by_maker"
    )
    world.net.svc.handle(
        world.users["A"],
        c.CreateProgram(
            "Strict",
            "EUR",
            180,
            10**10,
            10**9,
            10**9,
            approval_threshold_minor=1,
            program_id=tag(world.orgs["A"], "prg_strict"),
        ),
    )
    world.net.svc.handle(
        world.users["A"], c.OnboardSupplier(tag(world.orgs["A"], "prg_strict"), world.orgs["S0"])
    )
    asked = world.post(
        "A",
        "/v1/confirmations",
        {
            "program_id": tag(world.orgs["A"], "prg_strict"),
            "supplier_id": world.orgs["S0"],
            "invoice_number": "BIG",
            "amount_minor": 2,
            "currency": "EUR",
            "due_on": DUE,
        },
    )
    assert asked.status_code == 201, asked.text
    pending = world.get("A", "/v1/approvals?status=pending&kind=confirmation").json()["data"]
    assert_error(
        world.post("P", f"/v1/approvals/{pending[0]['id']}/approve"),
        403,
        "approver_sponsored_by_maker",
    )
    assert world.get("A", f"/v1/organisations/{a}").json()["iban"] != NEW_IBAN


def test_another_organisation_cannot_grant_permissions_to_your_users(world: World) -> None:
    assert_error(
        world.post(
            "B", f"/v1/users/{world.users['A_viewer']}/permission_grants", {"permission": "checker"}
        ),
        403,
        "wrong_organisation",
    )


def test_events_say_whether_a_custodial_or_an_own_key_signed_them(world: World) -> None:
    world.confirm()
    event = world.get("A", "/v1/events?type=ReceivableIssued").json()["data"][-1]
    assert event["custodial"] is True and event["key_id"].startswith("key_")
    key = SigningKey.generate()
    r = world.post(
        "S1",
        "/v1/keys",
        {"org_id": world.orgs["S1"], "public_key": encode_public_key(key.public_key)},
    )
    assert r.status_code == 201, r.text
    signer = RequestSigner(r.json()["id"], key)
    rid = world.confirm(supplier="S1")["receivable_id"]
    signed = signer.sign(
        c.SplitReceivable(rid, (1, 100_000_00 - 1)),
        world.orgs["S1"],
        world.users["S1"],
        world.net.clock.now(),
    )
    assert world.post("S1", "/v1/signed_requests", signed.to_json()).status_code == 201
    split = world.get("S1", "/v1/events?type=ReceivableSplit").json()["data"][-1]
    assert split["custodial"] is False and split["key_id"] == signer.key_id


def test_an_organisation_switches_custody_off_and_the_server_stops_signing_for_it(
    world: World,
) -> None:
    s1 = world.orgs["S1"]
    assert_error(
        world.post("S1", f"/v1/organisations/{s1}/disable_custody"), 409, "own_key_required"
    )
    key = SigningKey.generate()
    assert (
        world.post(
            "S1", "/v1/keys", {"org_id": s1, "public_key": encode_public_key(key.public_key)}
        ).status_code
        == 201
    )
    assert_error(
        world.post("OP", f"/v1/organisations/{s1}/disable_custody"), 403, "wrong_organisation"
    )
    assert_error(
        world.post("S0", f"/v1/organisations/{s1}/disable_custody"), 403, "wrong_organisation"
    )
    r = world.post("S1", f"/v1/organisations/{s1}/disable_custody")
    assert r.status_code == 200, r.text
    assert r.json()["custody_disabled"] is True
    size = world.log_size()
    assert_error(
        world.post(
            "S1", f"/v1/organisations/{s1}/bank_account_changes", {"iban": NEW_IBAN, "bic": NEW_BIC}
        ),
        403,
        "custody_disabled",
    )
    assert world.log_size() == size


def test_an_admin_cannot_mint_a_key_to_act_as_an_existing_checker(world: World) -> None:
    checker = world.users["A_checker"]
    assert_error(
        world.post("A", "/v1/api_keys", {"user_id": checker, "name": "borrowed"}),
        403,
        "approver_keys_are_personal",
    )
    # The checker itself creates more keys.
    assert world.post("A_checker", "/v1/api_keys", {"name": "second"}).status_code == 201
    # A new checker gets its first key handed over, and no second one.
    fresh = world.net.svc.handle(
        world.users["OP"], c.AddUser(world.orgs["A"], "second controller", ("checker",))
    ).created["user_id"]
    assert (
        world.post("A", "/v1/api_keys", {"user_id": fresh, "name": "hand-over"}).status_code == 201
    )
    assert_error(
        world.post("A", "/v1/api_keys", {"user_id": fresh, "name": "again"}),
        403,
        "approver_keys_are_personal",
    )
