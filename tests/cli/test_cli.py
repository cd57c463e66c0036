"""The command line: the demo, and inspecting receivables in the database it leaves."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openscf.cli import app

runner = CliRunner()


def _demo(db: Path) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["demo", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_runs_every_operation_and_the_invariants_hold(tmp_path: Path) -> None:
    summary = _demo(tmp_path / "demo.db")
    assert summary["invariants_ok"] is True and summary["violations"] == []
    ops = summary["operations"]
    for op in (
        "ConfirmInvoice",
        "ApproveConfirmation",
        "SplitReceivable",
        "TransferReceivable",
        "RequestFinancing",
        "OfferFinancing",
        "AcceptFinancingOffer",
        "OfferEarlyPayment",
        "AcceptEarlyPayment",
        "SettleReceivable",
        "MarkOverdue",
        "MarkDefaulted",
        "CancelReceivable",
        "ApproveBankAccountChange",
    ):
        assert ops.get(op, 0) >= 1, op
    # The simulated demo economy: 36 firms (2 anchors, 2 funders, 32 suppliers) + operator,
    # and the trade leg's anchor, funder and three suppliers.
    assert summary["organisations"] == 37 + 5
    codes = {r["code"] for r in summary["rejected"]}
    assert {
        "same_user_cannot_approve",
        "receivable_consumed",
        "not_holder",
        "pieces_do_not_sum",
        "not_yet_due",
        "tenor_exceeded",
    } <= codes
    trade = summary["trade"]
    assert trade["ok"] and trade["reconciled"] == trade["instructions"] > 0
    assert {r["code"] for r in trade["refused"]} >= {"three_way_match_failed", "duplicate_invoice"}
    assert all(Path(name).name.startswith("pain001-") for name in trade["payment_files"])
    for f in summary["financings"]:
        face, discount, fees, proceeds = (
            int(f[k].replace(".", "")) for k in ("face", "discount", "fees", "proceeds")
        )
        assert proceeds == face - discount - fees


def test_the_demo_is_deterministic_and_replaces_its_own_database(tmp_path: Path) -> None:
    first = _demo(tmp_path / "demo.db")
    second = _demo(tmp_path / "demo.db")
    assert first == second


def test_the_demo_refuses_to_overwrite_a_database_that_is_not_a_demo(tmp_path: Path) -> None:
    precious = tmp_path / "precious.db"
    precious.write_bytes(b"not an openscf database at all")
    result = runner.invoke(app, ["demo", "--db", str(precious)])
    assert result.exit_code != 0
    assert precious.read_bytes() == b"not an openscf database at all"


def test_receivables_list_and_show_trace_custody_from_confirmation(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    listed = runner.invoke(
        app, ["receivables", "list", "--db", str(db), "--json", "--limit", "1000"]
    )
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert data["object"] == "list"
    financed = [
        r
        for r in data["data"]
        if r["parent_id"] and r["status"] == "settled" and r["holder_id"] != r["supplier_id"]
    ]
    assert financed
    shown = runner.invoke(
        app, ["receivables", "show", financed[0]["id"], "--db", str(db), "--json"]
    )
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    chain = [step["type"] for step in detail["chain_of_custody"]]
    assert chain[0] == "ReceivableIssued"
    assert chain[-1] == "ReceivableSettled"
    assert "ReceivableTransferred" in chain


def test_inspecting_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["receivables", "list", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2
    assert "openscf demo" in result.output


def test_showing_an_unknown_receivable_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    result = runner.invoke(app, ["receivables", "show", "rcv_nothing", "--db", str(db)])
    assert result.exit_code == 2
    assert "unknown_receivable" in result.output


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["demo", "--help"],
        ["receivables", "list", "--help"],
        ["receivables", "show", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_the_demo_database_passes_the_audit_and_so_does_its_export(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    _demo(db)
    audited = runner.invoke(app, ["audit", "--db", str(db), "--json"])
    assert audited.exit_code == 0, audited.output
    report = json.loads(audited.stdout)
    assert report["ok"] and report["events"] > 100 and report["signatures_checked"] > 50
    out = tmp_path / "export"
    assert runner.invoke(app, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["audit", "--export", str(out), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["events"] == report["events"]


def test_a_tampered_demo_database_fails_the_audit_naming_the_event(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "demo.db"
    _demo(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE events SET body = replace(body, '\"face_minor\":', "
            "'\"face_minor\":1') WHERE seq = (SELECT min(seq) FROM events "
            "WHERE type = 'ReceivableIssued')"
        )
    result = runner.invoke(app, ["audit", "--db", str(db), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["first_finding"].startswith("event ")


def test_anyone_can_list_checkpoints_and_who_cosigned_them(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "demo.db"
    _demo(db)
    with sqlite3.connect(db) as conn:
        funder = conn.execute(
            "SELECT id FROM organisations WHERE roles LIKE '%funder%'"
        ).fetchone()[0]
    witnessed = runner.invoke(
        app,
        [
            "witness",
            "--db",
            str(db),
            "--name",
            "w1",
            "--org",
            funder,
            "--state",
            str(tmp_path / "w1.json"),
            "--json",
        ],
    )
    assert witnessed.exit_code == 0, witnessed.output
    size = json.loads(witnessed.stdout)["size"]
    listed = runner.invoke(app, ["checkpoints", "--db", str(db), "--json", "--limit", "2"])
    newest = json.loads(listed.stdout)["checkpoints"][0]
    assert newest["size"] == size and newest["witnesses"] == ["w1"]
