"""Signing keys over the API, and requests signed on the client side."""

from __future__ import annotations

from openscf.client import RequestSigner
from openscf.domain import commands as c
from openscf.trust.keys import SigningKey, encode_public_key

from .conftest import World, assert_error


def _self_signing_supplier(world: World) -> tuple[str, RequestSigner]:
    """S1 registers its own key (so the server cannot sign for it any more)."""
    key = SigningKey.generate()
    r = world.post(
        "S1",
        "/v1/keys",
        {"org_id": world.orgs["S1"], "public_key": encode_public_key(key.public_key)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["custodial"] is False
    key_id = r.json()["id"]
    listed = world.get("S0", f"/v1/keys?org_id={world.orgs['S1']}").json()["data"]
    custodial = next(k["id"] for k in listed if k["custodial"])
    revoked = world.post("S1", f"/v1/keys/{custodial}/revoke", {"reason": "going self-signed"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    return key_id, RequestSigner(key_id, key)


def test_a_request_signed_on_the_client_is_applied_through_the_api(world: World) -> None:
    rid = world.confirm(supplier="S1")["receivable_id"]
    _, signer = _self_signing_supplier(world)
    signed = signer.sign(
        c.SplitReceivable(rid, (30_000_00, 70_000_00)),
        world.orgs["S1"],
        world.users["S1"],
        world.net.clock.now(),
    )
    r = world.post("S1", "/v1/signed_requests", signed.to_json())
    assert r.status_code == 201, r.text
    assert len(r.json()["created"]["piece_ids"]) == 2
    # Asking the server to sign for S1 no longer works: its custodial key is revoked.
    rid2 = world.confirm(supplier="S1")["receivable_id"]
    refused = world.post(
        "S1", f"/v1/receivables/{rid2}/split", {"amounts_minor": [1, 100_000_00 - 1]}
    )
    assert_error(refused, 403, "signature_required")


def test_a_forged_signature_changes_nothing(world: World) -> None:
    rid = world.confirm(supplier="S1")["receivable_id"]
    key_id, _ = _self_signing_supplier(world)
    forger = RequestSigner(key_id, SigningKey.generate())
    signed = forger.sign(
        c.SplitReceivable(rid, (1, 100_000_00 - 1)),
        world.orgs["S1"],
        world.users["S1"],
        world.net.clock.now(),
    )
    before = world.rows()
    assert_error(
        world.post("S1", "/v1/signed_requests", signed.to_json()), 403, "invalid_signature"
    )
    assert world.rows() == before


def test_a_signed_request_must_come_from_its_actor(world: World) -> None:
    rid = world.confirm(supplier="S1")["receivable_id"]
    _, signer = _self_signing_supplier(world)
    signed = signer.sign(
        c.SplitReceivable(rid, (1, 100_000_00 - 1)),
        world.orgs["S1"],
        world.users["S1"],
        world.net.clock.now(),
    )
    assert_error(world.post("S0", "/v1/signed_requests", signed.to_json()), 403, "actor_mismatch")


def test_another_organisation_cannot_register_keys_for_you(world: World) -> None:
    key = SigningKey.generate()
    r = world.post(
        "S0",
        "/v1/keys",
        {"org_id": world.orgs["S1"], "public_key": encode_public_key(key.public_key)},
    )
    assert_error(r, 403, "wrong_organisation")
