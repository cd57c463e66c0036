"""Payments out as pain.001 and statements in as camt.053: a settlement is final only
when a bank statement reconciles it, and the log says so."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from openscf.app.audit import audit, db_source
from openscf.app.trade import payment_is_final
from openscf.documents.bank_sim import execute_pain001, write_camt053
from openscf.documents.camt import parse_camt
from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest
from openscf.store.queries import iter_events

TODAY = date(2026, 3, 2)
MATURITY = date(2026, 5, 29)


def _financed(net, make_docs):  # type: ignore[no-untyped-def]
    """A confirmed invoice whose receivable the supplier sold to the funder today."""
    order, despatch, invoice = make_docs(net, due=MATURITY)
    net.desk.import_orders(net.anchor_user, [("po.xml", order)])
    net.desk.import_deliveries(net.anchor_user, [("da.xml", despatch)])
    doc = net.desk.import_invoices(net.anchor_user, [("inv.xml", invoice)]).items[0]
    rid = net.desk.confirm(net.anchor_user, doc.document_id)["receivable_id"]
    req = net.svc.handle(net.supplier_users[0], c.RequestFinancing(rid)).created["request_id"]
    offer = net.svc.handle(net.funder_user, c.OfferFinancing(req, "0.05", TODAY)).created[
        "offer_id"
    ]
    out = net.svc.handle(net.supplier_users[0], c.AcceptFinancingOffer(offer))
    return rid, offer, out.created["new_receivable_id"]


def _bank(files: list[dict], statement_date: date) -> list[tuple[str, bytes]]:  # type: ignore[type-arg]
    """What the banks send back: one camt.053 per debtor account."""
    booked = [p for f in files for p in execute_pain001(Path(f["path"]).read_bytes())]
    accounts = sorted({p.debtor_iban for p in booked})
    return [
        (
            f"camt053-{iban}.xml",
            write_camt053(
                iban, "EUR", booked, statement_date=statement_date, message_id=f"STMT-{iban[-6:]}"
            ),
        )
        for iban in accounts
    ]


def _pain_schema(conformance: Path) -> etree.XMLSchema:
    xsd = conformance / "iso20022" / "xsd" / "pain.001.001.09.xsd"
    if not xsd.is_file():
        pytest.fail(f"{xsd} is missing: the repository carries it in tests/conformance")
    return etree.XMLSchema(etree.parse(str(xsd)))


def test_disbursement_and_settlement_leave_as_pain001_and_become_final_from_camt053(
    tnet, make_docs, tmp_path, einvoice
):
    conformance = einvoice.parent
    rid, _offer_id, funder_piece = _financed(tnet, make_docs)

    out = tnet.desk.export_payments(TODAY, tmp_path / "d1")
    assert [i["kind"] for i in out.instructions] == ["disbursement"]
    disbursement = out.instructions[0]
    assert disbursement["from"] == tnet.funder and disbursement["to"] == tnet.suppliers[0]
    xml = Path(out.files[0]["path"]).read_bytes()
    schema = _pain_schema(conformance)
    assert schema.validate(etree.fromstring(xml)), schema.error_log
    assert f"<EndToEndId>{disbursement['id']}</EndToEndId>" in xml.decode()
    assert disbursement["creditor_reference"].startswith("RF")
    # Exporting the same day again instructs nothing twice.
    again = tnet.desk.export_payments(TODAY, tmp_path / "d2")
    assert again.files == [] and again.skipped[0]["reason"] == "already_instructed"

    tnet.clock.set(datetime(2026, 5, 29, 10, 0, tzinfo=UTC))
    tnet.svc.handle(tnet.anchor_user, c.SettleReceivable(funder_piece))
    assert not payment_is_final(tnet.svc.engine, funder_piece)
    settle = tnet.desk.export_payments(MATURITY, tmp_path / "s1")
    [instruction] = settle.instructions
    assert (instruction["kind"], instruction["from"], instruction["to"]) == (
        "settlement",
        tnet.anchor,
        tnet.funder,
    )
    for f in settle.files:
        assert schema.validate(etree.fromstring(Path(f["path"]).read_bytes()))

    statements = _bank(out.files + settle.files, MATURITY)
    camt_xsd = conformance / "iso20022" / "xsd" / "camt.053.001.08.xsd"
    camt_schema = etree.XMLSchema(etree.parse(str(camt_xsd)))
    reconciled = []
    for name, data in statements:
        assert camt_schema.validate(etree.fromstring(data)), camt_schema.error_log
        assert parse_camt(data).message_type == "camt.053"
        report = tnet.desk.import_statement(name, data)
        assert report.unmatched_entries == [] and report.discrepancies == []
        reconciled += report.reconciled
    assert sorted(r["kind"] for r in reconciled) == ["disbursement", "settlement"]
    assert payment_is_final(tnet.svc.engine, funder_piece)
    with tnet.svc.engine.connect() as conn:
        events = [r.event for r in iter_events(conn) if r.event.TYPE == "PaymentReconciled"]
    assert {(e.kind, e.receivable_id) for e in events} == {
        ("disbursement", rid),
        ("settlement", funder_piece),
    }
    assert all(e.bank_reference.startswith("BANK-") for e in events)
    assert all(i["status"] == "reconciled" for i in tnet.desk.instructions())
    assert audit(db_source(tnet.svc.engine)).ok


def test_a_statement_for_an_unknown_account_names_it_and_changes_nothing(tnet, make_docs, tmp_path):
    _financed(tnet, make_docs)
    out = tnet.desk.export_payments(TODAY, tmp_path)
    booked = execute_pain001(Path(out.files[0]["path"]).read_bytes())
    stranger = "DE02120300000000202051"
    data = write_camt053(
        stranger,
        "EUR",
        [type(b)(stranger, *[getattr(b, f) for f in b.__slots__[1:]]) for b in booked],
        statement_date=TODAY,
    )
    with pytest.raises(InvalidRequest) as refused:
        tnet.desk.import_statement("stranger.xml", data)
    assert refused.value.code == "unknown_account" and stranger in refused.value.message
    assert all(i["status"] == "sent" for i in tnet.desk.instructions())


def test_a_statement_is_imported_once(tnet, make_docs, tmp_path):
    _financed(tnet, make_docs)
    out = tnet.desk.export_payments(TODAY, tmp_path)
    [(name, data)] = _bank(out.files, TODAY)
    assert len(tnet.desk.import_statement(name, data).reconciled) == 1
    from openscf.domain.errors import Conflict

    with pytest.raises(Conflict) as again:
        tnet.desk.import_statement(name, data)
    assert again.value.code == "statement_already_imported"


def test_an_invalid_iban_on_file_stops_the_export_before_anything_is_written(
    tnet, make_docs, tmp_path
):
    _financed(tnet, make_docs)
    engine = tnet.svc.engine
    from sqlalchemy import update

    from openscf.store import tables as t

    with engine.begin() as conn:  # a corrupted account, as if from an old import
        conn.execute(
            update(t.organisations)
            .where(t.organisations.c.id == tnet.suppliers[0])
            .values(iban="DE00370400440000001010")
        )
    with pytest.raises(InvalidRequest) as refused:
        tnet.desk.export_payments(TODAY, tmp_path / "x")
    assert refused.value.code == "invalid_payment_instructions"
    assert "IBAN" in refused.value.message and "creditor_iban" in refused.value.message
    assert not (tmp_path / "x").exists() and tnet.desk.instructions() == []
