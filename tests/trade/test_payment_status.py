"""The bank's answers: a pain.002 marks payment instructions accepted or rejected (a
rejected payment is never reconciled, so never final), and a statement entry in another
currency than its account's is flagged, never reconciled."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from openscf.app.trade import payment_is_final
from openscf.documents.bank_sim import execute_pain001, write_camt053
from openscf.documents.pain002 import parse_pain002
from openscf.domain import commands as c
from openscf.domain.errors import InvalidRequest, NotFound, PermissionDenied

from ..conftest import conformance_file

TODAY = date(2026, 3, 2)
PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"


def _disbursed(net, make_docs, tmp_path):  # type: ignore[no-untyped-def]
    """A financed receivable and the pain.001 file that pays its disbursement."""
    order, despatch, invoice = make_docs(net)
    net.desk.import_orders(net.anchor_user, [("po.xml", order)])
    net.desk.import_deliveries(net.anchor_user, [("da.xml", despatch)])
    doc = net.desk.import_invoices(net.anchor_user, [("inv.xml", invoice)]).items[0]
    rid = net.desk.confirm(net.anchor_user, doc.document_id)["receivable_id"]
    req = net.svc.handle(net.supplier_users[0], c.RequestFinancing(rid)).created["request_id"]
    offer = net.svc.handle(net.funder_user, c.OfferFinancing(req, "0.05", TODAY))
    net.svc.handle(net.supplier_users[0], c.AcceptFinancingOffer(offer.created["offer_id"]))
    out = net.desk.export_payments(TODAY, tmp_path)
    [file] = out.files
    [instruction] = out.instructions
    return file, instruction


def _status_report(
    original_message_id: str,
    *,
    group: str | None = None,
    transactions: tuple[tuple[str, str, str], ...] = (),
) -> bytes:
    """A pain.002.001.10 built by hand from the ISO 20022 message definition (no real
    .001.10 file is in the corpus; its real pain.002 is a .001.03 for someone else's file)."""
    txs = "".join(
        f"<TxInfAndSts><OrgnlInstrId>{iid}</OrgnlInstrId><OrgnlEndToEndId>{iid}"
        f"</OrgnlEndToEndId><TxSts>{status}</TxSts><StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn>"
        f"<AddtlInf>as the bank says</AddtlInf></StsRsnInf></TxInfAndSts>"
        for iid, status, reason in transactions
    )
    grp = f"<GrpSts>{group}</GrpSts>" if group else ""
    block = (
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original_message_id}-1</OrgnlPmtInfId>"
        f"{txs}</OrgnlPmtInfAndSts>"
        if txs
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-03-02T12:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original_message_id}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>{grp}</OrgnlGrpInfAndSts>"
        f"{block}</CstmrPmtStsRpt></Document>"
    ).encode()


def _statement(file: dict, **change: object) -> tuple[str, bytes]:  # type: ignore[type-arg]
    booked = [
        dataclasses.replace(b, **change) for b in execute_pain001(Path(file["path"]).read_bytes())
    ]
    iban = booked[0].debtor_iban
    return "camt053.xml", write_camt053(iban, "EUR", booked, statement_date=TODAY)


def test_the_real_swiss_pain002_is_read_with_its_rejection_and_reason():
    data = conformance_file(
        "iso20022/samples/pain002-epo_p_ch2909000000250094239_1109800799_0_2018032612092784.xml"
    ).read_bytes()
    report = parse_pain002(data, "pain002.xml")
    assert (report.version, report.original_message_id) == ("001.03", "MsgId-006")
    [block] = report.blocks
    assert block.status == "RJCT"
    [tx] = block.transactions
    assert (tx.end_to_end_id, tx.status) == ("EndToEndId-006-01-01", "RJCT")
    assert tx.reasons[0].startswith("AC01")


def test_a_pain002_with_an_entity_declaration_is_refused(tnet):
    data = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document/>'
    with pytest.raises(InvalidRequest) as refused:
        tnet.desk.import_payment_status("evil.xml", data)
    assert refused.value.code == "unsafe_xml"


