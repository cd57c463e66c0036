"""What a revoked key opened ends with it; users can be disabled; sessions are
listed and ended by their organisation; password guessing is throttled; nobody mints keys
for another organisation's users; every worker refuses a revoked key once acknowledged.

The first tests perform the attacks of the issue; each was answered 2xx before the fix."""

from __future__ import annotations

import warnings
from typing import Any

from sqlalchemy import func, select

from openscf.api import create_app
from openscf.store import tables as t

from .conftest import World, assert_error

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _new_key(world: World, who: str, name: str = "temp") -> dict[str, Any]:
    r = world.post(who, "/v1/api_keys", {"name": name})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _session_from_key(world: World, secret: str) -> tuple[TestClient, str]:
    """A separate browser (its own cookie jar) logged in with an API key."""
    browser = TestClient(world.client.app, base_url="https://testserver")
    r = browser.post("/v1/sessions", json={"api_key": secret})
    assert r.status_code == 201, r.text
    return browser, str(r.json()["csrf_token"])


def _password_session(world: World, who: str) -> tuple[TestClient, str]:
    world.auth.set_password(world.users[who], who.lower().replace("_", "-"), f"password-{who}")
    browser = TestClient(world.client.app, base_url="https://testserver")
    r = browser.post(
        "/v1/sessions", json={"login": who.lower().replace("_", "-"), "password": f"password-{who}"}
    )
    assert r.status_code == 201, r.text
    return browser, str(r.json()["csrf_token"])


def _key_count(world: World) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.api_keys)).scalar_one())


# --- the attacks of the issue -------------------------------------------------------------


def test_a_session_opened_with_a_key_ends_when_the_key_is_revoked(world: World) -> None:
    key = _new_key(world, "S0")
    browser, _ = _session_from_key(world, key["secret"])
    assert browser.get("/v1/receivables").status_code == 200
    assert world.post("S0", f"/v1/api_keys/{key['id']}/revoke").status_code == 200
    assert_error(browser.get("/v1/receivables"), 401, "invalid_session")


def test_a_session_from_a_revoked_key_cannot_mint_a_fresh_key(world: World) -> None:
    key = _new_key(world, "S0")
    browser, csrf = _session_from_key(world, key["secret"])
    assert world.post("S0", f"/v1/api_keys/{key['id']}/revoke").status_code == 200
    before = _key_count(world)
    assert_error(
        browser.post("/v1/api_keys", json={"name": "persist"}, headers={"X-CSRF-Token": csrf}), 401
    )
    assert _key_count(world) == before


def test_two_hundred_wrong_passwords_then_the_right_one_does_not_get_in(world: World) -> None:
    world.auth.set_password(world.users["S0"], "s0", "correct horse")
    statuses = []
    for guess in range(200):
        r = world.client.post("/v1/sessions", json={"login": "s0", "password": f"guess-{guess}"})
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["Retry-After"]) >= 1
            assert_error(r, 429, "too_many_failed_logins")
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    right = world.client.post("/v1/sessions", json={"login": "s0", "password": "correct horse"})
    assert_error(right, 429, "too_many_failed_logins")
    assert world.client.cookies.get("openscf_session") is None
    # After waiting as told, the right password works (and the count starts over).
    world.net.clock.advance(seconds=int(right.headers["Retry-After"]))
    ok = world.client.post("/v1/sessions", json={"login": "s0", "password": "correct horse"})
    assert ok.status_code == 201, ok.text


def test_nobody_mints_a_key_for_another_organisations_user(world: World) -> None:
    before = _key_count(world)
    # The operator's admin sees every user, so it is told no rather than "no such user".
    assert_error(
        world.post("OP", "/v1/api_keys", {"user_id": world.users["T"]}), 403, "permission_required"
    )
    assert_error(
        world.post("OP", "/v1/api_keys", {"user_id": world.users["S0"]}), 403, "permission_required"
    )
    assert_error(
        world.post("B", "/v1/api_keys", {"user_id": world.users["S0"]}), 404, "unknown_user"
    )
    assert_error(
        world.post("U", "/v1/api_keys", {"user_id": world.users["S0"]}), 403, "permission_required"
    )
    assert _key_count(world) == before


def test_every_worker_refuses_a_revoked_key_once_the_revocation_is_answered(world: World) -> None:
    """Two workers with the default settings over one database: the one that did not
    revoke refuses the key on its very next request (it used to serve it from a cache)."""
    workers = [
        TestClient(
            create_app(world.engine, world.net.clock, service=world.net.svc),
            base_url="https://testserver",
        )
        for _ in range(2)
    ]
    key = _new_key(world, "S0")
    headers = {"Authorization": f"Bearer {key['secret']}"}
    assert workers[0].get("/v1/receivables", headers=headers).status_code == 200
    assert (
        workers[1].post(f"/v1/api_keys/{key['id']}/revoke", headers=world.h("S0")).status_code
        == 200
    )
    assert_error(workers[0].get("/v1/receivables", headers=headers), 401, "api_key_revoked")
    for worker in workers:
        worker.close()


