"""The command line for when trade goes wrong: a funder puts a defaulted piece back, the
seller pays; the anchor records a credit note and disputes; amounts shown as people read
them; every refusal one line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from openscf.cli import app
from openscf.domain import commands as c
from openscf.store import make_engine, migrate, sqlite_url

from ..conftest import Net, build_net
from .test_cli import runner

DUE = date(2026, 5, 29)


def _net(db: Path) -> Net:
    engine = make_engine(sqlite_url(db))
    migrate(engine)
    return build_net(engine)


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_put_back_and_pay_recourse(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    net = _net(db)
    svc, seller = net.svc, net.supplier_users[0]
    prg = svc.handle(
        net.anchor_user,
        c.CreateProgram(
            "R", "EUR", 180, 10**10, 10**9, 10**9, approval_threshold_minor=10**12, recourse=True
        ),
    ).created["program_id"]
    svc.handle(net.anchor_user, c.AddFunder(prg, net.funder))
    svc.handle(net.anchor_user, c.OnboardSupplier(prg, net.suppliers[0]))
    rid = svc.handle(
        net.anchor_user, c.ConfirmInvoice(prg, net.suppliers[0], "INV-1", 12_345_67, "EUR", DUE)
    ).created["receivable_id"]
    fin = svc.handle(seller, c.RequestFinancing(rid)).created["request_id"]
    ofr = svc.handle(net.funder_user, c.OfferFinancing(fin, "0.05", date(2026, 3, 2))).created[
        "offer_id"
    ]
    bought = svc.handle(seller, c.AcceptFinancingOffer(ofr)).created["new_receivable_id"]
    net.clock.set(datetime(2026, 6, 2, 10, tzinfo=UTC))
    svc.handle(net.anchor_user, c.MarkOverdue(bought))
    net.clock.set(datetime(2026, 7, 15, 10, tzinfo=UTC))
    svc.handle(net.anchor_user, c.MarkDefaulted(bought))

    code, out = _cli("receivables", "put-back", bought, "--as", net.anchor_user, "--db", str(db))
    assert code != 0 and len(out.strip().splitlines()) == 1 and "role" in out, out
    code, out = _cli("receivables", "put-back", bought, "--as", net.funder_user, "--db", str(db))
    assert code == 0, out
    assert "put back to Supplier 0: it owes 12,345.67 EUR by" in out, out
    owed = out.rsplit("(recourse obligation ", 1)[1].strip().rstrip(")")
    code, out = _cli("receivables", "show", owed, "--db", str(db))
    assert code == 0 and "ReceivablePutBack" in out, out
    code, out = _cli("receivables", "list", "--status", "recourse_due", "--db", str(db))
    assert owed in out
    code, out = _cli("receivables", "pay-recourse", owed, "--as", seller, "--db", str(db), "--json")
    assert code == 0, out
    assert json.loads(out)["status"] == "settled"


def test_credit_notes_and_disputes(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    net = _net(db)
    invoice = net.svc.handle(
        net.anchor_user,
        c.ConfirmInvoice(net.program_id, net.suppliers[0], "INV-9", 10_000_00, "EUR", DUE),
    ).created["invoice_id"]
    a, s0 = net.anchor_user, net.supplier_users[0]
    code, out = _cli("credits", "note", invoice, "CN-1", "1,250.50", "--as", a, "--db", str(db))
    assert code == 0, out
    assert "1,250.50 EUR held against Supplier 0" in out
    code, out = _cli("credits", "note", invoice, "CN-2", "9,000.00", "--as", a, "--db", str(db))
    assert code != 0 and "credit_exceeds_invoice" in out and len(out.strip().splitlines()) == 1
    code, out = _cli("credits", "list", "--db", str(db))
    assert code == 0 and "1,250.50 EUR" in out and "open" in out, out
    code, out = _cli(
        "disputes",
        "raise",
        "--program",
        net.program_id,
        "--supplier",
        net.suppliers[0],
        "--invoice-number",
        "INV-10",
        "--amount",
        "300.00",
        "--reason",
        "damaged",
        "--as",
        a,
        "--db",
        str(db),
        "--json",
    )
    assert code == 0, out
    dispute = json.loads(out)["id"]
    code, out = _cli(
        "disputes", "resolve", dispute, "--outcome", "agreed", "--as", a, "--db", str(db)
    )
    assert code != 0 and "not_dispute_supplier" in out, out
    code, out = _cli(
        "disputes",
        "resolve",
        dispute,
        "--outcome",
        "agreed",
        "--amount",
        "200.00",
        "--as",
        s0,
        "--db",
        str(db),
    )
    assert code == 0 and "agreed 200.00 EUR" in out, out
    code, out = _cli("disputes", "list", "--status", "agreed", "--db", str(db))
    assert dispute in out
    code, out = _cli(
        "disputes", "resolve", "dsp_nothing", "--outcome", "agreed", "--as", s0, "--db", str(db)
    )
    assert code != 0 and "unknown_dispute" in out


def test_the_new_commands_have_help() -> None:
    for args in (
        ["receivables", "put-back", "--help"],
        ["receivables", "pay-recourse", "--help"],
        ["credits", "note", "--help"],
        ["credits", "list", "--help"],
        ["disputes", "raise", "--help"],
        ["disputes", "resolve", "--help"],
        ["disputes", "list", "--help"],
    ):
        code, out = _cli(*args)
        assert code == 0 and "Usage" in out, args