def test_a_rejected_payment_is_never_reconciled_nor_final(tnet, make_docs, tmp_path):
    file, instruction = _disbursed(tnet, make_docs, tmp_path)
    report = tnet.desk.import_payment_status(
        "sts.xml",
        _status_report(file["message_id"], transactions=((instruction["id"], "RJCT", "AC04"),)),
    )
    assert [r["instruction_id"] for r in report.rejected] == [instruction["id"]]
    assert "AC04" in report.rejected[0]["reason"]
    [row] = tnet.desk.instructions()
    assert row["status"] == "rejected" and "AC04" in row["bank_reference"]
    # Even if a statement later shows the debit, the rejected instruction settles nothing.
    statement = tnet.desk.import_statement(*_statement(file))
    assert statement.reconciled == [] and len(statement.unmatched_entries) == 1
    assert tnet.desk.instructions()[0]["status"] == "rejected"
    assert not payment_is_final(tnet.svc.engine, instruction["receivable_id"])


def test_an_accepted_payment_is_reconciled_by_its_statement(tnet, make_docs, tmp_path):
    file, instruction = _disbursed(tnet, make_docs, tmp_path)
    report = tnet.desk.import_payment_status(
        "sts.xml", _status_report(file["message_id"], group="ACCP")
    )
    assert report.accepted == [instruction["id"]]
    assert tnet.desk.instructions()[0]["status"] == "accepted"
    statement = tnet.desk.import_statement(*_statement(file))
    assert [r["instruction_id"] for r in statement.reconciled] == [instruction["id"]]
    assert tnet.desk.instructions()[0]["status"] == "reconciled"
    # A late rejection of a payment the statement shows as made changes nothing.
    late = tnet.desk.import_payment_status(
        "late.xml", _status_report(file["message_id"], group="RJCT")
    )
    assert late.rejected == [] and late.unchanged[0]["status"] == "reconciled"


def test_a_status_report_for_a_file_openscf_did_not_write_is_refused(tnet, make_docs, tmp_path):
    _disbursed(tnet, make_docs, tmp_path)
    with pytest.raises(NotFound) as refused:
        tnet.desk.import_payment_status("sts.xml", _status_report("MsgId-006", group="RJCT"))
    assert refused.value.code == "unknown_payment_file" and "MsgId-006" in refused.value.message
    assert tnet.desk.instructions()[0]["status"] == "sent"


def test_only_the_operator_reads_payment_status_reports(tnet, make_docs, tmp_path):
    file, _ = _disbursed(tnet, make_docs, tmp_path)
    with pytest.raises(PermissionDenied) as refused:
        tnet.desk.import_payment_status(
            "sts.xml", _status_report(file["message_id"], group="RJCT"), user_id=tnet.anchor_user
        )
    assert refused.value.code == "role_required"
    assert tnet.desk.instructions()[0]["status"] == "sent"


def test_a_chf_entry_on_a_eur_account_is_flagged_and_settles_nothing(tnet, make_docs, tmp_path):
    file, instruction = _disbursed(tnet, make_docs, tmp_path)
    statement = tnet.desk.import_statement(*_statement(file, currency="CHF"))
    assert statement.reconciled == [] and statement.unmatched_entries == []
    [flagged] = statement.currency_mismatches
    assert (flagged["currency"], flagged["account_currency"]) == ("CHF", "EUR")
    assert statement.unmatched_instructions == [instruction["id"]]
    assert tnet.desk.instructions()[0]["status"] == "sent"
    assert not payment_is_final(tnet.svc.engine, instruction["receivable_id"])


def test_the_operator_posts_a_pain002_over_the_api_and_an_anchor_may_not(tnet, make_docs, tmp_path):
    from .test_api_documents import _client, _file

    file, instruction = _disbursed(tnet, make_docs, tmp_path)
    post, _ = _client(tnet)
    data = _status_report(file["message_id"], transactions=((instruction["id"], "RJCT", "AM04"),))
    refused = post("A", "/v1/payment_status_reports", _file("sts.xml", data))
    assert refused.status_code == 403 and tnet.desk.instructions()[0]["status"] == "sent"
    done = post("OP", "/v1/payment_status_reports", _file("sts.xml", data))
    assert done.status_code == 201, done.text
    assert done.json()["rejected"][0]["instruction_id"] == instruction["id"]
