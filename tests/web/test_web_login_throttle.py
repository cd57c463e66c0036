"""The dashboard's login form is throttled like the API's: after repeated wrong
passwords it answers 429 with Retry-After, and the right password does not get in."""

from __future__ import annotations

import re
import warnings
from typing import Any

from sqlalchemy import Engine

from openscf.api.app import create_app

from ..conftest import build_net

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _post_login(client: TestClient, login: str, password: str) -> Any:
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text)
    assert token is not None, form.text[:500]
    return client.post(
        "/login",
        data={"login": login, "password": password, "login_token": token.group(1)},
        follow_redirects=False,
    )


def test_the_login_form_refuses_a_guesser_with_429_even_for_the_right_password(
    engine: Engine,
) -> None:
    net = build_net(engine)
    app = create_app(engine, net.clock, service=net.svc)
    app.state.openscf.auth.set_password(net.supplier_users[0], "s0", "correct horse")
    client = TestClient(app, base_url="https://testserver")
    statuses = [_post_login(client, "s0", f"guess-{n}").status_code for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    right = _post_login(client, "s0", "correct horse")
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) >= 1
    assert "Too many failed logins" in right.text
    assert client.cookies.get("openscf_session") is None
    net.clock.advance(seconds=int(right.headers["Retry-After"]))
    assert _post_login(client, "s0", "correct horse").status_code == 303
