"""Password logins: throttling per login and per address with exponential
backoff, shared by every worker through the database; scrypt at OWASP's cost, with old
hashes checked at their own cost and upgraded."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import subprocess
import sys

import pytest
from sqlalchemy import insert, select

from openscf.app import auth as auth_module
from openscf.app.auth import (
    DEFAULT_PASSWORD_COST,
    AuthenticationFailed,
    Authenticator,
    LoginThrottled,
    ScryptCost,
)
from openscf.domain.events import format_instant
from openscf.store import tables as t

from ..conftest import Net


def _auth(net: Net, **kw: object) -> Authenticator:
    return Authenticator(net.svc.engine, net.clock, **kw)  # type: ignore[arg-type]


def _fail(auth: Authenticator, login: str, address: str | None = "10.0.0.1") -> str:
    """One wrong password: the error code (invalid_login, or the throttle's)."""
    try:
        auth.login_with_password(login, "not the password", address=address)
    except LoginThrottled as exc:
        return f"throttled:{exc.retry_after_seconds}"
    except AuthenticationFailed as exc:
        return exc.code
    raise AssertionError("a wrong password logged in")


def test_the_wait_doubles_with_each_failure_after_five_up_to_a_cap(net: Net) -> None:
    auth = _auth(net)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    waits = []
    assert [_fail(auth, "s0") for _ in range(5)] == ["invalid_login"] * 5
    for _ in range(12):
        refused = _fail(auth, "s0")
        assert refused.startswith("throttled:")
        wait = int(refused.split(":")[1])
        waits.append(wait)
        net.clock.advance(seconds=wait)
        assert _fail(auth, "s0") == "invalid_login"  # the lock is over: one more guess
    assert waits[:4] == [1, 2, 4, 8]
    assert all(b == min(2 * a, 900) for a, b in itertools.pairwise(waits))
    assert waits[-1] == 900


def test_a_success_clears_the_logins_count(net: Net) -> None:
    auth = _auth(net)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    assert [_fail(auth, "s0") for _ in range(4)] == ["invalid_login"] * 4
    auth.login_with_password("s0", "correct horse", address="10.0.0.1")
    assert [_fail(auth, "s0") for _ in range(4)] == ["invalid_login"] * 4


def test_one_address_guessing_many_logins_is_throttled_but_others_are_not(net: Net) -> None:
    auth = _auth(net)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    outcomes = [_fail(auth, f"user-{n}", "10.6.6.6") for n in range(20)]
    assert outcomes == ["invalid_login"] * 20
    assert _fail(auth, "user-20", "10.6.6.6").startswith("throttled:")
    with pytest.raises(LoginThrottled):  # even the right password, from that address
        auth.login_with_password("s0", "correct horse", address="10.6.6.6")
    # The same login from another address is not locked out by that address.
    assert auth.login_with_password("s0", "correct horse", address="10.0.0.2").principal


def test_the_lock_is_shared_by_every_worker(net: Net) -> None:
    one, two = _auth(net), _auth(net)
    one.set_password(net.supplier_users[0], "s0", "correct horse")
    for _ in range(5):
        _fail(one, "s0", None)
    with pytest.raises(LoginThrottled):
        two.login_with_password("s0", "correct horse")


def test_a_long_quiet_spell_starts_the_count_over(net: Net) -> None:
    auth = _auth(net)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    assert [_fail(auth, "s0") for _ in range(4)] == ["invalid_login"] * 4
    net.clock.advance(hours=2)
    assert [_fail(auth, "s0") for _ in range(4)] == ["invalid_login"] * 4


# --- scrypt ------------------------------------------------------------------------------


def test_the_default_password_cost_is_owasps() -> None:
    assert ScryptCost(n=2**17, r=8, p=1) == DEFAULT_PASSWORD_COST
    # The tests lower the cost for new hashes (tests/conftest.py); a fresh interpreter
    # shows what a server uses.
    shown = subprocess.run(
        [sys.executable, "-c", "from openscf.app import auth; print(auth.PASSWORD_COST.text)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "scrypt:131072:8:1"


def test_a_hash_at_the_default_cost_stores_its_parameters_and_verifies(net: Net) -> None:
    auth = _auth(net, password_cost=DEFAULT_PASSWORD_COST)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    with net.svc.engine.connect() as conn:
        stored = conn.execute(select(t.user_passwords)).one()
    assert stored.params == "scrypt:131072:8:1"
    assert auth.check_password("s0", "correct horse") == net.supplier_users[0]


def test_an_old_cheaper_hash_still_verifies_and_is_upgraded(net: Net) -> None:
    salt = secrets.token_bytes(16)
    old = hashlib.scrypt(
        b"correct horse", salt=salt, n=2**14, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024
    ).hex()
    with net.svc.engine.begin() as conn:
        conn.execute(
            insert(t.user_passwords).values(
                login="s0",
                user_id=net.supplier_users[0],
                scrypt_hash=old,
                salt=salt.hex(),
                params="scrypt:16384:8:1",
                created_at=format_instant(net.clock.now()),
            )
        )
    auth = _auth(net, password_cost=ScryptCost(2**15, 8, 1))
    with pytest.raises(AuthenticationFailed):
        auth.check_password("s0", "wrong horse")
    assert auth.check_password("s0", "correct horse") == net.supplier_users[0]
    with net.svc.engine.connect() as conn:
        stored = conn.execute(select(t.user_passwords)).one()
    assert stored.params == "scrypt:32768:8:1" and stored.scrypt_hash != old
    assert auth.check_password("s0", "correct horse") == net.supplier_users[0]


def test_the_tests_own_cheap_cost_is_what_new_hashes_use_here(net: Net) -> None:
    """The conftest fixture works through the module setting, not a constant copy."""
    auth = _auth(net)
    auth.set_password(net.supplier_users[0], "s0", "correct horse")
    with net.svc.engine.connect() as conn:
        params = conn.execute(select(t.user_passwords.c.params)).scalar_one()
    assert params == auth_module.PASSWORD_COST.text != DEFAULT_PASSWORD_COST.text


def test_a_login_that_cannot_exist_is_counted_by_its_hash_only(net: Net) -> None:
    auth = _auth(net)
    typed = "Correct Horse Battery!"  # a password typed into the login field
    assert _fail(auth, typed) == "invalid_login"
    with net.svc.engine.connect() as conn:
        stored = [
            str(v)
            for table in (t.login_throttles, t.auth_events)
            for row in conn.execute(select(table))
            for v in row
        ]
    assert stored and not any(typed in v for v in stored)
