"""`openscf pay` and `openscf defaults ...`: amounts typed and shown in the currency,
one-line refusals, and the loss at the end."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from openscf.cli import app
from openscf.domain import commands as c

from ..conftest import build_net

runner = CliRunner()


def _cli(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--db", db_url])
    return result.exit_code, result.output


def test_pay_in_parts_then_default_recover_and_close(engine: Engine, db_url: str) -> None:
    net = build_net(engine)
    rid = net.confirm(100_000_00)
    code, out = _cli(db_url, "pay", rid, "30000.00", "--as", net.anchor_user)
    assert code == 0, out
    assert "paid 30,000.00 EUR" in out and "70,000.00 EUR outstanding (live)" in out
    code, out = _cli(db_url, "pay", rid, "70000.01", "--as", net.anchor_user)
    assert code == 2 and "payment_exceeds_outstanding" in out and "Traceback" not in out
    assert len(out.strip().splitlines()) == 1
    code, out = _cli(db_url, "pay", rid, "1.00", "--as", net.supplier_users[0])
    assert code == 2 and "role_required" in out
    code, out = _cli(db_url, "pay", rid, "lots", "--as", net.anchor_user)
    assert code == 2 and "invalid_amount" in out

    op_org = net.svc.handle(
        net.operator,
        c.AddUser(  # a second operator user, the maker
            _operator_org(engine), "clerk", ("maker", "checker")
        ),
    ).created["user_id"]
    code, out = _cli(db_url, "defaults", "declare", net.anchor, "--as", op_org, "--reason", "bored")
    assert code == 2 and "unknown_value" in out
    code, out = _cli(
        db_url,
        "defaults",
        "declare",
        net.anchor,
        "--as",
        op_org,
        "--note",
        "insolvency filed",
        "--json",
    )
    assert code == 0, out
    created = json.loads(out)["created"]
    code, out = _cli(db_url, "defaults", "approve", created["approval_id"], "--as", op_org)
    assert code == 2 and "same_user_cannot_approve" in out
    code, out = _cli(db_url, "defaults", "approve", created["approval_id"], "--as", net.operator)
    assert code == 0, out
    claim = created["claim_id"]
    code, out = _cli(
        db_url,
        "defaults",
        "recover",
        claim,
        "10000.00",
        "--source",
        "insurer",
        "--as",
        net.operator,
    )
    assert code == 0 and "recovered 10,000.00 EUR from insurer" in out
    code, out = _cli(db_url, "defaults", "close", claim, "--as", net.operator)
    assert code == 0 and "loss 60,000.00 EUR of 70,000.00 EUR" in out, out
    code, out = _cli(db_url, "defaults", "recover", claim, "1.00", "--as", net.operator)
    assert code == 2 and "claim_closed" in out
    code, out = _cli(db_url, "defaults", "list")
    assert code == 0 and "1 default claims" in out and "60,000.00" in out.replace("\n", "")
    code, out = _cli(db_url, "defaults", "list", "--json")
    assert [v["id"] for v in json.loads(out)["data"]] == [claim]
    code, out = _cli(db_url, "defaults", "show", claim)
    assert json.loads(out)["programs"][0]["lgd_bps"] == 8_571


def _operator_org(engine: Engine) -> str:
    from openscf.store.queries import list_organisations

    with engine.connect() as conn:
        return next(o.id for o in list_organisations(conn) if "operator" in o.roles)


def test_help_names_every_defaults_command() -> None:
    result = runner.invoke(app, ["defaults", "--help"])
    assert result.exit_code == 0
    for name in ("declare", "approve", "recover", "close", "list", "show"):
        assert name in result.output
