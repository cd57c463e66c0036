"""Authentication: API keys shown once and stored hashed, revocation, sessions with secure
cookies and CSRF tokens, expiry, logout. Every failure is a 401/403 with the error shape."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from openscf.store import tables as t

from .conftest import World, assert_error


def _split_body() -> dict[str, object]:
    return {"amounts_minor": [60_000_00, 40_000_00]}


def test_a_new_api_key_is_shown_once_and_stored_only_as_its_hash(world: World) -> None:
    r = world.post("S0", "/v1/api_keys", {"name": "erp"})
    assert r.status_code == 201, r.text
    key = r.json()
    secret = key["secret"]
    assert secret.startswith(key["prefix"] + "_") and len(secret) > 50
    assert key["user_id"] == world.users["S0"] and key["revoked_at"] is None
    with world.engine.connect() as conn:
        stored = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key["id"])).one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [str(v) for v in stored]
    listed = world.get("S0", "/v1/api_keys").json()["data"]
    assert key["id"] in [k["id"] for k in listed]
    assert all(k["secret"] is None for k in listed)
    assert world.get("S0", f"/v1/api_keys/{key['id']}").json()["secret"] is None
    me = world.client.get("/v1/sessions/current", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["user_id"] == world.users["S0"]


def test_a_replayed_key_creation_does_not_show_the_key_again(world: World) -> None:
    first = world.post("S0", "/v1/api_keys", {"name": "erp"}, headers={"Idempotency-Key": "k1"})
    again = world.post("S0", "/v1/api_keys", {"name": "erp"}, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert first.json()["secret"] and again.json()["secret"] is None
    assert_error(
        world.post("S0", "/v1/api_keys", {"name": "other"}, headers={"Idempotency-Key": "k1"}),
        409,
        "idempotency_key_reused",
    )


def test_a_revoked_key_is_refused_at_once(world: World) -> None:
    key = world.post("S0", "/v1/api_keys", {"name": "temp"}).json()
    headers = {"Authorization": f"Bearer {key['secret']}"}
    assert world.client.get("/v1/receivables", headers=headers).status_code == 200
    r = world.post("S0", f"/v1/api_keys/{key['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_error(world.client.get("/v1/receivables", headers=headers), 401, "api_key_revoked")
    rows = world.rows()
    rid = world.confirm()["receivable_id"]
    rows = world.rows()
    assert_error(
        world.client.post(f"/v1/receivables/{rid}/split", json=_split_body(), headers=headers),
        401,
        "api_key_revoked",
    )
    assert world.rows() == rows


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer sk_00000000_" + "A" * 43,  # well-formed, never issued
        "Bearer sk_zzzz",  # malformed
        "Bearer " + "x" * 500,
        "Basic dXNlcjpwYXNz",  # wrong scheme
        "Bearer",
    ],
)
def test_forged_or_malformed_credentials_are_a_401(world: World, authorization: str) -> None:
    rows = world.rows()
    r = world.client.post("/v1/confirmations", json={}, headers={"Authorization": authorization})
    error = assert_error(r, 401)
    assert error["type"] == "authentication_error"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert world.rows() == rows


def test_a_forged_key_with_a_real_prefix_is_refused(world: World) -> None:
    real = world.keys["S0"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert_error(
        world.client.get("/v1/receivables", headers={"Authorization": f"Bearer {forged}"}),
        401,
        "invalid_api_key",
    )


def test_no_credentials_is_a_401(world: World) -> None:
    assert_error(world.client.get("/v1/receivables"), 401, "authentication_required")
    assert_error(world.client.post("/v1/programs", json={}), 401, "authentication_required")


def test_keys_are_created_by_their_user_or_its_own_admins_only(world: World) -> None:
    # A supplier's admin may not create keys for another organisation's user ...
    assert_error(
        world.post("S0", "/v1/api_keys", {"user_id": world.users["A"]}), 404, "unknown_user"
    )
    # ... nor may a viewer for a colleague; but for itself, yes.
    assert_error(
        world.post("S0_viewer", "/v1/api_keys", {"user_id": world.users["S0"]}),
        403,
        "permission_required",
    )
    assert world.post("S0_viewer", "/v1/api_keys", {}).status_code == 201
    # An admin for a colleague; an operator admin not for another organisation's user.
    assert (
        world.post("S0", "/v1/api_keys", {"user_id": world.users["S0_viewer"]}).status_code == 201
    )
    assert_error(
        world.post("OP", "/v1/api_keys", {"user_id": world.users["T"]}), 403, "permission_required"
    )
    theirs = world.get("S0", "/v1/api_keys").json()["data"]
    assert {k["org_id"] for k in theirs} == {world.orgs["S0"]}
    other = world.get("A", "/v1/api_keys").json()["data"][0]["id"]
    assert_error(world.get("S0", f"/v1/api_keys/{other}"), 404, "unknown_api_key")
    assert_error(world.post("S0", f"/v1/api_keys/{other}/revoke"), 404, "unknown_api_key")


# --- browser sessions -------------------------------------------------------------------


def _login(world: World, who: str = "S0") -> str:
    world.auth.set_password(world.users[who], who.lower(), f"password-{who}")
    r = world.client.post(
        "/v1/sessions", json={"login": who.lower(), "password": f"password-{who}"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["csrf_token"])


def test_a_password_login_sets_secure_http_only_same_site_cookies(world: World) -> None:
    world.auth.set_password(world.users["S0"], "s0", "correct horse")
    r = world.client.post("/v1/sessions", json={"login": "s0", "password": "correct horse"})
    assert r.status_code == 201, r.text
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("openscf_session="))
    assert "HttpOnly" in session and "Secure" in session and "samesite=lax" in session.lower()
    csrf_cookie = next(c for c in cookies if c.startswith("openscf_csrf="))
    assert "HttpOnly" not in csrf_cookie and "Secure" in csrf_cookie
    assert r.json()["csrf_token"] and r.json()["user_id"] == world.users["S0"]
    with world.engine.connect() as conn:
        stored = conn.execute(select(t.user_passwords)).one()
        sessions = conn.execute(select(t.auth_sessions.c.id_hash)).scalars().all()
    assert "correct horse" not in [str(v) for v in stored] and stored.params.startswith("scrypt")
    cookie_value = session.split(";")[0].split("=", 1)[1]
    assert sessions == [hashlib.sha256(cookie_value.encode()).hexdigest()]
    me = world.client.get("/v1/sessions/current")
    assert me.status_code == 200 and me.json()["method"] == "session"


def test_a_wrong_password_or_unknown_login_is_a_401(world: World) -> None:
    world.auth.set_password(world.users["S0"], "s0", "correct horse")
    for body in (
        {"login": "s0", "password": "wrong horse"},
        {"login": "nobody", "password": "correct horse"},
    ):
        assert_error(world.client.post("/v1/sessions", json=body), 401, "invalid_login")
    assert_error(world.client.post("/v1/sessions", json={"login": "s0"}), 400)
    assert world.client.cookies.get("openscf_session") is None


def test_a_session_can_be_started_with_an_api_key(world: World) -> None:
    r = world.client.post("/v1/sessions", json={"api_key": world.keys["F"]})
    assert r.status_code == 201 and r.json()["org_id"] == world.orgs["F"]
    assert_error(world.client.post("/v1/sessions", json={"api_key": "sk_forged"}), 401)


def test_a_cookie_authenticated_post_needs_the_csrf_token(world: World) -> None:
    rid = world.confirm()["receivable_id"]
    csrf = _login(world)
    rows = world.rows()
    path = f"/v1/receivables/{rid}/split"
    assert_error(world.client.post(path, json=_split_body()), 403, "csrf_token_missing")
    assert_error(
        world.client.post(path, json=_split_body(), headers={"X-CSRF-Token": csrf[:-2] + "xx"}),
        403,
        "csrf_token_invalid",
    )
    assert world.rows() == rows
    ok = world.client.post(path, json=_split_body(), headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.text
    # Reads need no token.
    assert world.client.get(f"/v1/receivables/{rid}").status_code == 200


def test_the_csrf_token_of_one_session_does_not_work_for_another(world: World) -> None:
    rid = world.confirm()["receivable_id"]
    other_csrf = _login(world, "S1")
    _login(world, "S0")
    assert_error(
        world.client.post(
            f"/v1/receivables/{rid}/split", json=_split_body(), headers={"X-CSRF-Token": other_csrf}
        ),
        403,
        "csrf_token_invalid",
    )


def test_an_expired_session_is_a_401(world: World) -> None:
    _login(world)
    assert world.client.get("/v1/receivables").status_code == 200
    world.net.clock.advance(hours=8, seconds=1)
    assert_error(world.client.get("/v1/receivables"), 401, "session_expired")


def test_a_forged_session_cookie_is_a_401(world: World) -> None:
    for forged in ("A" * 43, "not a session", ""):
        assert_error(
            world.client.get("/v1/receivables", headers={"Cookie": f"openscf_session={forged}"}),
            401,
        )
    assert_error(
        world.client.get("/v1/receivables", headers={"Cookie": "openscf_session=" + "A" * 43}),
        401,
        "invalid_session",
    )


def test_logging_out_ends_the_session_and_needs_the_csrf_token(world: World) -> None:
    csrf = _login(world)
    assert_error(world.client.delete("/v1/sessions/current"), 403, "csrf_token_missing")
    session = world.client.cookies.get("openscf_session")
    r = world.client.delete("/v1/sessions/current", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert_error(
        world.client.get("/v1/receivables", headers={"Cookie": f"openscf_session={session}"}),
        401,
        "invalid_session",
    )


def test_an_api_key_wins_over_a_cookie_and_needs_no_csrf_token(world: World) -> None:
    _login(world, "S0")
    rid = world.confirm(supplier="S1")["receivable_id"]
    r = world.post("S1", f"/v1/receivables/{rid}/split", _split_body())
    assert r.status_code == 200, r.text


def test_session_lifetime_is_configurable(world: World) -> None:
    world.auth.session_ttl = timedelta(minutes=5)
    _login(world)
    world.net.clock.advance(minutes=6)
    assert_error(world.client.get("/v1/receivables"), 401, "session_expired")
