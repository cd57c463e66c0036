"""`openscf api-keys issue` hands a new organisation its first key (the API lets nobody
do that for another organisation's user); `openscf auth-events` prints the audit trail."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from openscf.app.auth import Authenticator
from openscf.cli import app

from ..conftest import build_net

runner = CliRunner()


def test_the_server_issues_a_first_key_and_the_trail_records_it(
    engine: Engine, db_url: str
) -> None:
    net = build_net(engine)
    user = net.supplier_users[0]
    issued = runner.invoke(
        app, ["api-keys", "issue", "--user", user, "--name", "first", "--db", db_url, "--json"]
    )
    assert issued.exit_code == 0, issued.output
    key = json.loads(issued.stdout)
    assert Authenticator(engine).authenticate_api_key(key["secret"]).user_id == user
    trail = runner.invoke(app, ["auth-events", "--db", db_url, "--json"])
    assert trail.exit_code == 0, trail.output
    events = json.loads(trail.stdout)["data"]
    assert [(e["kind"], e["credential_id"], e["actor_id"]) for e in events] == [
        ("api_key_created", key["id"], "cli")
    ]
    assert key["secret"] not in trail.stdout


def test_a_key_for_an_unknown_user_is_one_line_and_exit_2(engine: Engine, db_url: str) -> None:
    build_net(engine)
    result = runner.invoke(app, ["api-keys", "issue", "--user", "usr_nobody", "--db", db_url])
    assert result.exit_code == 2  # a mistake (exit 1 is "checked and found bad")
    assert "unknown_user" in result.output and "Traceback" not in result.output
