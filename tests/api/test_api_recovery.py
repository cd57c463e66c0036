"""Partial payments, an obligor's default, recoveries and the loss, over HTTP: who may
do each, the one error shape, Idempotency-Key retries, and what each party sees."""

from __future__ import annotations

from datetime import UTC, datetime

from openscf.domain import commands as c

from .conftest import World, assert_error


def _at_maturity(world: World) -> str:
    rid = world.confirm(100_000_00)["receivable_id"]
    world.net.clock.set(datetime(2026, 5, 29, 10, tzinfo=UTC))
    return rid  # type: ignore[no-any-return]


def _second_operator_user(world: World) -> str:
    """A second operator user (the maker); the first approves what it asks."""
    user = world.net.svc.handle(
        world.users["OP"], c.AddUser(_op_org(world), "operator clerk", ("maker", "checker"))
    ).created["user_id"]
    world.keys["OP2"] = world.auth.issue_api_key(user, "test OP2").secret
    return user  # type: ignore[no-any-return]


def _op_org(world: World) -> str:
    r = world.get("OP", "/v1/organisations", params={"role": "operator"})
    return r.json()["data"][0]["id"]  # type: ignore[no-any-return]


def test_an_obligor_pays_in_parts_and_others_cannot(world: World) -> None:
    rid = _at_maturity(world)
    path = f"/v1/receivables/{rid}/payments"
    r = world.post("A", path, {"amount_minor": 30_000_00}, headers={"Idempotency-Key": "p-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["paid_minor"], body["outstanding_minor"]) == (
        "live",
        30_000_00,
        70_000_00,
    )
    again = world.post("A", path, {"amount_minor": 30_000_00}, headers={"Idempotency-Key": "p-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["paid_minor"] == 30_000_00
    size = world.log_size()
    assert_error(world.post("B", path, {"amount_minor": 1}), 404, "unknown_receivable")
    assert_error(world.post("S0", path, {"amount_minor": 1}), 403, "role_required")
    assert_error(
        world.post("A", path, {"amount_minor": 70_000_01}), 400, "payment_exceeds_outstanding"
    )
    assert_error(world.post("A", path, {"amount_minor": 0}), 400)
    assert world.log_size() == size
    done = world.post("A", path, {"amount_minor": 70_000_00}).json()
    assert (done["status"], done["paid_minor"], done["outstanding_minor"]) == (
        "settled",
        100_000_00,
        0,
    )


def test_a_default_is_declared_by_two_operator_users_and_recoveries_reach_the_holders(
    world: World,
) -> None:
    rid = _at_maturity(world)
    world.post("A", f"/v1/receivables/{rid}/payments", {"amount_minor": 40_000_00})
    _second_operator_user(world)
    body = {"obligor_id": world.orgs["A"], "reason": "insolvency", "note": "court filing"}
    assert_error(world.post("A", "/v1/default_claims", body), 403, "role_required")
    r = world.post("OP2", "/v1/default_claims", body)
    assert r.status_code == 202, r.text
    request = r.json()
    assert request["status"] == "pending_approval"
    approve = f"/v1/approvals/{request['approval_id']}/approve"
    assert_error(world.post("OP2", approve), 403, "same_user_cannot_approve")
    assert world.post("OP", approve).status_code == 200
    claim_id = request["claim_id"]
    piece = world.get("S0", f"/v1/receivables/{rid}").json()
    assert (piece["status"], piece["claim_id"]) == ("defaulted", claim_id)
    # Another anchor neither sees the claim nor may act on it.
    assert world.get("B", "/v1/default_claims").json()["data"] == []
    assert_error(world.get("B", f"/v1/default_claims/{claim_id}"), 404, "unknown_claim")
    recover = f"/v1/default_claims/{claim_id}/recoveries"
    money = {"amount_minor": 15_000_00, "currency": "EUR", "source": "the administrator"}
    assert_error(world.post("B", recover, money), 403, "role_required")
    assert_error(
        world.post("OP", recover, {**money, "amount_minor": 60_000_01}),
        400,
        "recovery_exceeds_claim",
    )
    view = world.post("OP", recover, money).json()
    assert view["recoveries"][0]["shares"] == [
        {"receivable_id": rid, "holder_id": world.orgs["S0"], "amount_minor": 15_000_00}
    ]
    closed = world.post("OP", f"/v1/default_claims/{claim_id}/close").json()
    assert closed["status"] == "closed"
    assert closed["programs"] == [
        {
            "program_id": world.programs["P"],
            "currency": "EUR",
            "exposure_minor": 60_000_00,
            "loss_minor": 45_000_00,
            "lgd_bps": 7_500,
        }
    ]
    mine = world.get("S0", f"/v1/default_claims/{claim_id}").json()
    assert [(p["receivable_id"], p["loss_minor"]) for p in mine["pieces"]] == [(rid, 45_000_00)]
    assert mine["totals"] == [
        {
            "currency": "EUR",
            "exposure_minor": 60_000_00,
            "recovered_minor": 15_000_00,
            "outstanding_minor": 45_000_00,
            "loss_minor": 45_000_00,
        }
    ]
    assert_error(world.post("OP", recover, money), 409, "claim_closed")
    assert world.get("S0", f"/v1/receivables/{rid}").json()["status"] == "written_off"
    # The obligor in default confirms nothing more.
    body = {
        "program_id": world.programs["P"],
        "supplier_id": world.orgs["S0"],
        "invoice_number": "AFTER-DEFAULT",
        "amount_minor": 1_00,
        "currency": "EUR",
        "due_on": "2026-08-31",
    }
    assert_error(world.post("A", "/v1/confirmations", body), 409, "obligor_in_default")