# --- keys and sessions ---------------------------------------------------------------------


def test_a_key_created_through_another_names_it_and_survives_its_rotation(world: World) -> None:
    old = _new_key(world, "S0")
    r = world.client.post(
        "/v1/api_keys",
        json={"name": "rotated"},
        headers={"Authorization": f"Bearer {old['secret']}"},
    )
    assert r.status_code == 201 and r.json()["origin_key_id"] == old["id"]
    assert world.post("S0", f"/v1/api_keys/{old['id']}/revoke").status_code == 200
    fresh = {"Authorization": f"Bearer {r.json()['secret']}"}
    assert world.client.get("/v1/receivables", headers=fresh).status_code == 200


def test_an_admin_lists_and_ends_its_organisations_sessions(world: World) -> None:
    viewer, _ = _password_session(world, "S0_viewer")
    key = _new_key(world, "S0")
    _session_from_key(world, key["secret"])
    other, _ = _password_session(world, "S1")
    listed = world.get("S0", "/v1/sessions").json()
    assert listed["object"] == "list" and listed["has_more"] is False
    sessions = {s["user_id"]: s for s in listed["data"]}
    assert set(sessions) == {world.users["S0_viewer"], world.users["S0"]}
    assert sessions[world.users["S0"]]["opened_with"] == "api_key"
    assert sessions[world.users["S0"]]["api_key_id"] == key["id"]
    assert sessions[world.users["S0_viewer"]]["opened_with"] == "password"
    assert all("csrf_token" not in s for s in listed["data"])
    # Paging: one at a time, in order.
    first = world.get("S0", "/v1/sessions", params={"limit": 1}).json()
    assert first["has_more"] is True
    second = world.get(
        "S0", "/v1/sessions", params={"limit": 1, "starting_after": first["data"][0]["id"]}
    ).json()
    assert [s["id"] for s in first["data"] + second["data"]] == [s["id"] for s in listed["data"]]
    # A non-admin sees only its own.
    mine = viewer.get("/v1/sessions").json()["data"]
    assert [s["user_id"] for s in mine] == [world.users["S0_viewer"]]
    # Another organisation's admin, the operator included, can neither see nor end it.
    target = sessions[world.users["S0_viewer"]]["id"]
    for outsider in ("S1", "OP"):
        assert target not in [s["id"] for s in world.get(outsider, "/v1/sessions").json()["data"]]
        assert_error(world.post(outsider, f"/v1/sessions/{target}/end"), 404, "unknown_session")
    assert viewer.get("/v1/receivables").status_code == 200
    ended = world.post("S0", f"/v1/sessions/{target}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert_error(viewer.get("/v1/receivables"), 401, "invalid_session")
    assert other.get("/v1/receivables").status_code == 200
    assert target not in [s["id"] for s in world.get("S0", "/v1/sessions").json()["data"]]


def test_a_user_ends_its_own_session_but_not_a_colleagues(world: World) -> None:
    admin, _ = _password_session(world, "S0")
    viewer, csrf = _password_session(world, "S0_viewer")
    admins = [
        s["id"]
        for s in world.get("S0", "/v1/sessions").json()["data"]
        if s["user_id"] == world.users["S0"]
    ]
    assert_error(
        viewer.post(f"/v1/sessions/{admins[0]}/end", headers={"X-CSRF-Token": csrf}),
        403,
        "permission_required",
    )
    assert admin.get("/v1/receivables").status_code == 200
    own = viewer.get("/v1/sessions").json()["data"][0]["id"]
    assert viewer.post(f"/v1/sessions/{own}/end", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert_error(viewer.get("/v1/receivables"), 401, "invalid_session")


# --- disabling users -----------------------------------------------------------------------


def test_disabling_a_user_ends_its_keys_and_sessions_and_refuses_new_ones(world: World) -> None:
    browser, _ = _password_session(world, "S0_viewer")
    key_session, _ = _session_from_key(world, world.keys["S0_viewer"])
    r = world.post("S0", f"/v1/users/{world.users['S0_viewer']}/disable")
    assert r.status_code == 200 and r.json() == {
        "object": "user_access",
        "user_id": world.users["S0_viewer"],
        "disabled": True,
    }
    assert_error(world.get("S0_viewer", "/v1/receivables"), 401)
    assert_error(browser.get("/v1/receivables"), 401)
    assert_error(key_session.get("/v1/receivables"), 401)
    assert_error(
        world.client.post(
            "/v1/sessions", json={"login": "s0-viewer", "password": "password-S0_viewer"}
        ),
        401,
        "user_disabled",
    )
    assert_error(
        world.post("S0", "/v1/api_keys", {"user_id": world.users["S0_viewer"]}),
        403,
        "user_disabled",
    )
    assert world.get("S0", "/v1/sessions").json()["data"] == []
    # Enabled again: a fresh login works; the old key stays revoked.
    assert (
        world.post("S0", f"/v1/users/{world.users['S0_viewer']}/enable").json()["disabled"] is False
    )
    assert (
        world.client.post(
            "/v1/sessions", json={"login": "s0-viewer", "password": "password-S0_viewer"}
        ).status_code
        == 201
    )
    assert_error(world.get("S0_viewer", "/v1/receivables"), 401, "api_key_revoked")


def test_only_its_organisations_admins_or_the_operator_disable_a_user(world: World) -> None:
    target = world.users["S0_viewer"]
    assert_error(world.post("S1", f"/v1/users/{target}/disable"), 404, "unknown_user")
    assert_error(world.post("B", f"/v1/users/{target}/disable"), 404, "unknown_user")
    assert_error(world.post("U", f"/v1/users/{target}/disable"), 403, "permission_required")
    assert_error(
        world.post("S0_viewer", f"/v1/users/{world.users['S0']}/disable"),
        403,
        "permission_required",
    )
    assert_error(
        world.post("S0", f"/v1/users/{world.users['S0']}/disable"), 403, "cannot_disable_self"
    )
    assert world.get("S0_viewer", "/v1/receivables").status_code == 200
    # The operator may stop another organisation's credentials (never start them) ...
    assert world.post("OP", f"/v1/users/{target}/disable").status_code == 200
    assert_error(world.get("S0_viewer", "/v1/receivables"), 401)
    # ... and only the organisation's own admin enables the user again.
    assert_error(world.post("OP", f"/v1/users/{target}/enable"), 403, "permission_required")
    assert_error(world.post("S1", f"/v1/users/{target}/enable"), 404, "unknown_user")
    assert world.post("S0", f"/v1/users/{target}/enable").status_code == 200


# --- the audit trail -----------------------------------------------------------------------


def test_the_audit_trail_records_logins_keys_and_disables_without_secrets(world: World) -> None:
    world.auth.set_password(world.users["S0_viewer"], "s0-viewer", "correct horse")
    for _ in range(5):
        world.client.post("/v1/sessions", json={"login": "s0-viewer", "password": "wrong one"})
    world.client.post("/v1/sessions", json={"login": "nobody", "password": "whatever"})
    world.net.clock.advance(seconds=2)
    assert (
        world.client.post(
            "/v1/sessions", json={"login": "s0-viewer", "password": "correct horse"}
        ).status_code
        == 201
    )
    key = _new_key(world, "S0")
    world.post("S0", f"/v1/api_keys/{key['id']}/revoke")
    world.post("S0", f"/v1/users/{world.users['S0_viewer']}/disable")

    events = world.get("S0", "/v1/auth_events", params={"limit": 100}).json()
    assert events["object"] == "list" and events["has_more"] is False
    kinds = [e["kind"] for e in events["data"]]
    assert kinds.count("login_failed") == 5 and "login_throttled" in kinds
    for kind in (
        "login_succeeded",
        "api_key_created",
        "api_key_revoked",
        "user_disabled",
        "session_ended",
    ):
        assert kind in kinds, kind
    assert {e["org_id"] for e in events["data"]} == {world.orgs["S0"]}
    failed = next(e for e in events["data"] if e["kind"] == "login_failed")
    assert failed["user_id"] == world.users["S0_viewer"] and failed["address"]
    assert failed["occurred_at"].endswith("Z")
    revoked = next(
        e
        for e in events["data"]
        if e["kind"] == "api_key_revoked" and e["credential_id"] == key["id"]
    )
    assert revoked["actor_id"] == world.users["S0"]
    filtered = world.get("S0", "/v1/auth_events", params={"kind": "user_disabled"}).json()
    assert [e["user_id"] for e in filtered["data"]] == [world.users["S0_viewer"]]
    # Nothing secret is stored: no password, no key, no cookie.
    with world.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(t.auth_events)) for v in row)
    for secret in ("correct horse", "wrong one", "whatever", key["secret"]):
        assert secret not in stored
    # Another organisation's admin sees none of it; a non-admin is refused; the
    # operator's admin sees everything, unknown logins included.
    assert world.get("S1", "/v1/auth_events").json()["data"] == [] or all(
        e["org_id"] == world.orgs["S1"] for e in world.get("S1", "/v1/auth_events").json()["data"]
    )
    assert_error(world.get("A_viewer", "/v1/auth_events"), 403, "permission_required")
    everything = world.get("OP", "/v1/auth_events", params={"limit": 100}).json()["data"]
    assert any(e["login"] == "nobody" and e["org_id"] is None for e in everything)
